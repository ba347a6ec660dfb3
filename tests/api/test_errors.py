"""Seed 000's error format for every status code the API answers with."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import SimpleRateThrottle

from records.api_support import exception_handler
from records.errors import BusinessRuleError
from tests.api.conftest import assert_error


def handle(exc):
    request = APIRequestFactory().get("/api/v1/students/")
    return exception_handler(exc, {"request": request, "view": None})


@pytest.mark.django_db
def test_401_without_credentials(api):
    response = api.get("/api/v1/students/")
    body = assert_error(response, 401)
    assert body["error"] == "Not signed in"
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.django_db
def test_401_with_a_bad_token(api):
    api.credentials(HTTP_AUTHORIZATION="Token wagtail_not-a-real-key")
    body = assert_error(api.get("/api/v1/auth/me/"), 401)
    assert "token" in body["details"].lower()


@pytest.mark.django_db
def test_403_csrf_on_a_signed_in_session(institute):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(institute.head)
    body = assert_error(client.post("/api/v1/auth/tokens/", {"name": "x"}), 403)
    assert "CSRF" in body["details"]


@pytest.mark.django_db
def test_404_for_a_record_and_for_an_unknown_path(api, institute):
    api.force_login(institute.head)
    assert_error(api.get("/api/v1/students/999999/"), 404)
    assert_error(api.get("/api/v1/no-such-thing/"), 404)
    assert_error(api.post("/api/v1/no-such-thing/", {}), 404)


@pytest.mark.django_db
def test_405_for_a_method_the_endpoint_lacks(api, institute):
    api.force_login(institute.head)
    response = api.put("/api/v1/students/", {})
    body = assert_error(response, 405)
    assert "PUT" in body["details"]


@pytest.mark.django_db
def test_400_with_field_errors(api):
    body = assert_error(api.post("/api/v1/auth/login/", {"username": "x"}), 400)
    assert body["error"] == "Invalid input"
    assert list(body["field_errors"]) == ["password"]


@pytest.mark.django_db
def test_429_when_throttled(api, institute, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "user": "2/minute"},
    )
    api.force_login(institute.registrar_a)
    assert api.get("/api/v1/students/").status_code == 200
    assert api.get("/api/v1/students/").status_code == 200
    response = api.get("/api/v1/students/")
    assert_error(response, 429)
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_the_head_is_not_throttled_unless_a_head_rate_is_set(
    api, institute, monkeypatch
):
    """Seed 001 §7.5: "Admin: unlimited"; CAMPUSDESK_API_RATE_HEAD sets a limit."""
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "user": "2/minute", "head": None}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    api.force_login(institute.head)
    for _ in range(4):
        assert api.get("/api/v1/students/").status_code == 200
    rates["head"] = "5/minute"
    for _ in range(5):
        assert api.get("/api/v1/students/").status_code == 200
    assert_error(api.get("/api/v1/students/"), 429)


def test_business_rule_error_is_409():
    response = handle(BusinessRuleError("Admission 40 is already approved"))
    assert response.status_code == 409
    assert response.data == {
        "error": "Conflict",
        "details": "Admission 40 is already approved",
        "field_errors": {},
        "status_code": 409,
    }


def test_business_rule_error_about_the_input_is_400():
    error = BusinessRuleError("These are set by Campusdesk, not typed in: roll")
    error.status_code = 400
    response = handle(error)
    assert response.status_code == 400
    assert response.data["details"] == str(error)


def test_django_validation_error_from_a_service_is_400_with_field_errors():
    response = handle(
        ValidationError(
            {
                "discontinued_reason": ["Give a reason."],
                "__all__": ["The dates overlap."],
            }
        )
    )
    assert response.status_code == 400
    assert response.data["field_errors"] == {"discontinued_reason": ["Give a reason."]}
    assert response.data["details"] == "The dates overlap."


def test_unexpected_exception_is_500_in_the_format(caplog):
    with caplog.at_level("ERROR", logger="campusdesk.api"):
        response = handle(RuntimeError("disk on fire"))
    assert response.status_code == 500
    assert set(response.data) == {"error", "details", "field_errors", "status_code"}
    assert "disk on fire" not in str(response.data)
    assert "disk on fire" in caplog.text


@pytest.mark.django_db
def test_500_from_a_real_request(api, institute, monkeypatch):
    from records import api as records_api

    def broken(self, user):
        raise RuntimeError("boom")

    monkeypatch.setattr(records_api.ProfileSerializer, "get_student_id", broken)
    api.force_login(institute.head)
    assert_error(api.get("/api/v1/auth/me/"), 500)


@pytest.mark.django_db
def test_wagtail_admin_api_is_not_throttled_by_ours(api, institute, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "user": "1/minute", "head": "1/minute"},
    )
    api.force_login(institute.head)
    for _ in range(3):
        assert api.get("/admin/api/main/pages/").status_code == 200
    assert api.get("/api/v1/auth/me/").status_code == 200
    assert_error(api.get("/api/v1/auth/me/"), 429)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/students/?department=99999999999999999999",
        "/api/v1/students/?session=-1",
        "/api/v1/teachers/?department=1e400",
        "/api/v1/documents/?student=99999999999999999999",
        "/api/v1/activity-logs/?user=99999999999999999999",
        "/api/v1/class-routines/?department=99999999999999999999",
        "/api/v1/attendance/?student=99999999999999999999",
        "/api/v1/marks/?subject=99999999999999999999",
    ],
)
def test_an_id_filter_out_of_range_is_400_not_500(api, institute, url):
    """SQLite cannot bind integers past 64 bits; the filter refuses them first."""
    api.force_authenticate(institute.head)
    body = assert_error(api.get(url), 400)
    assert body["field_errors"], body
