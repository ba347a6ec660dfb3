"""Benchmarks: production-like (DEBUG off), on the server `make bench` starts."""

import os

os.environ.setdefault("DJANGO_DEBUG", "false")

from .base import *  # noqa: E402,F403

SECRET_KEY = "bench-only-insecure-key"  # noqa: S105
ALLOWED_HOSTS = ["*"]
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
    }
}

if os.environ.get("CAMPUSDESK_BENCH_URLS"):
    # The gunicorn of the admission-form benchmark also serves the baseline view.
    ROOT_URLCONF = "benchmarks.bench_urls"
    # ... and runs tasks as production does: the request queues the applicant's
    # e-mail in the database (one INSERT) and `manage.py db_worker` sends it.
    # (The benchmark process itself keeps running tasks at once.)
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Production's default cache: the database cache every server process shares
# (the admission benchmark's server runs once with it).
PRODUCTION_CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "campusdesk_cache",
    }
}
if os.environ.get("CAMPUSDESK_BENCH_CACHE") == "production":
    CACHES = PRODUCTION_CACHES
