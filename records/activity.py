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
from django.db import models

from .models import ActivityLog, Department

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


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The instance's field values as JSON-able data (choices as stored values)."""
    data = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        data[field.name] = _json_value(getattr(instance, field.attname))
    return data


def diff_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict]:
    """Property 20: {field: {"before": old, "after": new}} for changed fields only."""
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
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
) -> ActivityLog:
    """Write one activity entry (call it inside the transaction of the change)."""
    request = current_request()
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
