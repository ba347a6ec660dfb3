"""Counting attempts per window in the shared cache (records.ratelimit)."""

import time
from datetime import UTC

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings

from records import ratelimit

DATABASE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "campusdesk_test_cache",
    }
}


def test_attempts_count_within_their_window_and_start_again_after_it():
    start = 1_800_000_000.0
    assert ratelimit.peek("k", now=start) is None
    assert ratelimit.attempt("k", 60, now=start) == (1, start + 60)
    assert ratelimit.attempt("k", 60, now=start + 30) == (2, start + 60)
    assert ratelimit.peek("k", now=start + 59) == (2, start + 60)
    # The window has ended: its count is not carried into the next one.
    assert ratelimit.peek("k", now=start + 61) is None
    assert ratelimit.attempt("k", 60, now=start + 61) == (1, start + 121)


def test_clear_starts_a_new_window_from_zero():
    now = time.time()
    for _ in range(3):
        ratelimit.attempt("k", 900, now=now)
    ratelimit.clear("k")
    assert ratelimit.peek("k", now=now) is None
    assert ratelimit.attempt("k", 900, now=now + 1).count == 1


@pytest.mark.django_db
def test_on_the_database_cache_a_count_lasts_until_its_window_ends():
    """Django's generic incr would give the count the default 300 s to live."""
    with override_settings(CACHES=DATABASE_CACHE):
        call_command("createcachetable", verbosity=0)
        now = time.time()
        for _ in range(3):
            counted = ratelimit.attempt("campusdesk:rate:test", 3600)
        assert counted.count == 3
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT cache_key, expires FROM campusdesk_test_cache "
                "WHERE cache_key NOT LIKE %s",
                ["%:reset"],
            )
            (key, expires), *others = cursor.fetchall()
        assert not others, others
        if expires.tzinfo is None:  # SQLite: naive, in UTC
            expires = expires.replace(tzinfo=UTC)
        assert expires.timestamp() >= now + 3600 - 5, (key, expires)
        assert ratelimit.peek("campusdesk:rate:test").count == 3
