"""Spreadsheet exports of the back-office listings: what is on screen, as a file.

An export holds exactly the listing's rows: the same filters, search and
ordering, every page, and only what the user may export (the listing is
scoped for VIEW, the export also for EXPORT). It is written as CSV, XLSX or
ODS by ``records.spreadsheets.writers`` (CSV streamed, XLSX/ODS through a
temporary file; the queryset is iterated in chunks, never held in memory).

Record types with a spreadsheet resource (students, teachers, departments,
routines, attendance, marks) are exported with the resource's columns, which
are the import's columns: an exported file can be edited and imported back.
The other listings (sessions, subjects, alumni, documents, the activity log)
are exported with the viewset's ``list_export`` columns, in words: choices by
their label, related records by their name, dates as date cells.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.contrib.admin.utils import label_for_field
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.text import capfirst, slugify
from django.utils.translation import get_language, override

from .activity import record_export
from .permissions import EXPORT, scope_q, scope_queryset
from .spreadsheets import writers
from .spreadsheets.resources import resource_for_model

__all__ = [
    "EXPORT_FORMATS",
    "export_filename_stem",
    "export_table",
    "exportable_queryset",
    "listing_export_response",
    "listing_table",
    "user_may_export",
]

EXPORT_FORMATS: tuple[str, ...] = tuple(writers.FORMATS)  # csv, xlsx, ods
CHUNK_SIZE = 2000


# --- Who may export what ------------------------------------------------------------


def user_may_export(user, model) -> bool:
    """Does the permission policy give ``user`` any export of this record type?"""
    if not (user.is_authenticated and user.is_active):
        return False
    return scope_q(user, model._meta.model_name, EXPORT) is not None


def exportable_queryset(user, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` the user may export; PermissionDenied if none may be."""
    if not user_may_export(user, queryset.model):
        raise PermissionDenied
    return scope_queryset(user, queryset, EXPORT)


# --- Columns ------------------------------------------------------------------------


def export_table(
    queryset: QuerySet,
    *,
    fmt: str,
    list_export: Sequence[str] = (),
    export_headings: dict | None = None,
    custom_field_preprocess: dict | None = None,
) -> tuple[list[str], Iterable[Sequence]]:
    """Headers and rows (a lazy iterator) of an export of ``queryset``.

    The resource's columns when the record type has one, else ``list_export``.
    """
    resource = resource_for_model(queryset.model)
    if resource is not None:
        return resource.export_headers(), resource.export_rows(queryset)
    return listing_table(
        queryset,
        list_export=list_export,
        export_headings=export_headings or {},
        custom_field_preprocess=custom_field_preprocess or {},
        fmt=fmt,
    )


def listing_table(
    queryset: QuerySet,
    *,
    list_export: Sequence[str],
    export_headings: dict,
    custom_field_preprocess: dict,
    fmt: str,
) -> tuple[list[str], Iterator[list]]:
    """The ``list_export`` columns with their headings, values in words."""
    model = queryset.model
    fields = list(list_export)
    headers = [heading(model, name, export_headings) for name in fields]
    getters = [
        _getter(name, _preprocess(custom_field_preprocess.get(name, {}), fmt))
        for name in fields
    ]

    def rows() -> Iterator[list]:
        for obj in queryset.iterator(chunk_size=CHUNK_SIZE):
            yield [get(obj) for get in getters]

    return headers, rows()


def heading(model, name: str, export_headings: dict) -> str:
    """The column's heading: the viewset's override, else the field's verbose name."""
    override_heading = export_headings.get(name)
    if override_heading:
        return str(override_heading)
    *relations, last = name.replace("__", ".").split(".")
    target = model
    for part in relations:
        try:
            target = target._meta.get_field(part).related_model
        except (FieldDoesNotExist, AttributeError):
            target = None
        if target is None:
            break
    if target is not None:
        try:
            return capfirst(str(label_for_field(last, target)))
        except (AttributeError, FieldDoesNotExist):
            pass
    return capfirst(last.replace("_", " ").strip())


def _preprocess(functions: dict, fmt: str) -> Callable | None:
    """A viewset's ``custom_field_preprocess`` function for this format.

    Wagtail knows CSV and XLSX only; ODS takes the CSV function (text), then
    the XLSX one.
    """
    for key in (fmt, "csv", "xlsx"):
        if key in functions:
            return functions[key]
    return None


def _getter(name: str, preprocess: Callable | None) -> Callable[[Any], Any]:
    parts = name.replace("__", ".").split(".")
    choice_fields: dict[tuple[type, str], models.Field | None] = {}

    def choice_field(owner, part: str):
        key = (type(owner), part)
        if key not in choice_fields:
            try:
                field = owner._meta.get_field(part)
            except FieldDoesNotExist:
                field = None
            if field is not None and (field.is_relation or not field.choices):
                field = None
            choice_fields[key] = field
        return choice_fields[key]

    def get(obj):
        value = obj
        for part in parts:
            if value is None:
                break
            owner = value
            if isinstance(owner, dict):
                value = owner.get(part)
                continue
            value = getattr(owner, part, None)
            if isinstance(owner, models.Model):
                field = choice_field(owner, part)
                if field is not None:
                    value = owner._get_FIELD_display(field)
                    continue
            if callable(value) and not isinstance(value, models.Manager):
                value = value()
        if preprocess is not None:
            value = preprocess(value)
        return human(value)

    return get


def human(value: Any) -> Any:
    """A value the writers can put in a cell, in words where it is a record."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, models.Model | Promise):
        return str(value)
    if isinstance(value, models.Manager):
        return ", ".join(str(item) for item in value.all())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(human(item)) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return value  # dates, times, decimals: typed cells; the rest str()'d


# --- The response -------------------------------------------------------------------


def export_filename_stem(model, export_filename: str | None) -> str:
    """The viewset's ``export_filename``, else the model's plural name.

    Wagtail's ModelViewSet defaults ``export_filename`` to the database table
    ("records_student"), which is not a name for a registrar's download.
    """
    if export_filename and export_filename not in (
        model._meta.db_table,
        "spreadsheet-export",
    ):
        return export_filename
    return slugify(str(model._meta.verbose_name_plural), allow_unicode=True)


def _in_language(rows: Iterable[Sequence], language: str | None) -> Iterator:
    """Rows produced in the request's language, even when a streamed CSV is
    iterated after the view has returned (choice labels are lazy)."""
    with override(language):
        yield from rows


def listing_export_response(view, fmt: str):
    """The export of a Wagtail index view's listing, with its activity entry.

    ``view`` is the records' index view: ``get_queryset()`` gives the listing's
    filtered, searched and ordered rows, before pagination.
    """
    request = view.request
    queryset = exportable_queryset(request.user, view.get_queryset())
    headers, rows = export_table(
        queryset,
        fmt=fmt,
        list_export=view.list_export,
        export_headings=view.export_headings,
        custom_field_preprocess=view.custom_field_preprocess,
    )
    record_export(
        request=request,
        model=queryset.model,
        rows=queryset.count(),
        export_format=fmt,
    )
    return writers.export_response(
        headers=headers,
        rows=_in_language(rows, get_language()),
        fmt=fmt,
        filename_stem=export_filename_stem(
            queryset.model, getattr(view, "export_filename", None)
        ),
    )
