"""What every API view shares: the error format, pagination and the error schema.

Errors follow seed 000's format for every status code::

    {"error": "Not found", "details": "No Student matches the given query.",
     "field_errors": {}, "status_code": 404}

DRF loads this module while the app registry is still being populated (through
``REST_FRAMEWORK``), so nothing here imports models at module level.
"""

from __future__ import annotations

import logging

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, pagination, serializers, status, throttling
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger("campusdesk.api")

# The brief message of each status; ``details`` carries the specific reason.
ERROR_TITLES = {
    400: _("Invalid input"),
    401: _("Not signed in"),
    403: _("Permission denied"),
    404: _("Not found"),
    405: _("Method not allowed"),
    406: _("Not acceptable"),
    409: _("Conflict"),
    415: _("Unsupported media type"),
    429: _("Too many requests"),
    500: _("Server error"),
}
INVALID_INPUT_DETAILS = _("Correct the fields listed in field_errors.")
SERVER_ERROR_DETAILS = _(
    "Something went wrong on our side. The error has been logged; please try again."
)


class ConflictError(exceptions.APIException):
    """A broken business rule about the current state (already decided, ...)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the record.")
    default_code = "conflict"


class BusinessRuleInputError(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("The request breaks a rule of the institute.")
    default_code = "business_rule"


def _as_api_exception(exc):
    """Django's and our own exceptions as the DRF exceptions they stand for."""
    from .errors import BusinessRuleError

    if isinstance(exc, BusinessRuleError):
        # A rule about the record's state ("already approved") is a conflict;
        # an error may say it is about the input instead (status_code = 400).
        if getattr(exc, "status_code", status.HTTP_409_CONFLICT) == 400:
            return BusinessRuleInputError(detail=str(exc))
        return ConflictError(detail=str(exc))
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    return exc


def _flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as {"field.sub": [messages]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
    elif isinstance(errors, list) and any(isinstance(e, dict | list) for e in errors):
        for index, value in enumerate(errors):
            flat.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    elif isinstance(errors, list):
        flat[prefix] = [str(e) for e in errors]
    else:
        flat[prefix] = [str(errors)]
    return flat


def error_body(
    status_code: int, *, details: str = "", field_errors=None, error: str = ""
) -> dict:
    return {
        "error": str(error or ERROR_TITLES.get(status_code, _("Error"))),
        "details": str(details),
        "field_errors": field_errors or {},
        "status_code": status_code,
    }


def _validation_body(data) -> dict:
    if not isinstance(data, dict):
        data = {api_settings.NON_FIELD_ERRORS_KEY: data}
    flat = _flatten(data)
    general = flat.pop(api_settings.NON_FIELD_ERRORS_KEY, [])
    general += flat.pop(NON_FIELD_ERRORS, [])  # Django's "__all__"
    return error_body(
        400,
        details=" ".join(general) or INVALID_INPUT_DETAILS,
        field_errors=flat,
    )


def exception_handler(exc, context):
    """DRF's handler, answering in seed 000's format, also for 409 and 500."""
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Unexpected: log with the traceback, roll back, answer in our format.
        request = context.get("request")
        logger.error(
            "API error on %s %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc_info=exc,
        )
        set_rollback()
        return Response(
            error_body(500, details=SERVER_ERROR_DETAILS),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(response.data)
    else:
        data = response.data
        detail = data.get("detail", data) if isinstance(data, dict) else data
        if isinstance(detail, list):
            detail = " ".join(str(d) for d in detail)
        response.data = error_body(response.status_code, details=str(detail))
    return response


class _OurApiOnly:
    """Throttle /api/ only: Wagtail's admin API is DRF too and keeps its own pace."""

    def allow_request(self, request, view):
        if not request.path.startswith("/api/"):
            return True
        return super().allow_request(request, view)


class AnonRateThrottle(_OurApiOnly, throttling.AnonRateThrottle):
    """Anonymous clients, per IP address (``anon`` rate)."""


class UserRateThrottle(_OurApiOnly, throttling.UserRateThrottle):
    """Signed-in clients, per user (``user`` rate).

    The institute head (and a superuser) has the ``head`` rate instead:
    unlimited unless set (seed 001 §7.5, "Admin: unlimited").
    """

    def allow_request(self, request, view):
        from .roles import Role

        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) and (
            user.is_superuser or getattr(user, "role", None) == Role.INSTITUTE_HEAD
        ):
            self.scope = "head"
            self.rate = self.THROTTLE_RATES.get("head") or None
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages of 20; ``?page_size=`` asks for up to 100."""

    page_size_query_param = "page_size"
    max_page_size = 100


ERROR_STATUS_DESCRIPTIONS = {
    "400": "Invalid input: field_errors lists each field's messages.",
    "401": "Not signed in (no or invalid session or token).",
    "403": "Signed in, but not allowed (role, scope, CSRF).",
    "404": "No such record, or not one the user may see.",
    "415": "The body's Content-Type is not one the operation accepts.",
    "429": "Too many requests; Retry-After says when to try again.",
    "500": "Unexpected server error.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents its errors."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "description": "Seed 000's error format, used by every error response.",
        "properties": {
            "error": {"type": "string"},
            "details": {"type": "string"},
            "field_errors": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            "status_code": {"type": "integer"},
        },
        "required": ["error", "details", "field_errors", "status_code"],
    }
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUS_DESCRIPTIONS.items():
                if (
                    code == "400"
                    and method == "get"
                    and not operation.get("parameters")
                ):
                    continue
                if code == "415" and "requestBody" not in operation:
                    continue  # only a body has a Content-Type to refuse
                if code not in responses:
                    responses[code] = {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Error"}
                            }
                        },
                    }
    return result


def only_api_v1(endpoints):
    """drf-spectacular preprocessing hook: the schema covers /api/v1/ only.

    (Wagtail's admin API is DRF too, but it is not ours to publish.)
    """
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


# --- Id filters ------------------------------------------------------------------

MAX_ID = 2**63 - 1  # BigAutoField: larger ids cannot exist (nor reach the database)


class IdFilter(filters.NumberFilter):
    """A record id: a whole number within the id column's range (else 400)."""

    field_class = forms.IntegerField


def id_filter(field_name: str, label=None, **kwargs) -> IdFilter:
    """``?department=7``: a whole number from 1 to MAX_ID, never a 500."""
    return IdFilter(
        field_name=field_name, label=label, min_value=1, max_value=MAX_ID, **kwargs
    )


# --- Read-only choices that may be blank ------------------------------------------


class BlankChoicesMixin:
    """A ModelSerializer whose read-only choice fields keep ``allow_blank``.

    DRF drops ``allow_blank`` from fields listed in ``read_only_fields``, so the
    schema would promise one of the choices where the record holds "" (an
    optional religion, a division not given). With it the schema says "" too.
    """

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        blank = kwargs.get("allow_blank", False) and "choices" in kwargs
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank and kwargs.get("read_only"):
            kwargs["allow_blank"] = True
        return kwargs


# --- Times of day in the schema -----------------------------------------------------


class TimeOfDayFieldExtension(OpenApiSerializerFieldExtension):
    """A time of day is "09:00:00" (local, no offset), as DRF writes and reads it.

    OpenAPI's ``format: time`` is RFC 3339's full-time, which demands an
    offset ("09:00:00+06:00"): a client checking the schema would refuse our
    answers. The schema says what we send instead.
    """

    target_class = "rest_framework.fields.TimeField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "example": "09:00:00",
            "description": "A local time of day, HH:MM[:SS].",
        }


# --- One schema shape for a model viewset ----------------------------------------

WRITE_STATUS = {"create": 201, "update": 200, "partial_update": 200}


def model_viewset_schema(
    *,
    read,
    write,
    summaries: dict[str, str],
    errors: dict | None = None,
    destroy_errors: dict | None = None,
    **extra,
):
    """``extend_schema_view`` of a ModelViewSet: each action's summary; the
    writes take ``write`` and answer ``read`` (or ``errors``); ``extra`` adds
    the viewset's own actions as they are."""
    views = {}
    for action, summary in summaries.items():
        if action in WRITE_STATUS:
            views[action] = extend_schema(
                summary=summary,
                request=write,
                responses={WRITE_STATUS[action]: read, **(errors or {})},
            )
        elif action == "destroy":
            views[action] = extend_schema(
                summary=summary, responses={204: None, **(destroy_errors or {})}
            )
        else:
            views[action] = extend_schema(summary=summary)
    return extend_schema_view(**views, **extra)
