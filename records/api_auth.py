"""Signing in to the API: sessions with CSRF, per-user tokens, login lockout.

Tokens are Wagtail 8's ``wagtail.models.APIToken`` (one token model for the
project): only an HMAC-SHA256 digest of the key is stored, the key is shown
once. Scripts send ``Authorization: Token <key>`` (``Bearer`` works too).

Failed sign-ins are counted per IP address and per account in Django's cache;
over the limit, sign-in is refused with 429 and the time to retry.

DRF imports the authentication class while the app registry is still loading
(``REST_FRAMEWORK``), so models are imported inside functions here.
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from . import ratelimit

TOKEN_KEYWORDS = (b"token", b"bearer")
INVALID_TOKEN = _("Invalid or revoked API token.")
MALFORMED_TOKEN = _("Invalid Authorization header: use 'Token <key>'.")
ACCOUNT_CANNOT_USE_API = _(
    "This account cannot use the API: it is inactive, pending approval or suspended."
)
LOCKED_OUT = _(
    "Too many failed sign-in attempts. Try again in %(minutes)s minute(s), "
    "after %(time)s."
)


# --- Tokens -----------------------------------------------------------------------------


def _touch_last_used(token) -> None:
    from wagtail.models import APIToken

    interval = getattr(settings, "WAGTAILAPI_TOKEN_LAST_USED_INTERVAL", 60)
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= (
        interval or 0
    ):
        APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>``: the key's owner, if the token is not revoked.

    The owner must still be allowed to sign in (active account status), so
    suspending an account also stops its tokens.
    """

    def authenticate(self, request):
        from wagtail.models import APIToken

        from .auth import AccountStatusBackend

        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in TOKEN_KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(MALFORMED_TOKEN)
        try:
            key = parts[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(MALFORMED_TOKEN) from exc
        # The offline format check spares the database guessed keys.
        if not APIToken.validate_token_format(key):
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        token = (
            APIToken.objects.select_related("user")
            .filter(
                key_hash__in=APIToken.candidate_key_hashes(key),
                revoked_at__isnull=True,
            )
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        if not AccountStatusBackend().user_can_authenticate(token.user):
            raise exceptions.AuthenticationFailed(ACCOUNT_CANNOT_USE_API)
        _touch_last_used(token)
        return token.user, token

    def authenticate_header(self, request):
        return 'Token realm="api"'


@transaction.atomic
def api_token_create(*, user, name: str, acting_user=None):
    """A new token for ``user``: returns (token, key); the key is never stored."""
    from wagtail.models import APIToken

    from .activity import activity_record, created_changes

    token, key = APIToken.create_token(user=user, name=name)
    activity_record(
        action="create",
        user=acting_user or user,
        instance=token,
        entity_type="apitoken",
        description=f"API token {token.prefix}… created for {user.get_username()}",
        changes=created_changes({"name": name, "prefix": token.prefix}),
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token, acting_user=None):
    """Revoke a token (kept, with its revocation time, for the record)."""
    from wagtail.models import APIToken

    from .activity import activity_record

    token = APIToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoke()
    activity_record(
        action="update",
        user=acting_user or token.user,
        instance=token,
        entity_type="apitoken",
        description=f"API token {token.prefix}… revoked",
        changes={"revoked_at": {"before": None, "after": token.revoked_at.isoformat()}},
    )
    return token


# --- Login lockout ------------------------------------------------------------------------

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/15m" -> (5, 900); "20/hour" -> (20, 3600)."""
    match = _RATE.match(rate or "")
    if not match:
        raise ValueError(f"Not a rate: {rate!r} (use e.g. '5/15m' or '20/hour')")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNIT_SECONDS[unit.lower()]


def _login_limits(request, username: str):
    from rest_framework.settings import api_settings

    from .activity import client_ip

    rates = api_settings.DEFAULT_THROTTLE_RATES
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    return [
        (f"campusdesk:login:ip:{client_ip(request) or 'unknown'}", rates["login_ip"]),
        (f"campusdesk:login:account:{account}", rates["login_account"]),
    ]


def login_locked_until(request, username: str) -> float | None:
    """The time (epoch seconds) sign-in opens again, or None if it is open."""
    until = None
    for key, rate in _login_limits(request, username):
        limit, _window = parse_rate(rate)
        counted = ratelimit.peek(key)
        if counted is not None and counted.count >= limit:
            until = max(until or 0, counted.reset_at)
    return until


def login_failed(request, username: str) -> None:
    """Count one failed sign-in for the IP address and for the account."""
    for key, rate in _login_limits(request, username):
        _limit, window = parse_rate(rate)
        ratelimit.attempt(key, window)


def login_succeeded(request, username: str) -> None:
    """A correct password clears the account's count (not the IP address's)."""
    ratelimit.clear(_login_limits(request, username)[1][0])


def lockout_error(until: float) -> exceptions.Throttled:
    wait = max(1, int(until - time.time() + 0.999))
    at = timezone.localtime(datetime.fromtimestamp(until, tz=UTC))
    return exceptions.Throttled(
        wait=wait,
        detail=LOCKED_OUT
        % {"minutes": max(1, (wait + 59) // 60), "time": at.strftime("%H:%M")},
    )
