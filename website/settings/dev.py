"""Local development: DEBUG on, SQLite in var/ unless DATABASE_URL is set."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")

from .base import *  # noqa: E402,F403
from .base import SECRET_KEY

if not SECRET_KEY:
    # Only for a developer's own machine; production refuses to start without one.
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
