"""Spreadsheet imports in the back office (``/admin/imports/``).

The screens around the import services in ``spreadsheets/batches.py``:

* the list of batches (a registrar's own; the institute head sees all),
* the upload form of one record type, with its columns and a template,
* the batch page: progress while a check or an import runs, the preview
  (what would be added and changed) with a Confirm button, the errors with a
  downloadable error report, and the undo of an imported batch.

The views only read the request and render; the states, the rules and the
writes are the services'. Files up to ``batches.import_inline_rows()`` rows are
checked and imported in the request; larger ones by the task worker
(``spreadsheets/tasks.py``), and the page polls ``progress/`` meanwhile.
Everything shown is server state, so a reload shows the same page.
"""

from __future__ import annotations

import io
import logging
from datetime import date

import xlsxwriter
from django import forms
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import include, path, reverse, reverse_lazy
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem

from .errors import BusinessRuleError
from .models import ImportBatch, ImportStatus
from .roles import Role
from .spreadsheets import batches, writers
from .spreadsheets.engine import REPORT_LIMIT
from .spreadsheets.intake import SpreadsheetRefused, read_table
from .spreadsheets.resources import RESOURCES, resource_for
from .spreadsheets.tasks import CRASHED, run_import_batch

logger = logging.getLogger(__name__)

NAMESPACE = "records_imports"
PAGE_SIZE = 50
ROWS_PAGE_SIZE = 200
ACCEPT = ".csv,.xlsx,.ods"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# ``phase`` of a batch handed to the task worker and not started yet (the
# services reset it when they claim the batch).
QUEUED = "queued"
BUSY_STATUSES = (ImportStatus.UPLOADED, ImportStatus.CHECKING, ImportStatus.IMPORTING)
ERROR_STATUSES = (ImportStatus.HAS_ERRORS, ImportStatus.REFUSED, ImportStatus.FAILED)

PHASES = {
    QUEUED: _("Waiting for the task worker"),
    "reading": _("Reading the rows"),
    "checking": _("Checking the rows"),
    "checked": _("Checked"),
    "writing": _("Writing"),
}

IMPORT_BUTTON = _("Import %(records)s")
ONE_OF = _("one of: %(choices)s")
MAX_LISTED_CHOICES = 12
CHECKED_MESSAGE = _(
    "%(name)s is checked: %(new)d new, %(update)d to update, %(unchanged)d "
    "unchanged. Nothing is written until you confirm the import."
)
HAS_ERRORS_MESSAGE = ngettext_lazy(
    "%(name)s has an error in %(count)d row; nothing was imported. Correct the "
    "file and upload it again.",
    "%(name)s has errors in %(count)d rows; nothing was imported. Correct the "
    "file and upload it again.",
    "count",
)
REFUSED_MESSAGE = _("%(name)s was refused: %(reason)s")
CHECK_QUEUED = _(
    "%(name)s has %(rows)d rows: it is being checked in the background. This "
    "page shows the progress."
)
IMPORT_QUEUED = _(
    "Import #%(id)s has %(rows)d rows: it is being imported in the background. "
    "This page shows the progress."
)
ALREADY_QUEUED = _("Import #%(id)s is already waiting for the task worker.")
IMPORTED_MESSAGE = _("Import #%(id)s is done: %(new)d added, %(update)d updated.")
IMPORT_NOW_HAS_ERRORS = _(
    "Import #%(id)s was not imported: the records changed since the check and "
    "some rows have errors now. Nothing was written."
)
UNDONE_MESSAGE = _(
    "Import #%(id)s was undone: %(deleted)d records deleted, %(restored)d "
    "records got their old values back."
)
NO_ERROR_ROWS = _("Import #%(id)s has no row errors to download.")
FILE_UNREADABLE = _("The stored file of import #%(id)s cannot be read: %(reason)s")
STOPPED = _(
    "Import #%(id)s stopped with an unexpected error; nothing was written. The "
    "error was logged."
)


# --- Helpers used elsewhere ----------------------------------------------------------


def import_url(record_type: str) -> str:
    """The upload screen of a record type, for "Import" buttons on listings."""
    return reverse(f"{NAMESPACE}:new", args=[record_type])


def import_button_label(record_type: str) -> str:
    title = str(RESOURCES[record_type].title)
    return str(IMPORT_BUTTON % {"records": title[:1].lower() + title[1:]})


def column_rule(column) -> str:
    """The column's rule; for a choice column without one, its choices."""
    if column.rule:
        return str(column.rule)
    choices = getattr(column.widget, "choices", None)
    if choices and len(choices) <= MAX_LISTED_CHOICES:
        labels = ", ".join(str(label) for _value, label in choices)
        return str(ONE_OF % {"choices": labels})
    return ""


def sees_all_batches(user) -> bool:
    return user.is_superuser or getattr(user, "role", None) == Role.INSTITUTE_HEAD


def visible_batches(user):
    queryset = ImportBatch.objects.select_related(
        "created_by", "imported_by", "undone_by"
    )
    if sees_all_batches(user):
        return queryset
    return queryset.filter(created_by=user)


def filter_batches(queryset, params) -> tuple:
    """The ``status`` and ``created_at_from``/``_to`` (local dates) filters.

    The dashboards link here with them; unknown values are ignored.
    """
    filtered = False
    status = params.get("status", "")
    if status in ImportStatus.values:
        queryset = queryset.filter(status=status)
        filtered = True
    for param, lookup in (
        ("created_at_from", "created_at__date__gte"),
        ("created_at_to", "created_at__date__lte"),
    ):
        value = parse_date_or_none(params.get(param, ""))
        if value is not None:
            queryset = queryset.filter(**{lookup: value})
            filtered = True
    return queryset, filtered


def parse_date_or_none(value: str):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def permission_denied(request) -> TemplateResponse:
    """403 with a page that says so (Wagtail would redirect a PermissionDenied)."""
    return TemplateResponse(request, "records/admin/permission_denied.html", status=403)


def record_title(record_type: str) -> str:
    cls = RESOURCES.get(record_type)
    return str(cls.title) if cls is not None else record_type


def is_busy(batch: ImportBatch) -> bool:
    """Is a check or an import running, or waiting for the worker?"""
    if batch.status in BUSY_STATUSES:
        return True
    return batch.phase == QUEUED and batch.status in (
        ImportStatus.CHECKED,
        ImportStatus.HAS_ERRORS,
    )


def seconds_left(batch: ImportBatch) -> int | None:
    """Time left, from the rows done so far since the step started."""
    done, total = batch.rows_done, batch.rows_total
    if not (batch.started_at and total and done) or not is_busy(batch):
        return None
    if done >= total:
        return 0
    elapsed = (timezone.now() - batch.started_at).total_seconds()
    return max(1, round(elapsed * (total - done) / done))


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return ngettext(
            "about %(n)d second left", "about %(n)d seconds left", seconds
        ) % {"n": seconds}
    minutes = round(seconds / 60)
    return ngettext("about %(n)d minute left", "about %(n)d minutes left", minutes) % {
        "n": minutes
    }


def progress_of(batch: ImportBatch) -> dict:
    """What the progress bar shows (the JSON of ``progress/`` and the first render)."""
    busy = is_busy(batch)
    done, total = batch.rows_done, batch.rows_total
    left = seconds_left(batch)
    percent = min(100, round(100 * done / total)) if total else 0
    phase = str(PHASES.get(batch.phase, batch.phase))
    if batch.status == ImportStatus.UPLOADED and not batch.phase:
        phase = str(PHASES[QUEUED])
    parts = []
    if total:
        parts.append(
            gettext("%(done)s of %(total)s rows") % {"done": done, "total": total}
        )
    if phase:
        parts.append(phase)
    if left:
        parts.append(duration_text(left))
    return {
        "status": batch.status,
        "status_label": str(batch.get_status_display()),
        "rows_done": done,
        "rows_total": total,
        "percent": percent,
        "phase": batch.phase,
        "phase_label": phase,
        "seconds_left": left,
        "text": " · ".join(parts),
        "done": not busy,
    }


def undo_summary(batch: ImportBatch) -> dict[str, int]:
    """How many records the import added and changed (what an undo reverses)."""
    model = RESOURCES[batch.record_type]._meta.model
    counts = dict(
        model.history.model.objects.filter(history_batch=batch.history_tag)
        .values_list("history_type")
        .annotate(n=Count("history_id"))
        .values_list("history_type", "n")
    )
    return {"added": counts.get("+", 0), "changed": counts.get("~", 0)}


def _run_inline(request, batch: ImportBatch, step: str) -> ImportBatch | None:
    """Check or import in the request; a crash marks the batch failed (no spinner)."""
    try:
        if step == "check":
            return batches.import_batch_check(batch=batch, acting_user=request.user)
        return batches.import_batch_confirm(batch=batch, acting_user=request.user)
    except BusinessRuleError:
        raise
    except Exception as exc:
        logger.exception("import #%s failed in the request", batch.pk)
        batches.import_batch_fail(
            batch, gettext(CRASHED) % {"error": type(exc).__name__}
        )
        messages.error(request, STOPPED % {"id": batch.pk})
        return None


def _enqueue(batch: ImportBatch, step: str, user) -> None:
    run_import_batch.enqueue(batch.pk, step, user.pk)


def _announce_check(request, batch: ImportBatch) -> None:
    name = batch.original_name
    counts = batch.counts or {}
    if batch.status == ImportStatus.CHECKED:
        messages.success(
            request,
            CHECKED_MESSAGE
            % {
                "name": name,
                "new": counts.get("new", 0),
                "update": counts.get("update", 0),
                "unchanged": counts.get("unchanged", 0),
            },
        )
    elif batch.status == ImportStatus.HAS_ERRORS:
        messages.error(
            request,
            HAS_ERRORS_MESSAGE % {"name": name, "count": counts.get("error", 0)},
        )
    elif batch.status in (ImportStatus.REFUSED, ImportStatus.FAILED):
        reason = " ".join((batch.report or {}).get("file_errors", []))
        messages.error(request, REFUSED_MESSAGE % {"name": name, "reason": reason})


# --- Forms ---------------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("A CSV, XLSX or ODS file; the first row holds the headers."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


# --- Views ---------------------------------------------------------------------------


class ImportIndexView(View):
    """The batches: the user's own (the head and superusers see all)."""

    template_name = "records/admin/imports/index.html"

    def get(self, request):
        types = batches.import_types_for(request.user)
        if not types:
            return permission_denied(request)
        batches_shown, filtered = filter_batches(
            visible_batches(request.user), request.GET
        )
        paginator = Paginator(batches_shown, PAGE_SIZE)
        page = paginator.get_page(request.GET.get("p"))
        rows = [
            {
                "batch": batch,
                "title": record_title(batch.record_type),
                "url": reverse(f"{NAMESPACE}:detail", args=[batch.pk]),
                "counts": batch.counts or {},
            }
            for batch in page.object_list
        ]
        return TemplateResponse(
            request,
            self.template_name,
            {
                "page_title": gettext("Spreadsheet imports"),
                "page": page,
                "rows": rows,
                "elided_page_range": paginator.get_elided_page_range(page.number),
                "sees_all": sees_all_batches(request.user),
                "filtered": filtered,
                "total": paginator.count,
                "import_buttons": [
                    {"url": import_url(name), "label": import_button_label(name)}
                    for name in types
                ],
            },
        )


class ImportUploadView(View):
    """The upload form of one record type, with its columns."""

    template_name = "records/admin/imports/upload.html"

    def dispatch(self, request, record_type: str):
        if record_type not in RESOURCES:
            raise Http404
        if not batches.import_allowed(request.user, record_type):
            return permission_denied(request)
        self.record_type = record_type
        self.resource = resource_for(record_type)
        return super().dispatch(request, record_type)

    def get(self, request, record_type: str):
        return self.render(UploadForm())

    def post(self, request, record_type: str):
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(form)
        uploaded = form.cleaned_data["file"]
        # Refuse a bad file at once, on the form; nothing is kept.
        try:
            table = read_table(uploaded, filename=uploaded.name)
        except SpreadsheetRefused as exc:
            form.add_error("file", str(exc.message))
            return self.render(form)
        try:
            batch = batches.import_batch_create(
                record_type=record_type,
                uploaded_file=uploaded,
                acting_user=request.user,
            )
        except BusinessRuleError:
            return permission_denied(request)
        rows = len(table.rows)
        if rows <= batches.import_inline_rows():
            checked = _run_inline(request, batch, "check")
            if checked is not None:
                _announce_check(request, checked)
        else:
            ImportBatch.objects.filter(pk=batch.pk).update(
                rows_total=rows, phase=QUEUED
            )
            messages.info(
                request, CHECK_QUEUED % {"name": batch.original_name, "rows": rows}
            )
            _enqueue(batch, "check", request.user)
        return redirect(f"{NAMESPACE}:detail", batch.pk)

    def render(self, form: UploadForm) -> TemplateResponse:
        columns = [
            {
                "header": str(column.column_name),
                "required": column.required,
                "rule": column_rule(column),
                "example": column.example,
            }
            for column in self.resource.import_columns()
        ]
        title = record_title(self.record_type)
        return TemplateResponse(
            self.request,
            self.template_name,
            {
                "page_title": import_button_label(self.record_type),
                "record_title": title,
                "record_type": self.record_type,
                "form": form,
                "columns": columns,
                "notes": [str(note) for note in self.resource.template_notes],
                "template_url": reverse(
                    f"{NAMESPACE}:template", args=[self.record_type]
                ),
                "index_url": reverse(f"{NAMESPACE}:index"),
                "accept": ACCEPT,
                "inline_rows": batches.import_inline_rows(),
            },
        )


class BatchMixin:
    """The batch of the URL: its uploader's, or anyone's for the head (else 404)."""

    def dispatch(self, request, batch_id: int, *args, **kwargs):
        self.batch = get_object_or_404(visible_batches(request.user), pk=batch_id)
        return super().dispatch(request, batch_id, *args, **kwargs)

    @cached_property
    def batch_url(self) -> str:
        return reverse(f"{NAMESPACE}:detail", args=[self.batch.pk])

    def may_act(self) -> bool:
        return batches.import_allowed(self.request.user, self.batch.record_type)


class ImportDetailView(BatchMixin, View):
    template_name = "records/admin/imports/detail.html"

    def get(self, request, batch_id: int):
        batch = self.batch
        report = batch.report or {}
        counts = batch.counts or {}
        busy = is_busy(batch)
        rows = report.get("rows", [])
        if batch.status in ERROR_STATUSES:
            rows = [row for row in rows if row.get("action") == "error"]
        paginator = Paginator(rows, ROWS_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("p"))
        context = {
            "page_title": gettext("Import #%(id)s") % {"id": batch.pk},
            "batch": batch,
            "record_title": record_title(batch.record_type),
            "busy": busy,
            "progress": progress_of(batch),
            "progress_url": reverse(f"{NAMESPACE}:progress", args=[batch.pk]),
            "counts": counts,
            "report": report,
            "file_errors": report.get("file_errors", []),
            "ignored_columns": report.get("ignored_columns", []),
            "rows_page": page,
            "rows": [self.row_view(row) for row in page.object_list],
            "elided_page_range": paginator.get_elided_page_range(page.number),
            "has_error_rows": bool(report.get("errors")),
            "is_checked": batch.status == ImportStatus.CHECKED and not busy,
            "is_error": batch.status in ERROR_STATUSES and not busy,
            "is_imported": batch.status == ImportStatus.IMPORTED,
            "is_undone": batch.status == ImportStatus.UNDONE,
            "may_act": self.may_act(),
            "index_url": reverse(f"{NAMESPACE}:index"),
            "upload_url": import_url(batch.record_type)
            if batch.record_type in RESOURCES
            else "",
            "confirm_url": reverse(f"{NAMESPACE}:confirm", args=[batch.pk]),
            "check_url": reverse(f"{NAMESPACE}:check", args=[batch.pk]),
            "undo_url": reverse(f"{NAMESPACE}:undo", args=[batch.pk]),
            "errors_url": reverse(f"{NAMESPACE}:errors", args=[batch.pk]),
            "report_limit": REPORT_LIMIT,
            "report_limit_reached": len(report.get("rows", [])) >= REPORT_LIMIT,
        }
        return TemplateResponse(request, self.template_name, context)

    @staticmethod
    def row_view(row: dict) -> dict:
        return {
            "number": row.get("row"),
            "action": row.get("action"),
            "label": row.get("label") or "",
            "changes": [
                {"column": change[0], "old": change[1], "new": change[2]}
                for change in row.get("changes", [])
            ],
            "errors": [
                {"column": error[0], "message": error[1]}
                for error in row.get("errors", [])
            ],
        }


class ImportProgressView(BatchMixin, View):
    def get(self, request, batch_id: int):
        return JsonResponse(progress_of(self.batch))


class ImportCheckView(BatchMixin, View):
    """Check (preview) the stored file again, e.g. after adding a department."""

    def post(self, request, batch_id: int):
        batch = self.batch
        if not self.may_act():
            return permission_denied(request)
        if batch.rows_total > batches.import_inline_rows():
            claimed = (
                ImportBatch.objects.filter(
                    pk=batch.pk,
                    status__in=(ImportStatus.CHECKED, ImportStatus.HAS_ERRORS),
                )
                .exclude(phase=QUEUED)
                .update(phase=QUEUED)
            )
            if claimed:
                messages.info(
                    request,
                    CHECK_QUEUED
                    % {"name": batch.original_name, "rows": batch.rows_total},
                )
                _enqueue(batch, "check", request.user)
            else:
                self.refuse_queue(batch)
            return redirect(self.batch_url)
        try:
            checked = _run_inline(request, batch, "check")
        except BusinessRuleError as exc:
            messages.error(request, str(exc))
        else:
            if checked is not None:
                _announce_check(request, checked)
        return redirect(self.batch_url)

    def refuse_queue(self, batch: ImportBatch) -> None:
        batch.refresh_from_db()
        if batch.phase == QUEUED:
            messages.warning(self.request, ALREADY_QUEUED % {"id": batch.pk})
        else:
            messages.error(self.request, batches._conflict(batch))


class ImportConfirmView(ImportCheckView):
    """Import a checked batch, exactly once (a second click gets the conflict)."""

    def post(self, request, batch_id: int):
        batch = self.batch
        if not self.may_act():
            return permission_denied(request)
        if batch.rows_total > batches.import_inline_rows():
            claimed = (
                ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.CHECKED)
                .exclude(phase=QUEUED)
                .update(phase=QUEUED)
            )
            if claimed:
                messages.info(
                    request, IMPORT_QUEUED % {"id": batch.pk, "rows": batch.rows_total}
                )
                _enqueue(batch, "import", request.user)
            else:
                self.refuse_queue(batch)
            return redirect(self.batch_url)
        try:
            imported = _run_inline(request, batch, "import")
        except BusinessRuleError as exc:
            messages.error(request, str(exc))
            return redirect(self.batch_url)
        if imported is None:
            pass
        elif imported.status == ImportStatus.IMPORTED:
            counts = imported.counts or {}
            messages.success(
                request,
                IMPORTED_MESSAGE
                % {
                    "id": imported.pk,
                    "new": counts.get("new", 0),
                    "update": counts.get("update", 0),
                },
            )
        elif imported.status == ImportStatus.HAS_ERRORS:
            messages.error(request, IMPORT_NOW_HAS_ERRORS % {"id": imported.pk})
        else:
            _announce_check(request, imported)
        return redirect(self.batch_url)


class ImportUndoView(BatchMixin, View):
    """GET: what an undo would do; POST: undo the whole import."""

    template_name = "records/admin/imports/undo.html"

    def get(self, request, batch_id: int):
        batch = self.batch
        if batch.status != ImportStatus.IMPORTED:
            if batch.status == ImportStatus.UNDONE:
                messages.warning(request, batches._conflict(batch))
            return redirect(self.batch_url)
        if not self.may_act():
            return permission_denied(request)
        summary = undo_summary(batch)
        return TemplateResponse(
            request,
            self.template_name,
            {
                "page_title": gettext("Undo import #%(id)s") % {"id": batch.pk},
                "batch": batch,
                "record_title": record_title(batch.record_type),
                "added": summary["added"],
                "changed": summary["changed"],
                "batch_url": self.batch_url,
            },
        )

    def post(self, request, batch_id: int):
        if not self.may_act():
            return permission_denied(request)
        summary = undo_summary(self.batch)
        try:
            batch = batches.import_batch_undo(
                batch=self.batch, acting_user=request.user
            )
        except BusinessRuleError as exc:
            messages.error(request, str(exc))
            return redirect(self.batch_url)
        messages.success(
            request,
            UNDONE_MESSAGE
            % {
                "id": batch.pk,
                "deleted": summary["added"],
                "restored": summary["changed"],
            },
        )
        return redirect(self.batch_url)


class ImportErrorsView(BatchMixin, View):
    """The rows with errors, as they were in the file, with an "Errors" column first."""

    def get(self, request, batch_id: int):
        batch = self.batch
        errors = (batch.report or {}).get("errors") or {}
        if not errors:
            messages.warning(request, NO_ERROR_ROWS % {"id": batch.pk})
            return redirect(self.batch_url)
        try:
            table = batches.read_batch_table(batch)
        except SpreadsheetRefused as exc:
            messages.error(
                request, FILE_UNREADABLE % {"id": batch.pk, "reason": str(exc)}
            )
            return redirect(self.batch_url)
        width = len(table.headers)
        rows = (
            [errors[str(number)], *cells, *([""] * (width - len(cells)))]
            for number, cells in table.rows
            if str(number) in errors
        )
        return writers.export_response(
            headers=[gettext("Errors"), *table.headers],
            rows=rows,
            fmt="xlsx",
            filename_stem=f"import-{batch.pk}-errors",
        )


class ImportTemplateView(View):
    """An empty workbook with the headers, an example row and the rules."""

    def get(self, request, record_type: str):
        if record_type not in RESOURCES:
            raise Http404
        if not batches.import_allowed(request.user, record_type):
            return permission_denied(request)
        resource = resource_for(record_type)
        content = template_workbook(resource)
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = (
            f'attachment; filename="{record_type}-template.xlsx"'
        )
        return response


def template_workbook(resource) -> bytes:
    columns = resource.import_columns()
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet = workbook.add_worksheet(str(resource.title)[:31] or "Sheet1")
    for col, column in enumerate(columns):
        header = str(column.column_name)
        sheet.write_string(0, col, header, bold)
        example = column.example
        if isinstance(example, bool):
            example = gettext("Yes") if example else gettext("No")
        if isinstance(example, (int, float)):
            sheet.write_number(1, col, example)
        elif example not in (None, ""):
            sheet.write_string(1, col, str(example))
        sheet.set_column(col, col, max(12, min(40, len(header) + 2)))
    sheet.freeze_panes(1, 0)

    rules = workbook.add_worksheet(gettext("Rules")[:31])
    for col, title in enumerate(
        (gettext("Header"), gettext("Required"), gettext("Rule"))
    ):
        rules.write_string(0, col, title, bold)
    for row, column in enumerate(columns, start=1):
        rules.write_string(row, 0, str(column.column_name))
        rules.write_string(row, 1, gettext("Yes") if column.required else gettext("No"))
        rules.write_string(row, 2, column_rule(column), wrap)
    notes_row = len(columns) + 2
    for offset, note in enumerate(resource.template_notes):
        rules.write_string(notes_row + offset, 0, str(note))
    rules.set_column(0, 0, 28)
    rules.set_column(1, 1, 10)
    rules.set_column(2, 2, 60)
    workbook.close()
    return out.getvalue()


# --- Wiring (records/wagtail_hooks.py) -------------------------------------------------


def import_urlpatterns() -> list:
    """The admin URLs, under /admin/imports/ (``records_imports:*``)."""
    patterns = [
        path("", ImportIndexView.as_view(), name="index"),
        path("new/<slug:record_type>/", ImportUploadView.as_view(), name="new"),
        path(
            "template/<slug:record_type>.xlsx",
            ImportTemplateView.as_view(),
            name="template",
        ),
        path("<int:batch_id>/", ImportDetailView.as_view(), name="detail"),
        path("<int:batch_id>/progress/", ImportProgressView.as_view(), name="progress"),
        path("<int:batch_id>/check/", ImportCheckView.as_view(), name="check"),
        path("<int:batch_id>/confirm/", ImportConfirmView.as_view(), name="confirm"),
        path("<int:batch_id>/undo/", ImportUndoView.as_view(), name="undo"),
        path("<int:batch_id>/errors.xlsx", ImportErrorsView.as_view(), name="errors"),
    ]
    return [path("imports/", include((patterns, NAMESPACE), namespace=NAMESPACE))]


class ImportsMenuItem(MenuItem):
    """Shown to users who may import at least one record type."""

    def is_shown(self, request):
        return bool(batches.import_types_for(request.user))


def imports_menu_item() -> ImportsMenuItem:
    return ImportsMenuItem(
        _("Spreadsheet imports"),
        reverse_lazy(f"{NAMESPACE}:index"),
        name="spreadsheet-imports",
        icon_name="upload",
        order=230,
    )
