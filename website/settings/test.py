"""Settings for the pytest suite (SQLite by default, PostgreSQL via DATABASE_URL)."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("CAMPUSDESK_VAR_DIR", tempfile.mkdtemp(prefix="campusdesk-test-"))

from .base import *  # noqa: E402,F403
from .base import DATABASES

SECRET_KEY = "test-only-insecure-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
    }
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # An in-memory database per test run (and per xdist worker).
    DATABASES["default"]["TEST"] = {"NAME": None}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WAGTAILADMIN_BASE_URL = "http://testserver"

# Uploaded files of one test process (and one xdist worker) stay apart from
# the app's var/ folder and from other workers, so tests that count stored
# files see only their own.
PRIVATE_MEDIA_ROOT = Path(tempfile.gettempdir()) / (
    f"campusdesk-test-private-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"
    f"{os.getpid()}"
)
MEDIA_ROOT = PRIVATE_MEDIA_ROOT.with_name(PRIVATE_MEDIA_ROOT.name + "-public")
