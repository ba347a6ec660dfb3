"""The import engine: plan every row, then write all of them or none.

A spreadsheet import has two phases.

1. **Plan** (reads only): map the headers to the resource's columns, read every
   cell with its widget, match each row to a record by its natural key, build
   the new or changed object, and validate it the way a save does (field
   validators, the model's ``clean()`` rules, uniqueness within the file and
   against the database, the user's permission scope). Related records are
   loaded once per import and existing records in chunks, so the cost is a
   handful of queries per thousand rows, not several per row.
2. **Write** (one transaction): lock the records being updated and check they
   still hold the values the plan saw, create the new ones with
   ``bulk_create``, update the changed ones with ``bulk_update``, write one
   history row per record (reason ``import #12 (students.xlsx)``, batch
   ``import:12``) and one activity entry for the batch.

The preview runs both phases and rolls the transaction back, so what it
accepts is exactly what the import writes.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import summaries
from ..activity import activity_record
from ..bulk import insert_rows, write_history
from ..models import ActivityAction
from ..permissions import ADD, CHANGE, scope_queryset, user_can, user_can_place
from .columns import CellError, Column, is_blank, normalize_header

if TYPE_CHECKING:
    from .intake import Table

NO_COLUMNS = _(
    "None of the column headers matches a %(record)s column. The first row must "
    "hold the headers, e.g. %(examples)s. Download the template to see them all."
)
MISSING_KEY = _("The file has no %(column)s column, which identifies each row.")
MISSING_FOR_NEW = _(
    "This row adds a new %(record)s, but the file has no column for: %(columns)s."
)
DUPLICATE_ROW = _("This row is the same %(record)s as row %(row)d (%(key)s).")
DUPLICATE_VALUE = _("%(value)s is also in row %(row)d; it must be unique.")
TAKEN_VALUE = _("%(value)s already belongs to %(other)s.")
OUT_OF_SCOPE_NEW = _(
    "You may not add this %(record)s: it is outside your departments or classes."
)
OUT_OF_SCOPE_CHANGE = _("You may not change %(record)s %(key)s.")
REQUIRED_CELL = _("This column is required; the cell is empty.")
READ_ONLY_CHANGED = _(
    "%(column)s cannot be changed by an import (it is %(old)s, the file says %(new)s)."
)
CHANGED_MEANWHILE = _(
    "%(count)d of the records in this file were changed by someone else after "
    "the check (e.g. %(example)s). Check the file again."
)
WRITE_FAILED = _("The database refused the import: %(error)s. Nothing was written.")

PROGRESS_EVERY = 500
REPORT_LIMIT = 5000  # rows with changes or errors kept for the preview page


@dataclass
class RowResult:
    number: int
    action: str = "new"  # new | update | unchanged | error
    label: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def error(self, column: str, message: Any) -> None:
        self.errors.append((str(column), str(message)))
        self.action = "error"


@dataclass
class Plan:
    resource: Any
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    new: list[models.Model] = field(default_factory=list)
    updates: list[tuple[models.Model, dict[str, Any]]] = field(default_factory=list)
    update_fields: set[str] = field(default_factory=set)
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        counts = {"new": 0, "update": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            counts[row.action] += 1
        counts["total"] = len(self.rows)
        return counts

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.action == "error" for r in self.rows)

    def error_messages(self) -> dict[int, str]:
        """Row number -> the row's errors in one line (for the error report)."""
        return {
            row.number: "; ".join(
                f"{column}: {message}" if column else message
                for column, message in row.errors
            )
            for row in self.rows
            if row.errors
        }

    def as_report(self) -> dict:
        """What the preview page shows (kept on the batch as JSON)."""
        shown = [r for r in self.rows if r.action in ("error", "update")]
        new_rows = [r for r in self.rows if r.action == "new"]
        return {
            "columns": self.columns,
            "ignored_columns": self.ignored_columns,
            "file_errors": self.file_errors,
            "rows": [
                {
                    "row": r.number,
                    "action": r.action,
                    "label": r.label,
                    "changes": r.changes,
                    "errors": r.errors,
                }
                for r in (shown + new_rows)[:REPORT_LIMIT]
            ],
            "errors": {str(k): v for k, v in self.error_messages().items()},
            "seconds": round(self.seconds, 3),
        }


class _Rollback(Exception):
    pass


Progress = Callable[[int, int, str], None]


def _noop(done: int, total: int, phase: str) -> None:
    return None


def map_headers(
    resource, headers: list[str]
) -> tuple[list[tuple[int, Column]], list[str]]:
    """Columns by position, and the headers nothing matched."""
    by_key: dict[str, Column] = {}
    for column in resource.import_columns():
        for key in column.header_keys():
            by_key.setdefault(key, column)
    mapping, ignored, used = [], [], set()
    for index, header in enumerate(headers):
        column = by_key.get(normalize_header(header))
        if column is None or column.attribute in used:
            if str(header).strip():
                ignored.append(str(header))
            continue
        used.add(column.attribute)
        mapping.append((index, column))
    return mapping, ignored


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        result = {}
        for name, errors in exc.error_dict.items():
            messages = []
            for error in errors:
                if getattr(error, "code", None) in ("null", "blank", "required"):
                    messages.append(str(REQUIRED_CELL))
                else:
                    messages.extend(error.messages)
            result[name] = messages
        return result
    return {NON_FIELD_ERRORS: list(exc.messages)}


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    return str(value)


def plan_import(resource, table: Table, *, user, progress: Progress = _noop) -> Plan:
    """Read and validate every row; write nothing."""
    started = time.perf_counter()
    plan = Plan(resource=resource)
    model = resource.model
    record_name = str(model._meta.verbose_name)
    mapping, plan.ignored_columns = map_headers(resource, table.headers)
    plan.columns = [str(column.column_name) for _i, column in mapping]
    if not mapping:
        examples = ", ".join(str(c.column_name) for c in resource.import_columns()[:3])
        plan.file_errors.append(
            str(NO_COLUMNS % {"record": record_name, "examples": examples})
        )
        return plan
    mapped = {column.attribute for _i, column in mapping}
    missing_key = [c for c in resource.key_columns() if c.attribute not in mapped]
    if missing_key and not resource.key_optional:
        plan.file_errors.append(
            str(MISSING_KEY % {"column": missing_key[0].column_name})
        )
        return plan
    missing_for_new = [
        str(c.column_name)
        for c in resource.import_columns()
        if c.required and c.attribute not in mapped
    ]

    context: dict = {"user": user, "mapped": {c.attribute for _i, c in mapping}}
    total = len(table.rows)
    # Related records: one or two queries per related model for the whole file.
    for index, column in mapping:
        loader = getattr(column.widget, "load", None)
        if loader is not None:
            loader(
                (row[index] if index < len(row) else "" for _n, row in table.rows),
                context,
            )
    resource.before_plan(context)

    parsed: list[tuple[RowResult, dict[str, Any]]] = []
    for position, (number, cells) in enumerate(table.rows, start=1):
        result = RowResult(number=number)
        values: dict[str, Any] = {}
        for index, column in mapping:
            raw = cells[index] if index < len(cells) else ""
            try:
                values[column.attribute] = column.widget.read(raw, context)
            except CellError as exc:
                result.error(column.column_name, exc)
            except ValidationError as exc:
                result.error(column.column_name, " ".join(exc.messages))
        parsed.append((result, values))
        plan.rows.append(result)
        if position % PROGRESS_EVERY == 0:
            progress(position // 2, total, "reading")

    context["all_rows"] = [v for r, v in parsed if r.action != "error"]
    existing = resource.fetch_existing(context["all_rows"], context)
    allowed_existing = _changeable(user, model, existing)

    seen_keys: dict[Any, int] = {}
    unique_seen: dict[str, dict[Any, int]] = {
        name: {} for name in resource.unique_fields
    }
    candidates: list[tuple[RowResult, models.Model, dict | None]] = []
    for position, (result, values) in enumerate(parsed, start=1):
        if position % PROGRESS_EVERY == 0:
            progress(total // 2 + position // 2, total, "checking")
        if result.action == "error":
            continue
        key = resource.key_of(values)
        result.label = resource.row_label(values)
        if key is not None:
            if key in seen_keys:
                result.error(
                    "",
                    DUPLICATE_ROW
                    % {
                        "record": record_name,
                        "row": seen_keys[key],
                        "key": result.label,
                    },
                )
                continue
            seen_keys[key] = result.number
        instance = existing.get(key) if key is not None else None
        if instance is None:
            instance = resource.existing_by_identity(values, context)
        if instance is None:
            if missing_for_new:
                result.error(
                    "",
                    MISSING_FOR_NEW
                    % {"record": record_name, "columns": ", ".join(missing_for_new)},
                )
                continue
            obj = resource.new_instance(values, context)
            before = None
            result.action = "new"
        else:
            if not result.label:
                result.label = str(instance)
            obj = copy.copy(instance)
            before = {}
            for _index, column in mapping:
                name = column.attribute
                if name not in values:
                    continue
                model_field = model._meta.get_field(name)
                old = getattr(instance, model_field.attname)
                new = values[name]
                new_raw = new.pk if model_field.is_relation and new is not None else new
                if (
                    model_field.null is False
                    and new_raw is None
                    and not model_field.is_relation
                ):
                    new_raw = "" if isinstance(old, str) else new_raw
                if _same(old, new_raw) or (
                    getattr(column.widget, "lower", False)
                    and isinstance(old, str)
                    and isinstance(new_raw, str)
                    and old.casefold() == new_raw.casefold()
                ):
                    continue
                if name in resource.locked_fields:
                    if is_blank(new):
                        continue  # matched by another key; the number stays

                    result.error(
                        column.column_name,
                        READ_ONLY_CHANGED
                        % {
                            "column": column.column_name,
                            "old": _display(
                                column.widget.export(getattr(instance, name))
                            ),
                            "new": _display(column.widget.export(new)),
                        },
                    )
                    continue
                before[name] = old
                setattr(obj, name, new)
                result.changes.append(
                    (
                        str(column.column_name),
                        _display(column.widget.export(getattr(instance, name))),
                        _display(column.widget.export(new)),
                    )
                )
            if result.action == "error":
                continue
            if not before:
                result.action = "unchanged"  # no right is needed to change nothing
                continue
            if instance.pk not in allowed_existing and not user_can(
                user, CHANGE, instance
            ):
                result.changes.clear()
                result.error(
                    "",
                    OUT_OF_SCOPE_CHANGE % {"record": record_name, "key": result.label},
                )
                continue
            result.action = "update"
        context["row_number"] = result.number
        errors = resource.validate(obj, before, context)
        for name, messages in errors.items():
            column_name = resource.header_for(name)
            for message in messages:
                result.error(column_name, message)
        if result.action == "error":
            continue
        if not user_can_place(user, ADD if before is None else CHANGE, obj):
            result.error(
                "",
                OUT_OF_SCOPE_NEW % {"record": record_name}
                if before is None
                else OUT_OF_SCOPE_CHANGE % {"record": record_name, "key": result.label},
            )
            continue
        for name in resource.unique_fields:
            value = getattr(obj, name)
            if is_blank(value) or (before is not None and name not in before):
                continue
            norm = str(value).casefold()
            if norm in unique_seen[name]:
                result.error(
                    resource.header_for(name),
                    DUPLICATE_VALUE % {"value": value, "row": unique_seen[name][norm]},
                )
            else:
                unique_seen[name][norm] = result.number
        if result.action == "error":
            continue
        candidates.append((result, obj, before))

    _check_unique_against_database(resource, candidates)
    for result, obj, before in candidates:
        if result.action == "error":
            continue
        if before is None:
            plan.new.append(obj)
        else:
            plan.updates.append((obj, before))
            plan.update_fields.update(before)
    progress(total, total, "checked")
    plan.seconds = time.perf_counter() - started
    return plan


def _same(old: Any, new: Any) -> bool:
    if old == new:
        return True
    if old in (None, "") and new in (None, ""):
        return True
    return False


def _changeable(user, model, existing: dict) -> set:
    ids = [obj.pk for obj in existing.values()]
    allowed: set = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        allowed.update(
            scope_queryset(
                user, model._base_manager.filter(pk__any=chunk), CHANGE
            ).values_list("pk", flat=True)
        )
    return allowed


def _check_unique_against_database(resource, candidates) -> None:
    model = resource.model
    for name in resource.unique_fields:
        if resource.key == (name,):
            continue  # new rows' keys were looked up already: none exists
        wanted: dict[str, list] = {}
        for result, obj, before in candidates:
            value = getattr(obj, name)
            if is_blank(value) or (before is not None and name not in before):
                continue
            wanted.setdefault(value, []).append((result, obj))
        if not wanted:
            continue
        values = list(wanted)
        for start in range(0, len(values), 2000):
            chunk = values[start : start + 2000]
            for other in model._base_manager.filter(**{f"{name}__any": chunk}):
                for result, obj in wanted.get(getattr(other, name), []):
                    if obj.pk != other.pk and result.action != "error":
                        result.error(
                            resource.header_for(name),
                            TAKEN_VALUE
                            % {"value": getattr(other, name), "other": other},
                        )


# --- Writing -------------------------------------------------------------------------


@dataclass
class WriteResult:
    created: list[models.Model]
    updated: list[models.Model]


def write_plan(
    plan: Plan, *, user, reason: str, tag: str, with_history: bool = True
) -> WriteResult:
    """Write a clean plan (call inside ``transaction.atomic``)."""
    resource = plan.resource
    model = resource.model
    now = timezone.now()
    updated = []
    if plan.updates:
        pks = [obj.pk for obj, _before in plan.updates]
        current: dict = {}
        for start in range(0, len(pks), 2000):
            chunk = pks[start : start + 2000]
            current.update(model._base_manager.select_for_update().in_bulk(chunk))
        stale = []
        for obj, before in plan.updates:
            now_obj = current.get(obj.pk)
            if now_obj is None or any(
                getattr(now_obj, model._meta.get_field(name).attname) != old
                for name, old in before.items()
            ):
                stale.append(obj)
        if stale:
            raise ValidationError(
                CHANGED_MEANWHILE % {"count": len(stale), "example": stale[0]}
            )
        fields = sorted(plan.update_fields)
        for obj, _before in plan.updates:
            resource.before_save(obj, now)
            updated.append(obj)
        fields += [f for f in resource.touch_fields if f not in fields]
        model._base_manager.bulk_update(updated, fields, batch_size=500)
    created = plan.new
    if created:
        resource.before_create(created, now)
        insert_rows(model, created)
    summaries.touch_import(model, created, plan.updates)
    if with_history:  # off only in the benchmark that prices history
        write_history(model, created, "+", user=user, reason=reason, tag=tag, when=now)
        write_history(model, updated, "~", user=user, reason=reason, tag=tag, when=now)
    return WriteResult(created=created, updated=updated)


def run_import(
    resource,
    table: Table,
    *,
    user,
    dry_run: bool,
    reason: str,
    tag: str,
    description: str = "",
    progress: Progress = _noop,
    with_history: bool = True,
) -> Plan:
    """Plan, then write everything or nothing; a dry run rolls the write back."""
    plan = plan_import(resource, table, user=user, progress=progress)
    if not plan.ok:
        return plan
    progress(len(table.rows), len(table.rows), "writing")
    try:
        # A dry run's exception leaves the summaries untouched: it rolls back.
        with transaction.atomic(), summaries.deferred():
            result = write_plan(
                plan, user=user, reason=reason, tag=tag, with_history=with_history
            )
            counts = plan.counts
            activity_record(
                action=ActivityAction.IMPORT,
                user=user,
                entity_type=model_name(resource),
                entity_id=tag,
                description=description
                or f"{reason}: {counts['new']} new, {counts['update']} updated",
                changes={
                    "counts": counts,
                    "created": len(result.created),
                    "updated": len(result.updated),
                    "dry_run": dry_run,
                },
            )
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    except ValidationError as exc:
        plan.file_errors.extend(exc.messages)
    except (IntegrityError, DatabaseError) as exc:
        plan.file_errors.append(str(WRITE_FAILED % {"error": str(exc).splitlines()[0]}))
    return plan


def model_name(resource) -> str:
    return resource.model._meta.model_name


def field_header(model, name: str) -> str:
    try:
        return capfirst(str(model._meta.get_field(name).verbose_name))
    except Exception:  # noqa: BLE001 - NON_FIELD_ERRORS and the like
        return ""
