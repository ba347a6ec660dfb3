"""Import batches: upload, check (the preview), import, undo.

Each step is a service: one call, its own state check, an activity entry.
Checking and importing a large file run as a background task (``tasks.py``);
both record their progress on the batch so the page can show it after a
reload.
"""

from __future__ import annotations

import time
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import summaries
from ..activity import activity_record
from ..errors import BusinessRuleError
from ..history import revertable_fields
from ..models import ActivityAction, ImportBatch, ImportStatus
from .engine import Plan, run_import, write_history
from .intake import SpreadsheetRefused, read_table
from .resources import RESOURCES, resource_for

NOT_ALLOWED = _("You may not import %(records)s.")
ALREADY = _("Import #%(id)s was already %(status)s by %(user)s at %(time)s.")
NOT_CHECKED = _("Import #%(id)s is %(status)s; only a checked file can be imported.")
BUSY = _("Import #%(id)s is being %(what)s right now; wait for it to finish.")
UNDO_NOT_IMPORTED = _(
    "Import #%(id)s is %(status)s; only an imported batch can be undone."
)
UNDO_CHANGED_SINCE = _(
    "Import #%(id)s cannot be undone: %(count)d of its records were changed "
    "after it (e.g. %(example)s on %(date)s by %(user)s). Undo those changes first, "
    "or correct the records by hand."
)
UNDO_HAS_DEPENDANTS = _(
    "Import #%(id)s cannot be undone: %(example)s, added by it, now has %(what)s."
)
UNDO_REASON = "undo of import #%(id)s (%(name)s)"


def import_allowed(user, record_type: str) -> bool:
    """May the user import this record type at all? (Rows are scope-checked too.)"""
    if not (user.is_authenticated and user.is_active):
        return False
    model = RESOURCES[record_type]._meta.model
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.add_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )


def import_types_for(user) -> list[str]:
    return [name for name in RESOURCES if import_allowed(user, name)]


@transaction.atomic
def import_batch_create(*, record_type: str, uploaded_file, acting_user) -> ImportBatch:
    """Keep the uploaded file as a new batch (nothing is read or written yet)."""
    resource = resource_for(record_type)
    if not import_allowed(acting_user, record_type):
        raise BusinessRuleError(NOT_ALLOWED % {"records": resource.title})
    batch = ImportBatch(
        record_type=record_type,
        original_name=str(uploaded_file.name)[:255],
        file_size=uploaded_file.size or 0,
        created_by=acting_user,
    )
    batch.file.save(uploaded_file.name, uploaded_file, save=False)
    batch.save()
    return batch


def read_batch_table(batch: ImportBatch):
    with batch.file.open("rb") as handle:
        return read_table(handle, filename=batch.original_name)


def _progress(batch: ImportBatch):
    """A progress callback that writes rows done to the batch, at most twice a second."""
    last = [0.0]

    def report(done: int, total: int, phase: str) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5 and done < total:
            return
        last[0] = now
        ImportBatch.objects.filter(pk=batch.pk).update(
            rows_done=done, rows_total=total, phase=phase
        )

    return report


def _finish(batch: ImportBatch, plan: Plan | None, status: str, **extra) -> ImportBatch:
    batch.status = status
    batch.finished_at = timezone.now()
    if plan is not None:
        batch.counts = plan.counts
        batch.report = plan.as_report()
        batch.rows_done = batch.rows_total = plan.counts["total"]
    for name, value in extra.items():
        setattr(batch, name, value)
    batch.save()
    return batch


def _claim(batch: ImportBatch, *, allowed: tuple, to: str) -> bool:
    """Move the batch to ``to`` if (and only if) it is in ``allowed`` now."""
    claimed = ImportBatch.objects.filter(pk=batch.pk, status__in=allowed).update(
        status=to, started_at=timezone.now(), rows_done=0, phase=""
    )
    batch.refresh_from_db()
    return bool(claimed)


def import_batch_check(*, batch: ImportBatch, acting_user) -> ImportBatch:
    """The preview: a full dry run of the import, rolled back."""
    if not _claim(
        batch,
        allowed=(ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.HAS_ERRORS),
        to=ImportStatus.CHECKING,
    ):
        raise BusinessRuleError(_conflict(batch))
    try:
        table = read_batch_table(batch)
    except SpreadsheetRefused as exc:
        return _finish(
            batch,
            None,
            ImportStatus.REFUSED,
            report={"file_errors": [str(exc.message)]},
        )
    ImportBatch.objects.filter(pk=batch.pk).update(rows_total=len(table.rows))
    plan = run_import(
        resource_for(batch.record_type),
        table,
        user=acting_user,
        dry_run=True,
        reason=batch.reason,
        tag=batch.history_tag,
        progress=_progress(batch),
    )
    status = ImportStatus.CHECKED if plan.ok else ImportStatus.HAS_ERRORS
    return _finish(batch, plan, status)


def import_batch_confirm(*, batch: ImportBatch, acting_user) -> ImportBatch:
    """Import a checked batch: everything or nothing, exactly once."""
    if not _claim(batch, allowed=(ImportStatus.CHECKED,), to=ImportStatus.IMPORTING):
        raise BusinessRuleError(_conflict(batch))
    try:
        table = read_batch_table(batch)
    except SpreadsheetRefused as exc:
        return _finish(
            batch,
            None,
            ImportStatus.REFUSED,
            report={"file_errors": [str(exc.message)]},
        )
    plan = run_import(
        resource_for(batch.record_type),
        table,
        user=acting_user,
        dry_run=False,
        reason=batch.reason,
        tag=batch.history_tag,
        progress=_progress(batch),
    )
    if not plan.ok:
        # The records changed since the check: show what is wrong now.
        return _finish(batch, plan, ImportStatus.HAS_ERRORS)
    return _finish(
        batch,
        plan,
        ImportStatus.IMPORTED,
        imported_at=timezone.now(),
        imported_by=acting_user,
    )


def import_batch_fail(batch: ImportBatch, error: str) -> None:
    """A task crashed: say so on the batch instead of spinning forever."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.FAILED,
        finished_at=timezone.now(),
        report={"file_errors": [error]},
    )


def _who(user) -> str:
    if user is None:
        return gettext("someone")
    return user.get_full_name() or user.get_username()


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else ""


def _conflict(batch: ImportBatch) -> str:
    status = batch.get_status_display().lower()
    if batch.status == ImportStatus.IMPORTED:
        return str(
            ALREADY
            % {
                "id": batch.pk,
                "status": status,
                "user": _who(batch.imported_by),
                "time": _when(batch.imported_at),
            }
        )
    if batch.status == ImportStatus.UNDONE:
        return str(
            ALREADY
            % {
                "id": batch.pk,
                "status": status,
                "user": _who(batch.undone_by),
                "time": _when(batch.undone_at),
            }
        )
    if batch.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING):
        return str(BUSY % {"id": batch.pk, "what": status})
    return str(NOT_CHECKED % {"id": batch.pk, "status": status})


# --- Undo ----------------------------------------------------------------------------


@transaction.atomic
def import_batch_undo(*, batch: ImportBatch, acting_user) -> ImportBatch:
    """Undo a whole import while none of its records changed since.

    Records it added are deleted; records it changed get their values from
    the version before the import back. The undo is itself a batch of history
    rows (reason ``undo of import #12 (students.xlsx)``) and an activity entry.
    """
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.IMPORTED:
        if batch.status == ImportStatus.UNDONE:
            raise BusinessRuleError(_conflict(batch))
        raise BusinessRuleError(
            UNDO_NOT_IMPORTED
            % {"id": batch.pk, "status": batch.get_status_display().lower()}
        )
    if not import_allowed(acting_user, batch.record_type):
        raise BusinessRuleError(
            NOT_ALLOWED % {"records": resource_for(batch.record_type).title}
        )
    model = RESOURCES[batch.record_type]._meta.model
    history = model.history.model
    tag = batch.history_tag
    rows = list(
        history.objects.filter(history_batch=tag).values_list(
            "id", "history_type", "history_id", "history_date"
        )
    )
    created = [r[0] for r in rows if r[1] == "+"]
    updated = [r[0] for r in rows if r[1] == "~"]
    first_id = min((r[2] for r in rows), default=0)
    ids = created + updated
    objects = _locked(model, ids)
    _refuse_if_changed_since(batch, model, history, ids, first_id)
    _refuse_if_depended_on(batch, model, created)

    reason = UNDO_REASON % {"id": batch.pk, "name": batch.original_name}
    undo_tag = f"undo:{batch.pk}"
    now = timezone.now()
    deleted = [objects[pk] for pk in created if pk in objects]
    # The summary tables: the keys these records hold now and after the
    # restore, refreshed once at the end (records/summaries.py).
    with summaries.deferred():
        groups_before = summaries.touch_before_bulk_change(
            model, deleted + [objects[pk] for pk in updated if pk in objects]
        )
        write_history(
            model, deleted, "-", user=acting_user, reason=reason, tag=undo_tag, when=now
        )
        # Nothing refers to these records (checked above), so a plain DELETE is
        # safe; it also skips simple-history's per-object delete signal, which
        # would write a second, reason-less history row next to ours.
        for start in range(0, len(created), 2000):
            chunk = model._base_manager.filter(pk__in=created[start : start + 2000])
            chunk._raw_delete(chunk.db)

        restored = _restore_previous(model, history, updated, first_id, objects)
        write_history(
            model,
            restored,
            "~",
            user=acting_user,
            reason=reason,
            tag=undo_tag,
            when=now,
        )
        summaries.touch_after_bulk_change(model, restored, groups_before)
    batch.status = ImportStatus.UNDONE
    batch.undone_at = now
    batch.undone_by = acting_user
    batch.save(update_fields=["status", "undone_at", "undone_by"])
    activity_record(
        action=ActivityAction.REVERT,
        user=acting_user,
        entity_type=model._meta.model_name,
        entity_id=tag,
        description=reason,
        changes={"deleted": len(deleted), "restored": len(restored)},
    )
    return batch


def _locked(model, ids: list) -> dict:
    objects = {}
    for start in range(0, len(ids), 2000):
        objects.update(
            model._base_manager.select_for_update().in_bulk(ids[start : start + 2000])
        )
    return objects


def _refuse_if_changed_since(batch, model, history, ids, first_id) -> None:
    later = []
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        later.extend(
            history.objects.filter(id__in=chunk, history_id__gt=first_id)
            .exclude(history_batch=batch.history_tag)
            .select_related("history_user")
            .order_by("history_id")[:1]
        )
        if later:
            count = (
                history.objects.filter(id__in=ids, history_id__gt=first_id)
                .exclude(history_batch=batch.history_tag)
                .values("id")
                .distinct()
                .count()
            )
            first = later[0]
            raise BusinessRuleError(
                UNDO_CHANGED_SINCE
                % {
                    "id": batch.pk,
                    "count": count,
                    "example": first.instance
                    if first.history_type != "-"
                    else first.id,
                    "date": _when(first.history_date),
                    "user": _who(first.history_user),
                }
            )


def _refuse_if_depended_on(batch, model, created: list) -> None:
    if not created:
        return
    for relation in model._meta.related_objects:
        if relation.one_to_many or relation.one_to_one:
            related = relation.related_model
            if getattr(related, "_meta", None) is None or related._meta.auto_created:
                continue
            if related.__name__.startswith("Historical"):
                continue
            lookup = f"{relation.field.name}__in"
            for start in range(0, len(created), 2000):
                hit = (
                    related._base_manager.filter(
                        **{lookup: created[start : start + 2000]}
                    )
                    .values_list(relation.field.attname, flat=True)
                    .first()
                )
                if hit is not None:
                    example = model._base_manager.get(pk=hit)
                    raise BusinessRuleError(
                        UNDO_HAS_DEPENDANTS
                        % {
                            "id": batch.pk,
                            "example": example,
                            "what": related._meta.verbose_name_plural,
                        }
                    )


def _restore_previous(model, history, ids: list, first_id: int, objects: dict) -> list:
    if not ids:
        return []
    previous_ids = []
    for start in range(0, len(ids), 2000):
        previous_ids.extend(
            history.objects.filter(
                id__in=ids[start : start + 2000], history_id__lt=first_id
            )
            .values("id")
            .annotate(last=Max("history_id"))
            .values_list("last", flat=True)
        )
    fields = revertable_fields(model)
    by_id = defaultdict(lambda: None)
    for start in range(0, len(previous_ids), 2000):
        for row in history.objects.filter(
            history_id__in=previous_ids[start : start + 2000]
        ):
            by_id[row.id] = row
    restored = []
    now = timezone.now()
    for pk in ids:
        previous, obj = by_id[pk], objects.get(pk)
        if previous is None or obj is None:
            continue
        for f in fields:
            setattr(obj, f.attname, getattr(previous, f.attname))
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False):
                setattr(obj, f.attname, now)
        restored.append(obj)
    names = [f.attname for f in fields] + [
        f.attname for f in model._meta.concrete_fields if getattr(f, "auto_now", False)
    ]
    if restored:
        model._base_manager.bulk_update(restored, names, batch_size=500)
    return restored


def import_inline_rows() -> int:
    """Files up to this many rows are checked in the request; larger ones in a task."""
    return getattr(settings, "CAMPUSDESK_IMPORT_INLINE_ROWS", 1000)
