"""Record history: who changed what, when, from where and why; revert and restore.

django-simple-history is the one record of changes (Wagtail's log entries are
not read for records). This module

- stamps every historical row with the request's IP address and, where the
  writer gave no reason, a default one (``history_context_fill``);
- turns historical rows into field-level changes in a registrar's words
  (labels, names of related records, choice labels, Yes/No, dates);
- reverts a record to one of its versions (``record_revert``) and re-creates a
  deleted record from its last version (``record_restore``), each in one
  transaction with its activity-log entry.
"""

from __future__ import annotations

import datetime
import decimal
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .activity import activity_record, client_ip, current_request
from .errors import BusinessRuleError

# --- Reasons ------------------------------------------------------------------------

# A row written without a reason gets one from where the write came from.
REASON_ADMIN = "admin edit"  # a request to the back office (Wagtail admin)
REASON_WEBSITE = "website"  # a request to the public site or the portal
REASON_SYSTEM = "system"  # no request: management commands, shell, tasks
REASON_RESTORED = "restored from deletion"
REASON_REVERTED = "reverted to version of %(date)s by %(user)s"

REVERT_NOTHING = _("This version has the same values as the record today.")
RESTORE_EXISTS = _("%(record)s #%(pk)s exists; there is nothing to restore.")
RESTORE_NOT_LAST = _("This is not the last version of a deleted record.")
RESTORE_NO_FILE = _("A deleted document's file is gone; upload it again instead.")
SCOPE_REFUSED = _(
    "This version lies outside the records you manage, so it cannot be used."
)

EMPTY = "—"

TYPE_LABELS = {
    "+": _("Created"),
    "~": _("Changed"),
    "-": _("Deleted"),
}


def _admin_prefix() -> str:
    try:
        return reverse("wagtailadmin_home")
    except NoReverseMatch:  # pragma: no cover - the admin is always mounted
        return "/admin/"


def default_reason(request) -> str:
    """The reason a row gets when its writer gave none: where it came from."""
    if request is None:
        return REASON_SYSTEM
    if request.path.startswith(_admin_prefix()):
        return REASON_ADMIN
    return REASON_WEBSITE


def history_context_fill(sender, history_instance, **kwargs) -> None:
    """pre_create_historical_record receiver: IP address, user and default reason."""
    request = current_request()
    if not history_instance.history_ip_address:
        history_instance.history_ip_address = client_ip(request)
    if history_instance.history_user_id is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            history_instance.history_user = user
    if not history_instance.history_change_reason:
        history_instance.history_change_reason = default_reason(request)


# --- Fields in human terms ---------------------------------------------------------


def tracked_fields(model) -> list[models.Field]:
    """The model's fields that its history keeps (the original model's fields)."""
    return list(model.history.model.tracked_fields)


def revertable_fields(model) -> list[models.Field]:
    """Fields a revert or restore copies back.

    Left alone: the primary key, fields nobody edits (generated roll and
    registration numbers), automatic timestamps, and files (an older file may
    have been deleted from storage).
    """
    result = []
    for f in tracked_fields(model):
        if f.primary_key or not f.editable:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            continue
        if isinstance(f, models.FileField):
            continue
        result.append(f)
    return result


def field_label(f: models.Field) -> str:
    return capfirst(str(f.verbose_name))


class RelatedNames:
    """str() of the records behind foreign-key ids: one query per related model."""

    def __init__(self):
        self._wanted: dict[type, set] = defaultdict(set)
        self._found: dict[type, dict] = {}

    def want(self, f: models.Field, value) -> None:
        if f.is_relation and value is not None:
            self._wanted[f.related_model].add(value)

    def resolve(self) -> None:
        for model, ids in self._wanted.items():
            known = self._found.setdefault(model, {})
            missing = ids - known.keys()
            if missing:
                known.update(model._default_manager.in_bulk(sorted(missing)))

    def name(self, f: models.Field, value) -> str:
        obj = self._found.get(f.related_model, {}).get(value)
        if obj is None:
            return gettext("#%(id)s (deleted)") % {"id": value}
        return str(obj)


def display_value(f: models.Field, value, names: RelatedNames | None = None) -> str:
    """One stored value as a registrar reads it."""
    if value is None or value == "":
        return EMPTY
    if f.is_relation:
        return names.name(f, value) if names is not None else str(value)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.BooleanField):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, datetime.time):
        return formats.time_format(value, "TIME_FORMAT")
    if isinstance(value, decimal.Decimal):
        return formats.number_format(value)
    if isinstance(f, models.FileField):
        return str(value).rsplit("/", 1)[-1]
    return str(value)


@dataclass
class FieldChange:
    name: str
    label: str
    before: Any
    after: Any
    field: models.Field
    before_display: str = ""
    after_display: str = ""


@dataclass
class Version:
    """A historical row with what it changed compared with the version before."""

    row: Any
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def type_label(self) -> str:
        return str(TYPE_LABELS.get(self.row.history_type, self.row.history_type))

    @property
    def reason(self) -> str:
        return self.row.history_change_reason or ""

    @property
    def user(self):
        return self.row.history_user


def _compare(fields, old, new) -> list[FieldChange]:
    changes = []
    for f in fields:
        before = getattr(old, f.attname) if old is not None else None
        after = getattr(new, f.attname) if new is not None else None
        if before == after or (old is None and after in (None, "")):
            continue
        changes.append(FieldChange(f.name, field_label(f), before, after, f))
    return changes


def _display(changes: list[FieldChange], names: RelatedNames) -> None:
    for change in changes:
        names.want(change.field, change.before)
        names.want(change.field, change.after)
    names.resolve()
    for change in changes:
        change.before_display = display_value(change.field, change.before, names)
        change.after_display = display_value(change.field, change.after, names)


def describe_versions(model, rows, older=None) -> list[Version]:
    """Versions (newest first) with their changes against the version before.

    ``older`` is the row just before the last one of ``rows`` (the next page's
    first), so the oldest row of a page still shows what it changed.
    """
    fields = [f for f in tracked_fields(model) if not f.primary_key]
    rows = list(rows)
    versions = []
    for index, row in enumerate(rows):
        previous = rows[index + 1] if index + 1 < len(rows) else older
        if row.history_type == "-":
            changes = []
        else:
            changes = _compare(
                fields, None if row.history_type == "+" else previous, row
            )
        versions.append(Version(row=row, changes=changes))
    _display([c for v in versions for c in v.changes], RelatedNames())
    return versions


def older_row(instance_history, row):
    """The version just before ``row`` (one query)."""
    return (
        instance_history.filter(
            Q(history_date__lt=row.history_date)
            | Q(history_date=row.history_date, history_id__lt=row.history_id)
        )
        .order_by("-history_date", "-history_id")
        .first()
    )


# --- Revert -------------------------------------------------------------------------


def version_of(instance, history_id: int):
    """The historical row ``history_id`` of this record (DoesNotExist otherwise)."""
    return instance.history.get(history_id=history_id)


def revert_preview(instance, version) -> list[FieldChange]:
    """What a revert would change: today's value -> the version's value."""
    changes = _compare(revertable_fields(type(instance)), instance, version)
    _display(changes, RelatedNames())
    return changes


def _version_date(version) -> str:
    return formats.date_format(timezone.localtime(version.history_date), "Y-m-d H:i")


def _user_name(user) -> str:
    if user is None:
        return gettext("system")
    return user.get_full_name() or user.get_username()


def _stamp(instance, acting_user, reason: str) -> None:
    if acting_user is not None:
        instance._history_user = acting_user
    instance._change_reason = reason


def _after_save(instance, before) -> None:
    """Keep the object permissions that follow from a record's values in step."""
    from . import services
    from .models import ClassRoutine, Student, Teacher
    from .roles import Role

    if isinstance(instance, ClassRoutine):
        services.routine_sync_grants(routine=instance)
    elif isinstance(instance, Teacher):
        if before is None or before.user_id != instance.user_id:
            for routine in ClassRoutine.objects.filter(teacher=instance):
                services.routine_sync_grants(routine=routine)
    elif isinstance(instance, Student) and instance.user_id:
        if instance.user.role == Role.CAPTAIN:
            groups = {services._class_group_of(instance)}
            if before is not None:
                groups.add(services._class_group_of(before))
            for group in groups:
                services.class_group_sync_grants(**services.group_dict(group))


@transaction.atomic
def record_revert(*, instance, history_id: int, acting_user) -> models.Model:
    """Give a record the values of one of its versions; the revert is a new version.

    Raises ``ValidationError`` (nothing changes) when the version fails
    today's validation or lies outside the acting user's scope, and
    ``BusinessRuleError`` when the version equals today's record.
    """
    from .permissions import CHANGE, user_can_place

    model = type(instance)
    locked = model._default_manager.select_for_update().get(pk=instance.pk)
    version = version_of(locked, history_id)
    before = model._default_manager.get(pk=locked.pk)
    changes = revert_preview(locked, version)
    if not changes:
        raise BusinessRuleError(REVERT_NOTHING)
    for change in changes:
        setattr(locked, change.field.attname, change.after)
    locked.full_clean()
    if acting_user is not None and not user_can_place(acting_user, CHANGE, locked):
        raise ValidationError(SCOPE_REFUSED)
    _stamp(
        locked,
        acting_user,
        REASON_REVERTED
        % {"date": _version_date(version), "user": _user_name(acting_user)},
    )
    locked.save()
    _after_save(locked, before)
    activity_record(
        action="revert",
        user=acting_user,
        instance=locked,
        changes={
            c.name: {"before": c.before_display, "after": c.after_display}
            for c in changes
        },
        description=gettext("%(record)s reverted to the version of %(date)s")
        % {"record": locked, "date": _version_date(version)},
    )
    return locked


# --- Deleted records and restore ------------------------------------------------------


def deleted_rows(model) -> QuerySet:
    """The last historical row of each deleted record that no longer exists."""
    history = model.history.model
    later = history.objects.filter(id=OuterRef("id")).filter(
        Q(history_date__gt=OuterRef("history_date"))
        | Q(
            history_date=OuterRef("history_date"), history_id__gt=OuterRef("history_id")
        )
    )
    return (
        history.objects.filter(history_type="-")
        .exclude(id__in=model._default_manager.values("pk"))
        .exclude(Exists(later))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def deleted_scope_q(user, model, action: str) -> Q | None:
    """The permission scope of ``action`` applied to historical rows.

    A registrar sees the deleted records of their departments, read from the
    department the record had when it was deleted.
    """
    from .permissions import (
        ALL,
        DEPARTMENT_PATH,
        DEPARTMENTS,
        OWN_CLASSES,
        RULES,
        TEACHING,
        scope_q,
        user_scope,
    )

    if not (user.is_authenticated and user.is_active):
        return None
    if user.is_superuser:
        return Q()
    record = model._meta.model_name
    scope_name = RULES.get(getattr(user, "role", None), {}).get(record, {}).get(action)
    if scope_name is None:
        return None
    scope = user_scope(user)
    if scope_name == ALL or (scope_name == DEPARTMENTS and scope.all_departments):
        return Q()
    if scope_name in (DEPARTMENTS, TEACHING):
        ids = sorted(
            scope.managed_departments
            if scope_name == DEPARTMENTS
            else scope.teaching_departments
        )
        path = DEPARTMENT_PATH[record]
        if path is None:
            return Q()
        if path == "pk":
            return Q(id__in=ids)
        return Q(**{f"{path}__in": ids})
    if scope_name == OWN_CLASSES and record in ("attendancerecord", "marksrecord"):
        # Same field names on the historical rows.
        return scope_q(user, record, action)
    return Q(pk__in=[])


def deleted_rows_for_user(user, model, action: str = "history") -> QuerySet:
    q = deleted_scope_q(user, model, action)
    if q is None:
        return model.history.model.objects.none()
    return deleted_rows(model).filter(q)


def user_can_restore(user, model, row) -> bool:
    """ADD on the record type, for the department the deleted record had."""
    from .permissions import ADD, user_can_place

    if not (user.is_authenticated and user.is_active):
        return False
    if not user.is_superuser and not user.has_perm(
        f"{model._meta.app_label}.add_{model._meta.model_name}"
    ):
        return False
    try:
        return user_can_place(user, ADD, row.instance)
    except models.ObjectDoesNotExist:
        return False


@transaction.atomic
def record_restore(*, model, history_id: int, acting_user) -> models.Model:
    """Re-create a deleted record (same primary key) from its last version."""
    history = model.history.model
    row = history.objects.select_for_update().get(history_id=history_id)
    if (
        row.history_type != "-"
        or not deleted_rows(model).filter(history_id=row.history_id).exists()
    ):
        if model._default_manager.filter(pk=row.id).exists():
            raise BusinessRuleError(
                RESTORE_EXISTS
                % {"record": capfirst(model._meta.verbose_name), "pk": row.id}
            )
        raise BusinessRuleError(RESTORE_NOT_LAST)
    if any(isinstance(f, models.FileField) for f in tracked_fields(model)):
        raise BusinessRuleError(RESTORE_NO_FILE)
    instance = row.instance
    instance._state.adding = True
    instance.full_clean()
    if acting_user is not None and not user_can_restore(acting_user, model, row):
        raise ValidationError(SCOPE_REFUSED)
    _stamp(instance, acting_user, REASON_RESTORED)
    instance.save(force_insert=True)
    _after_save(instance, None)
    activity_record(
        action="restore",
        user=acting_user,
        instance=instance,
        description=gettext("%(record)s restored from deletion") % {"record": instance},
    )
    return instance


def history_user_label(user) -> str:
    if user is None:
        return gettext("system")
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()
