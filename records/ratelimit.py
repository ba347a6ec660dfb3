"""Counting attempts per key over a time window, in the shared cache.

The admission forms' hourly limit, the API's sign-in lockouts and its
registration limit count here. A window starts with a key's first attempt and
lasts ``window`` seconds; the count belongs to that window, so a count left
over from an earlier window is never added to.

Django's generic ``incr`` (used by the database and file caches, which have no
increment of their own) reads the value and writes it back with the cache's
default timeout: a count would be forgotten five minutes after its last
attempt, however long its window. After such an increment the count's expiry
is set back to the end of its window.
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache


class Window(NamedTuple):
    count: int
    reset_at: float  # epoch seconds


def attempt(key: str, window: int, *, now: float | None = None) -> Window:
    """Count one attempt for ``key``; the window's count so far, and its end."""
    now = time.time() if now is None else now
    reset_at = _window_end(key, window, now)
    timeout = max(1, math.ceil(reset_at - now))
    return Window(_increment(_count_key(key, reset_at), timeout), reset_at)


def peek(key: str, *, now: float | None = None) -> Window | None:
    """The current window's count without counting (None: no window is open)."""
    now = time.time() if now is None else now
    reset_at = cache.get(_reset_key(key))
    if reset_at is None or reset_at <= now:
        return None
    return Window(cache.get(_count_key(key, reset_at), 0), reset_at)


def clear(key: str) -> None:
    """Close the window: the next attempt starts a new one from zero."""
    cache.delete(_reset_key(key))


def _reset_key(key: str) -> str:
    return f"{key}:reset"


def _count_key(key: str, reset_at: float) -> str:
    return f"{key}:{round(reset_at * 1000)}"


def _window_end(key: str, window: int, now: float) -> float:
    reset_key = _reset_key(key)
    reset_at = cache.get(reset_key)
    if reset_at is not None and reset_at > now:  # the usual case: one read
        return reset_at
    if cache.add(reset_key, now + window, timeout=window):
        return now + window
    reset_at = cache.get(reset_key)  # another request opened the window
    if reset_at is None or reset_at <= now:  # or it ended meanwhile
        cache.set(reset_key, now + window, timeout=window)
        return now + window
    return reset_at


def _increment(key: str, timeout: int) -> int:
    try:
        count = cache.incr(key)
    except ValueError:  # the window's first attempt
        if cache.add(key, 1, timeout=timeout):
            return 1
        try:  # another request counted first
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=timeout)
            return 1
    if _incr_resets_expiry():
        cache.touch(key, timeout)
    return count


def _incr_resets_expiry() -> bool:
    return type(caches["default"]).incr is BaseCache.incr
