"""The settings switch and the production guard, each in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), 'host': db.get('HOST', '')}))"
)


def run(code: str, settings_module: str, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": settings_module, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_sqlite_in_var_is_the_embedded_default(tmp_path):
    result = run(PROBE, "website.settings.dev", CAMPUSDESK_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    db = json.loads(result.stdout)
    assert db["engine"] == "django.db.backends.sqlite3"
    assert db["name"] == str(tmp_path / "campusdesk.sqlite3")


def test_database_url_switches_to_postgresql():
    url = "postgres://campus:secret@db.example:5432/campusdesk"
    result = run(PROBE, "website.settings.dev", DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    db = json.loads(result.stdout)
    assert db["engine"] == "django.db.backends.postgresql"
    assert (db["name"], db["host"]) == ("campusdesk", "db.example")


def test_production_refuses_to_start_without_a_secret_key():
    result = run(PROBE, "website.settings.production")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_check_deploy_is_clean_in_production(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("DJANGO_", "DATABASE_URL"))
            },
            "DJANGO_SETTINGS_MODULE": "website.settings.production",
            "DJANGO_SECRET_KEY": "p9$Kq2!vXz7Lm4#Rt8Wn1@Yb6^Hc3&Jd5*Fg0(Se-Ua=Io+Ep-7Gh2Lk9Zx",
            "DJANGO_ALLOWED_HOSTS": "campusdesk.example.edu.bd",
            "CAMPUSDESK_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_processes_share_one_cache(tmp_path):
    """Lockouts and rate limits must count across server processes."""
    env = {
        "DJANGO_SECRET_KEY": "p9$Kq2!vXz7Lm4#Rt8Wn1@Yb6^Hc3&Jd5*Fg0(Se-Ua=Io+Ep-7Gh2Lk9Zx",
        "DJANGO_ALLOWED_HOSTS": "campusdesk.example.edu.bd",
        "CAMPUSDESK_VAR_DIR": str(tmp_path),
    }
    setup = "import django; django.setup(); from django.core.cache import cache; "
    migrate = run(
        setup + "from django.core.management import call_command; "
        "call_command('migrate', verbosity=0)",
        "website.settings.production",
        **env,
    )
    assert migrate.returncode == 0, migrate.stderr
    first = run(
        setup + "cache.set('lockout:probe', 7, 60)",
        "website.settings.production",
        **env,
    )
    assert first.returncode == 0, first.stderr
    second = run(
        setup + "print(cache.get('lockout:probe'))",
        "website.settings.production",
        **env,
    )
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "7"
