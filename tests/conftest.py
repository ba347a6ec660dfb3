import os

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

from records.roles import AccountStatus, Role
from tests.factories import TEST_PASSWORD, UserFactory

settings.register_profile(
    "campusdesk",
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "campusdesk"))


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL", "")
    kind = (
        "PostgreSQL" if url.startswith(("postgres://", "postgresql://")) else "SQLite"
    )
    return f"campusdesk database: {kind}"


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture
def make_user(db):
    def make(role: str = Role.STUDENT, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def registrar(make_user):
    """An institute-wide registrar (every department)."""
    from records import services

    user = make_user(Role.REGISTRAR, username="registrar1")
    return services.registrar_set_departments(
        user=user, departments=[], all_departments=True
    )


@pytest.fixture
def head(make_user):
    return make_user(Role.INSTITUTE_HEAD, username="head1")


@pytest.fixture
def active_teacher(make_user):
    return make_user(
        Role.TEACHER, username="teacher1", account_status=AccountStatus.ACTIVE
    )


@pytest.fixture
def student(make_user):
    return make_user(Role.STUDENT, username="student1")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (rate limits, cached counts)."""
    from django.core.cache import cache

    cache.clear()
    yield
