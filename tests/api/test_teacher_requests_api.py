"""Teacher signup requests over the API: seed 000 §3, Properties 1 and 4."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from records.models import Teacher, User
from records.roles import AccountStatus, Role
from tests.api.conftest import assert_error
from tests.api.test_admissions_api import shipped_workflows  # noqa: F401 (a fixture)
from workflows import services
from workflows.models import RequestStatus, TeacherSignupRequest

SIGNUP = "/api/v1/teachers/signup-request/"
REQUESTS = "/api/v1/teachers/requests/"
PASSWORD = "Kaliakair-2026-gazipur"

pytestmark = pytest.mark.usefixtures("shipped_workflows")

_numbers = iter(range(10**6))


def signup_data(department, **over) -> dict:
    n = next(_numbers)
    data = {
        "full_name_english": "Farhana Akter",
        "full_name_bangla": "ফারহানা আক্তার",
        "email": f"farhana{n}@example.com",
        "mobile_number": "01712345678",
        "designation": "Instructor",
        "department": department.pk,
        "qualifications": "B.Sc. in CSE",
        "specializations": "Networks",
        "username": f"farhana{n}",
        "password": PASSWORD,
    }
    data.update(over)
    return data


@pytest.fixture
def make_signup(institute):
    def make(department=None, **over):
        data = signup_data(department or institute.department_a, **over)
        from records.models import Department

        data["department"] = Department.objects.get(pk=data["department"])
        return services.teacher_signup_submit(**data)

    return make


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def approve(client, signup, **data):
    return client.post(f"{REQUESTS}{signup.pk}/approve/", data, format="json")


def reject(client, signup, **data):
    return client.post(f"{REQUESTS}{signup.pk}/reject/", data, format="json")


@pytest.mark.django_db
def test_anyone_asks_for_a_teacher_account(api, institute):
    response = api.post(SIGNUP, signup_data(institute.department_a), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    signup = TeacherSignupRequest.objects.get()
    assert body["id"] == signup.pk
    assert body["status"] == RequestStatus.PENDING
    assert body["stage"]["name"] == "Head approval"
    assert body["department"]["code"] == "APA"
    assert "password" not in body and "password_hash" not in body
    # Hashed at once; no account until approved (Property 1: pending till then).
    assert signup.password_hash != PASSWORD
    assert signup.password_hash.startswith(("pbkdf2", "argon2", "md5", "bcrypt"))
    assert not User.objects.filter(username=signup.username).exists()


@pytest.mark.django_db
def test_signup_validation(api, institute):
    department = institute.department_a
    body = assert_error(
        api.post(SIGNUP, signup_data(department, mobile_number="0171"), "json"), 400
    )
    assert "mobile_number" in body["field_errors"]
    body = assert_error(
        api.post(SIGNUP, signup_data(department, password="123"), "json"), 400
    )
    assert body["field_errors"]["password"]
    body = assert_error(
        api.post(SIGNUP, signup_data(department, username="api_teacher"), "json"), 400
    )
    assert body["field_errors"]["username"] == ["This username is taken."]
    body = assert_error(
        api.post(SIGNUP, {**signup_data(department), "department": 999999}, "json"), 400
    )
    assert "department" in body["field_errors"]
    first = signup_data(department)
    assert api.post(SIGNUP, first, format="json").status_code == 201
    body = assert_error(
        api.post(SIGNUP, signup_data(department, email=first["email"]), "json"), 400
    )
    assert "email" in body["field_errors"]
    body = assert_error(api.post(SIGNUP, {}, format="json"), 400)
    assert {"full_name_english", "email", "username", "password"} <= set(
        body["field_errors"]
    )
    assert TeacherSignupRequest.objects.count() == 1


@pytest.mark.django_db
def test_signups_are_limited_per_address(api, institute, settings):
    settings.CAMPUSDESK_ADMISSION_RATE_PER_HOUR = 1
    assert api.post(SIGNUP, signup_data(institute.department_a), "json").status_code
    assert_error(api.post(SIGNUP, signup_data(institute.department_a), "json"), 429)
    assert TeacherSignupRequest.objects.count() == 1


@pytest.mark.django_db
def test_who_sees_which_requests(api, institute, make_signup):
    in_a = make_signup(institute.department_a)
    in_b = make_signup(institute.department_b)
    assert_error(api.get(REQUESTS), 401)
    expected = {
        institute.head: {in_a.pk, in_b.pk},
        institute.registrar_all: {in_a.pk, in_b.pk},
        institute.registrar_a: {in_a.pk},
        institute.teacher: set(),
        institute.student_user: set(),
    }
    for user, visible in expected.items():
        api.force_login(user)
        assert ids(api.get(REQUESTS)) == visible, user
        for signup in (in_a, in_b):
            response = api.get(f"{REQUESTS}{signup.pk}/")
            if signup.pk in visible:
                assert response.status_code == 200
                assert "password_hash" not in response.json()
            else:
                assert_error(response, 404)


@pytest.mark.django_db
def test_pending_by_default_and_filters(api, institute, make_signup):
    pending = make_signup(full_name_english="Jamal Hossain")
    rejected = make_signup(institute.department_b, mobile_number="01898765432")
    services.request_reject(request=rejected, acting_user=institute.head, note="No")
    api.force_login(institute.head)
    assert ids(api.get(REQUESTS)) == {pending.pk}
    assert ids(api.get(REQUESTS, {"status": "rejected"})) == {rejected.pk}
    assert ids(api.get(REQUESTS, {"status": ""})) == {pending.pk, rejected.pk}
    assert ids(
        api.get(REQUESTS, {"status": "", "department": institute.department_b.pk})
    ) == {rejected.pk}
    assert ids(api.get(REQUESTS, {"search": "jamal"})) == {pending.pk}
    assert ids(api.get(REQUESTS, {"status": "", "search": "01898765432"})) == {
        rejected.pk
    }
    today = str(pending.submitted_at.date())
    assert ids(api.get(REQUESTS, {"status": "", "submitted_at_after": today})) == {
        pending.pk,
        rejected.pk,
    }
    assert (
        ids(api.get(REQUESTS, {"status": "", "submitted_at_before": "2000-01-01"}))
        == set()
    )
    listed = api.get(REQUESTS, {"status": "", "ordering": "submitted_at"}).json()
    assert [row["id"] for row in listed["results"]] == [pending.pk, rejected.pk]
    assert_error(api.get(REQUESTS, {"status": "maybe"}), 400)


@pytest.mark.django_db
def test_approval_makes_an_active_teacher_who_signs_in(api, institute, make_signup):
    signup = make_signup()
    api.force_login(institute.head)
    response = approve(api, signup, note="Welcome")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == RequestStatus.APPROVED
    user = User.objects.get(username=signup.username)
    assert body["user"] == user.pk
    assert user.role == Role.TEACHER
    assert user.account_status == AccountStatus.ACTIVE  # Property 4
    teacher = Teacher.objects.get(user=user)
    assert teacher.department == institute.department_a
    # Login is enabled, with the password given at signup.
    client = APIClient()
    signed_in = client.post(
        "/api/v1/auth/login/",
        {"username": signup.username, "password": PASSWORD},
        format="json",
    )
    assert signed_in.status_code == 200, signed_in.content
    # Twice: 409, nothing changes.
    body = assert_error(approve(api, signup), 409)
    assert "was approved by" in body["details"]
    assert_error(reject(api, signup, note="Too late"), 409)
    assert User.objects.filter(username=signup.username).count() == 1


@pytest.mark.django_db
def test_who_may_decide(api, institute, make_signup):
    in_a = make_signup(institute.department_a)
    in_b = make_signup(institute.department_b)
    assert_error(approve(api, in_a), 401)
    # A registrar sees their department's requests but the head's stage decides.
    api.force_login(institute.registrar_a)
    body = assert_error(approve(api, in_a), 403)
    assert "Head approval" in body["details"]
    assert_error(approve(api, in_b), 404)
    for user in (institute.teacher, institute.student_user):
        api.force_login(user)
        assert_error(approve(api, in_a), 404)
        assert_error(reject(api, in_a, note="No"), 404)
    assert not User.objects.filter(username=in_a.username).exists()
    in_a.refresh_from_db()
    assert in_a.status == RequestStatus.PENDING


@pytest.mark.django_db
def test_reject_needs_a_note(api, institute, make_signup):
    signup = make_signup()
    api.force_login(institute.head)
    body = assert_error(reject(api, signup), 400)
    assert "note" in body["field_errors"]
    response = reject(api, signup, note="We have no vacancy.")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == RequestStatus.REJECTED
    assert not User.objects.filter(username=signup.username).exists()
    assert_error(reject(api, signup, note="Again"), 409)
    assert_error(approve(api, signup), 409)


@pytest.mark.django_db
def test_list_costs_the_same_queries_whatever_its_size(api, institute, make_signup):
    api.force_login(institute.registrar_a)

    def count(page_size):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(REQUESTS, {"page_size": page_size})
        assert response.status_code == 200
        return len(queries)

    make_signup()
    make_signup()
    count(1)  # warm-up: the content-type and permission caches fill once
    small = count(1)
    for _n in range(4):
        make_signup()
    assert count(2) == small
    assert count(20) == small


@pytest.mark.django_db
def test_a_teachers_own_approved_request(api, institute, make_signup):
    """Property 12: the new teacher reads their own request, and no other."""
    signup = make_signup()
    other = make_signup()
    services.request_approve(request=signup, acting_user=institute.head)
    user = User.objects.get(username=signup.username)
    api.force_login(user)
    assert ids(api.get(REQUESTS, {"status": ""})) == {signup.pk}
    assert_error(api.get(f"{REQUESTS}{other.pk}/"), 404)
