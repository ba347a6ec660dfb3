"""Settings shared by every environment.

Every switch is read from the environment here (see ``.env.example``); the
``dev``, ``test`` and ``production`` modules only change defaults.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CAMPUSDESK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "records",
    "workflows",
    "dashboards",
    "website",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "records.apps.CampusdeskUsersAppConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "guardian",
    "simple_history",
    "import_export",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "website.middleware.AdminAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "records.activity.ActivityContextMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "website.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "website.wsgi.application"

# Without DATABASE_URL the embedded default is SQLite in var/.
SQLITE_PATH = VAR_DIR / "campusdesk.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default must work on a fresh machine: create its folder.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the task worker and the web server use the file at the same time.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "records.User"
AUTHENTICATION_BACKENDS = [
    "records.auth.AccountStatusBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("bn", _("Bangla"))]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Asia/Dhaka")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "website" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
# Private uploads (student documents) are stored here and only served through
# permission-checked views, never from MEDIA_URL.
PRIVATE_MEDIA_ROOT = Path(
    os.environ.get("CAMPUSDESK_PRIVATE_MEDIA_ROOT", VAR_DIR / "private")
)

# Spreadsheet imports: files over these limits are refused up front, with the
# limit in the message; files with more rows than the inline limit are checked
# and imported by the task worker (manage.py db_worker) with a progress bar.
CAMPUSDESK_IMPORT_MAX_BYTES = int(
    os.environ.get("CAMPUSDESK_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
)
CAMPUSDESK_IMPORT_MAX_ROWS = int(os.environ.get("CAMPUSDESK_IMPORT_MAX_ROWS", 100_000))
CAMPUSDESK_IMPORT_MAX_UNZIPPED_BYTES = int(
    os.environ.get("CAMPUSDESK_IMPORT_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024)
)
CAMPUSDESK_IMPORT_MAX_CELLS = int(
    os.environ.get("CAMPUSDESK_IMPORT_MAX_CELLS", 4_000_000)
)
CAMPUSDESK_IMPORT_INLINE_ROWS = int(
    os.environ.get("CAMPUSDESK_IMPORT_INLINE_ROWS", 1000)
)

# A student is at risk when their attendance in the current semester is below
# this percentage (or they failed any marks record of it); used by the head's
# dashboards and the students listing's "At risk" filter.
CAMPUSDESK_AT_RISK_ATTENDANCE = int(os.environ.get("CAMPUSDESK_AT_RISK_ATTENDANCE", 75))

# Public forms (admission, teacher signup): submissions per IP address per hour.
CAMPUSDESK_ADMISSION_RATE_PER_HOUR = int(
    os.environ.get("CAMPUSDESK_ADMISSION_RATE_PER_HOUR", 10)
)

# The largest file a user may upload (documents, photos), in bytes.
CAMPUSDESK_MAX_UPLOAD_BYTES = int(
    os.environ.get("CAMPUSDESK_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024))
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# A 60-student attendance sheet or a marks grid posts a few hundred fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "campusdesk@localhost")

# Background work: django-tasks with the database backend (the same framework
# Wagtail 8 enqueues its own tasks with). Run `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

WAGTAIL_SITE_NAME = os.environ.get("CAMPUSDESK_SITE_NAME", "Campusdesk")
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_USER_LOGIN_FORM = "records.forms.AdminLoginForm"
WAGTAILADMIN_LOGIN_URL = "wagtailadmin_login"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = [
    "csv",
    "docx",
    "key",
    "odt",
    "pdf",
    "pptx",
    "rtf",
    "txt",
    "xlsx",
    "zip",
]

# Behind a reverse proxy that sets X-Forwarded-For, trust it for the client's IP.
CAMPUSDESK_TRUST_X_FORWARDED_FOR = env_bool("CAMPUSDESK_TRUST_X_FORWARDED_FOR", False)

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING"),
    },
}

# The password every demo account gets from `manage.py seed_demo`.
CAMPUSDESK_DEMO_PASSWORD = os.environ.get("CAMPUSDESK_DEMO_PASSWORD", "campusdesk-demo")

# --- REST API (/api/v1/, docs/api.md) ------------------------------------------------
# Scripts sign in with a per-user token (``Authorization: Token <key>``), browsers
# with the session cookie and a CSRF token. The token class comes first so that a
# request without credentials gets 401 with ``WWW-Authenticate: Token``.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "records.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "records.api_support.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "records.api_support.AnonRateThrottle",
        "records.api_support.UserRateThrottle",
    ],
    # Seed 001 section 7.5 rates; "login_*" count failed sign-ins (records.api_auth).
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("CAMPUSDESK_API_RATE_ANON", "100/hour"),
        "user": os.environ.get("CAMPUSDESK_API_RATE_USER", "1000/hour"),
        # The institute head: unlimited unless set (seed 001 §7.5).
        "head": os.environ.get("CAMPUSDESK_API_RATE_HEAD", "") or None,
        "login_ip": os.environ.get("CAMPUSDESK_API_RATE_LOGIN_IP", "20/15m"),
        "login_account": os.environ.get("CAMPUSDESK_API_RATE_LOGIN_ACCOUNT", "5/15m"),
    },
    # Behind one trusted proxy the client is the address it appended to
    # X-Forwarded-For; otherwise the header is ignored (it can be forged).
    "NUM_PROXIES": 1 if CAMPUSDESK_TRUST_X_FORWARDED_FOR else 0,
    "EXCEPTION_HANDLER": "records.api_support.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Campusdesk API",
    "DESCRIPTION": "The institute's records, admissions and approvals (docs/api.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from drf-spectacular-sidecar's static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "DivisionEnum": "records.models.Division.choices",
        "StudentStatusEnum": "records.models.StudentStatus.choices",
        "TeacherStatusEnum": "records.models.TeacherStatus.choices",
        "ShiftEnum": "records.models.Shift.choices",
        "RequestStatusEnum": "workflows.models.RequestStatus.choices",
    },
    "PREPROCESSING_HOOKS": ["records.api_support.only_api_v1"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "records.api_support.add_error_responses",
    ],
}
