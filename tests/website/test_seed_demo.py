from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from records.models import AcademicSession, Department, Teacher, User
from records.roles import AccountStatus, Role
from website.demo import DEMO_USERS, current_session_bounds


def snapshot():
    return {
        "departments": list(Department.objects.order_by("code").values()),
        "sessions": list(AcademicSession.objects.values()),
        "teachers": list(Teacher.objects.order_by("email").values()),
        "users": list(
            User.objects.order_by("username").values(
                "username", "role", "account_status", "first_name", "last_name"
            )
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_seed_demo_builds_the_institute_and_is_idempotent(settings):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = snapshot()
    assert len(first["departments"]) == 6
    assert {d["code"] for d in first["departments"]} == {
        "CST",
        "CT",
        "ET",
        "MT",
        "ENT",
        "PT",
    }
    assert AcademicSession.objects.filter(is_current=True).count() == 1
    assert Teacher.objects.count() >= 30
    assert all(d["head_id"] for d in first["departments"])
    printed = out.getvalue()
    for login in DEMO_USERS:
        assert login.username in printed
    assert settings.CAMPUSDESK_DEMO_PASSWORD in printed

    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    assert snapshot() == first


@pytest.mark.django_db
def test_every_demo_login_signs_in_with_its_role(client, settings):
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    for login in DEMO_USERS:
        user = User.objects.get(username=login.username)
        assert user.role == login.role
        assert user.account_status == AccountStatus.ACTIVE
        response = client.post(
            reverse("accounts:login"),
            {"username": login.username, "password": settings.CAMPUSDESK_DEMO_PASSWORD},
        )
        assert response.status_code == 302, login
        admin = client.get("/admin/")
        expected = (
            200
            if login.role in (Role.REGISTRAR, Role.INSTITUTE_HEAD, Role.TEACHER)
            else 403
        )
        assert admin.status_code == expected, login
        client.logout()
    teacher_user = User.objects.get(username="teacher")
    assert isinstance(teacher_user.profile, Teacher)


def test_current_session_follows_the_calendar():
    from datetime import date

    assert current_session_bounds(date(2026, 11, 23))[0] == "2026-27"
    assert current_session_bounds(date(2027, 3, 1))[0] == "2026-27"
    assert current_session_bounds(date(2027, 7, 1))[0] == "2027-28"
