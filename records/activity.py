"""The activity log: one entry per thing that happened (seed 000 §8).

``activity_record`` is called by the services inside their transaction, so a
rolled-back change leaves no entry. The acting request (IP address, user
agent) comes from ``ActivityContextMiddleware`` through a context variable, so
services need no request argument.
"""

from __future__ import annotations

import contextvars
import datetime
import decimal
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.db import models
from django.dispatch import receiver

from .models import ActivityAction, ActivityLog, Department

_current_request: contextvars.ContextVar = contextvars.ContextVar(
    "campusdesk_request", default=None
)


class ActivityContextMiddleware:
    """Make the current request known to the activity log and history."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def current_request():
    return _current_request.get()


def client_ip(request) -> str | None:
    if request is None:
        return None
    if getattr(settings, "CAMPUSDESK_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def _json_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "storage"):  # FieldFile
        return value.name or ""
    return value


# Never written to the log, whatever the record: secrets and bookkeeping that
# changes on every save (it would make every update look like a change).
SECRET_FIELDS = frozenset({"password"})


def _is_noise(field) -> bool:
    return field.name in SECRET_FIELDS or getattr(field, "auto_now", False)


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The instance's field values as JSON-able data (choices as stored values).

    Passwords and ``auto_now`` timestamps are left out.
    """
    data = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if _is_noise(field):
            continue
        value = getattr(instance, field.attname)
        if isinstance(field, models.DecimalField) and isinstance(
            value, decimal.Decimal
        ):
            # As stored: 55 typed in is 55.00 in the database.
            value = value.quantize(decimal.Decimal(1).scaleb(-field.decimal_places))
        data[field.name] = _json_value(value)
    return data


def diff_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict]:
    """Property 20: {field: {"before": old, "after": new}} for changed fields only."""
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def created_changes(values: dict[str, Any]) -> dict[str, dict]:
    """A create's changes: every value, from nothing."""
    return {
        name: {"before": None, "after": value}
        for name, value in sorted(values.items())
        if value not in (None, "")
    }


def deleted_changes(values: dict[str, Any]) -> dict[str, dict]:
    """A delete's changes: every value, to nothing."""
    return {
        name: {"before": value, "after": None}
        for name, value in sorted(values.items())
        if value not in (None, "")
    }


def _department_of(instance) -> int | None:
    from .permissions import DEPARTMENT_PATH

    path = DEPARTMENT_PATH.get(instance._meta.model_name)
    if path is None:
        return None
    if path == "pk":
        return instance.pk if isinstance(instance, Department) else None
    target = instance
    parts = path.split("__")
    for part in parts[:-1]:
        target = getattr(target, part, None)
        if target is None:
            return None
    return getattr(target, f"{parts[-1]}_id", None)


def activity_record(
    *,
    action: str,
    user=None,
    instance: models.Model | None = None,
    entity_type: str = "",
    entity_id: str = "",
    description: str = "",
    changes: dict | None = None,
    department_id: int | None = None,
    request=None,
) -> ActivityLog:
    """Write one activity entry (call it inside the transaction of the change)."""
    request = request if request is not None else current_request()
    if user is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            user = request_user
    if instance is not None:
        entity_type = entity_type or instance._meta.model_name
        entity_id = entity_id or str(instance.pk)
        if department_id is None:
            department_id = _department_of(instance)
        description = description or str(instance)
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:1000] if request else ""
    return ActivityLog.objects.create(
        user=user if (user is not None and user.pk) else None,
        username=user.get_username() if user is not None else "",
        action_type=action,
        entity_type=entity_type,
        entity_id=entity_id,
        department_id=department_id,
        description=str(description)[:2000],
        changes=changes or {},
        ip_address=client_ip(request),
        user_agent=user_agent,
    )


def record_created(instance: models.Model, *, user=None, description: str = ""):
    """A create entry with the created values."""
    return activity_record(
        action=ActivityAction.CREATE,
        user=user,
        instance=instance,
        description=description,
        changes=created_changes(snapshot(instance)),
    )


def record_updated(
    instance: models.Model,
    before: dict[str, Any],
    *,
    user=None,
    description: str = "",
    after: dict[str, Any] | None = None,
):
    """An update entry with the changed fields only; nothing when nothing changed."""
    if after is None:
        after = snapshot(instance, list(before))
    changes = diff_changes(before, after)
    if not changes:
        return None
    return activity_record(
        action=ActivityAction.UPDATE,
        user=user,
        instance=instance,
        description=description,
        changes=changes,
    )


def record_deleted(instance: models.Model, *, user=None, description: str = ""):
    """A delete entry with the deleted values: call it *before* the delete.

    The entry sits in the same transaction, so a delete that fails (a protected
    relation) takes the entry with it.
    """
    return activity_record(
        action=ActivityAction.DELETE,
        user=user,
        instance=instance,
        description=description,
        changes=deleted_changes(snapshot(instance)),
    )


def stored_snapshot(instance: models.Model) -> dict[str, Any] | None:
    """The stored values of an object about to be saved (None when it is new)."""
    if instance.pk is None:
        return None
    stored = type(instance)._default_manager.filter(pk=instance.pk).first()
    return snapshot(stored) if stored is not None else None


def record_saved(instance: models.Model, before: dict[str, Any] | None, *, user=None):
    """A create entry, or an update entry against ``stored_snapshot``'s values."""
    if before is None:
        return record_created(instance, user=user)
    return record_updated(instance, before, user=user)


# --- Sign-in and sign-out -----------------------------------------------------------
# Connected at import time: the middleware (and the services) import this module.


@receiver(user_logged_in, dispatch_uid="campusdesk_activity_login")
def _on_login(sender, request, user, **kwargs):
    activity_record(
        action=ActivityAction.LOGIN,
        user=user,
        entity_type="user",
        entity_id=str(user.pk),
        description=f"{user.get_username()} signed in",
        request=request,
    )


@receiver(user_logged_out, dispatch_uid="campusdesk_activity_logout")
def _on_logout(sender, request, user, **kwargs):
    if user is None:  # signing out without being signed in
        return
    activity_record(
        action=ActivityAction.LOGOUT,
        user=user,
        entity_type="user",
        entity_id=str(user.pk),
        description=f"{user.get_username()} signed out",
        request=request,
    )


def _attempted_username(credentials: dict) -> str:
    from django.contrib.auth import get_user_model

    field = get_user_model().USERNAME_FIELD
    value = credentials.get(field, credentials.get("username", ""))
    return str(value or "")[:150]


@receiver(user_login_failed, dispatch_uid="campusdesk_activity_login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    # ``credentials`` has the password masked by Django; only the username is kept.
    username = _attempted_username(credentials)
    entry = ActivityLog(
        username=username,
        action_type=ActivityAction.LOGIN_FAILED,
        entity_type="user",
        description=f"failed sign-in as {username!r}",
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:1000] if request else "",
    )
    entry.save()


# --- Exports -------------------------------------------------------------------------


def record_export(*, request, model, rows: int, export_format: str) -> ActivityLog:
    """An export entry: the record type, the filters used and the row count."""
    filters = {
        key: values if len(values) > 1 else values[0]
        for key, values in request.GET.lists()
        if key != "export"
    }
    name = model._meta.model_name
    return activity_record(
        action=ActivityAction.EXPORT,
        entity_type=name,
        description=(
            f"exported {rows} {model._meta.verbose_name_plural} as {export_format}"
        ),
        changes={"format": export_format, "filters": filters, "rows": rows},
        request=request,
    )
