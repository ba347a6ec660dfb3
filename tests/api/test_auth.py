"""Sign-in over the API: Property 2, CSRF, lockout, sign-out, password change."""

import copy

import pytest
from rest_framework.test import APIClient

from records.roles import AccountStatus, AdmissionStatus, Role
from tests.api.conftest import assert_error
from tests.factories import TEST_PASSWORD, UserFactory

LOGIN = "/api/v1/auth/login/"


def login(client, username, password=TEST_PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.fixture
def strict_login_limits(settings):
    rest = copy.deepcopy(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"].update(
        {"login_account": "3/15m", "login_ip": "5/15m"}
    )
    settings.REST_FRAMEWORK = rest


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.django_db
def test_login_returns_profile_with_role_and_admission_status(api, role):
    """Property 2, for every role."""
    user = UserFactory(role=role, account_status=AccountStatus.ACTIVE)
    response = login(api, user.username)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == user.username
    assert body["role"] == role
    assert body["admission_status"] == AdmissionStatus.NOT_STARTED
    assert body["account_status"] == AccountStatus.ACTIVE
    # Property 3: a student or captain not yet admitted goes to the admission form.
    assert body["needs_admission"] is (role in (Role.STUDENT, Role.CAPTAIN))
    # The session now works for the other endpoints.
    assert api.get("/api/v1/auth/me/").json()["id"] == user.pk


@pytest.mark.django_db
def test_me_links_the_student_profile(api, institute):
    api.force_login(institute.student_user)
    assert api.get("/api/v1/auth/me/").json()["student_id"] == institute.own_student.pk


@pytest.mark.django_db
def test_wrong_password_is_401(api, student):
    body = assert_error(login(api, student.username, "wrong"), 401)
    assert body["details"] == "Invalid username or password."
    assert_error(api.get("/api/v1/auth/me/"), 401)


@pytest.mark.django_db
def test_pending_teacher_is_told_why(api):
    teacher = UserFactory(role=Role.TEACHER)
    body = assert_error(login(api, teacher.username), 403)
    assert "waiting for approval" in body["details"]


@pytest.mark.django_db
def test_login_needs_a_csrf_token(student):
    client = APIClient(enforce_csrf_checks=True)
    assert_error(login(client, student.username), 403)
    token = client.get("/api/v1/auth/csrf/").json()["csrf_token"]
    assert login(client, student.username, HTTP_X_CSRFTOKEN=token).status_code == 200


@pytest.mark.django_db
def test_account_is_locked_after_failures_and_says_when(
    api, student, strict_login_limits
):
    for _ in range(2):
        assert_error(login(api, student.username, "wrong"), 401)
    response = login(api, student.username, "wrong")
    body = assert_error(response, 429)
    assert "Try again in 15 minute(s), after" in body["details"]
    assert 0 < int(response["Retry-After"]) <= 900
    # Even the right password waits until the lock ends.
    assert_error(login(api, student.username), 429)


@pytest.mark.django_db
def test_ip_is_locked_across_accounts(api, strict_login_limits):
    for n in range(4):
        assert_error(login(api, f"nobody{n}", "wrong"), 401)
    assert_error(login(api, "nobody9", "wrong"), 429)
    # Another address is not affected.
    other = login(api, "nobody9", "wrong", REMOTE_ADDR="10.0.0.9")
    assert_error(other, 401)


@pytest.mark.django_db
def test_success_clears_the_account_count(api, student, strict_login_limits):
    for _ in range(2):
        login(api, student.username, "wrong")
    assert login(api, student.username).status_code == 200
    for _ in range(2):
        assert_error(login(api, student.username, "wrong"), 401)


@pytest.mark.django_db
def test_logout(api, student):
    login(api, student.username)
    assert api.post("/api/v1/auth/logout/").status_code == 204
    assert_error(api.get("/api/v1/auth/me/"), 401)


@pytest.mark.django_db
def test_change_password(api, student):
    api.force_login(student)
    body = assert_error(
        api.post(
            "/api/v1/auth/change-password/",
            {"old_password": "wrong", "new_password": "another-long-secret-9"},
        ),
        400,
    )
    assert list(body["field_errors"]) == ["old_password"]
    body = assert_error(
        api.post(
            "/api/v1/auth/change-password/",
            {"old_password": TEST_PASSWORD, "new_password": "123"},
        ),
        400,
    )
    assert "new_password" in body["field_errors"]
    response = api.post(
        "/api/v1/auth/change-password/",
        {"old_password": TEST_PASSWORD, "new_password": "another-long-secret-9"},
    )
    assert response.status_code == 204
    assert api.get("/api/v1/auth/me/").status_code == 200  # still signed in
    student.refresh_from_db()
    assert student.check_password("another-long-secret-9")
