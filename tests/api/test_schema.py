"""The OpenAPI 3 schema and the interactive docs (local static files only)."""

import re

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

EXPECTED_OPERATIONS = {
    ("/api/v1/auth/login/", "post"),
    ("/api/v1/auth/logout/", "post"),
    ("/api/v1/auth/me/", "get"),
    ("/api/v1/auth/change-password/", "post"),
    ("/api/v1/auth/csrf/", "get"),
    ("/api/v1/auth/tokens/", "get"),
    ("/api/v1/auth/tokens/", "post"),
    ("/api/v1/auth/tokens/{id}/", "delete"),
    ("/api/v1/students/", "get"),
    ("/api/v1/students/{id}/", "get"),
    ("/api/v1/departments/", "get"),
    ("/api/v1/departments/{id}/", "get"),
    ("/api/v1/departments/{department_id}/students/", "get"),
    # Registration, admissions, teacher requests, corrections (workflows/api.py)
    ("/api/v1/auth/register/", "post"),
    ("/api/v1/admissions/", "get"),
    ("/api/v1/admissions/", "post"),
    ("/api/v1/admissions/{id}/", "get"),
    ("/api/v1/admissions/{id}/approve/", "patch"),
    ("/api/v1/admissions/{id}/reject/", "patch"),
    ("/api/v1/admissions/my-admission/", "get"),
    ("/api/v1/teachers/signup-request/", "post"),
    ("/api/v1/teachers/requests/", "get"),
    ("/api/v1/teachers/requests/{id}/", "get"),
    ("/api/v1/teachers/requests/{id}/approve/", "post"),
    ("/api/v1/teachers/requests/{id}/reject/", "post"),
    ("/api/v1/correction-requests/", "get"),
    ("/api/v1/correction-requests/", "post"),
    ("/api/v1/correction-requests/{id}/", "get"),
    ("/api/v1/correction-requests/{id}/approve/", "post"),
    ("/api/v1/correction-requests/{id}/reject/", "post"),
    # Teachers, students and departments (records/api_people.py)
    ("/api/v1/teachers/", "get"),
    ("/api/v1/teachers/", "post"),
    ("/api/v1/teachers/{id}/", "get"),
    ("/api/v1/teachers/{id}/", "put"),
    ("/api/v1/teachers/{id}/", "patch"),
    ("/api/v1/teachers/{id}/", "delete"),
    ("/api/v1/students/", "post"),
    ("/api/v1/students/{id}/", "put"),
    ("/api/v1/students/{id}/", "patch"),
    ("/api/v1/students/{id}/", "delete"),
    ("/api/v1/students/{id}/discontinue/", "post"),
    ("/api/v1/students/{id}/reinstate/", "post"),
    ("/api/v1/departments/", "post"),
    ("/api/v1/departments/{id}/", "put"),
    ("/api/v1/departments/{id}/", "patch"),
    ("/api/v1/departments/{id}/", "delete"),
    # Documents and activity logs (records/api_activity.py)
    ("/api/v1/documents/", "get"),
    ("/api/v1/documents/", "post"),
    ("/api/v1/documents/{id}/", "get"),
    ("/api/v1/documents/{id}/", "delete"),
    ("/api/v1/documents/{id}/download/", "get"),
    ("/api/v1/activity-logs/", "get"),
    ("/api/v1/activity-logs/{id}/", "get"),
    ("/api/v1/activity-logs/export/", "get"),
    # Class routines, attendance and marks (records/api_academics.py)
    ("/api/v1/class-routines/", "get"),
    ("/api/v1/class-routines/", "post"),
    ("/api/v1/class-routines/{id}/", "get"),
    ("/api/v1/class-routines/{id}/", "put"),
    ("/api/v1/class-routines/{id}/", "patch"),
    ("/api/v1/class-routines/{id}/", "delete"),
    ("/api/v1/class-routines/my-routine/", "get"),
    ("/api/v1/attendance/", "get"),
    ("/api/v1/attendance/", "post"),
    ("/api/v1/attendance/{id}/", "get"),
    ("/api/v1/attendance/{id}/", "put"),
    ("/api/v1/attendance/{id}/", "patch"),
    ("/api/v1/attendance/bulk/", "post"),
    ("/api/v1/attendance/student/{student_id}/", "get"),
    ("/api/v1/attendance/summary/", "get"),
    ("/api/v1/marks/", "get"),
    ("/api/v1/marks/", "post"),
    ("/api/v1/marks/{id}/", "get"),
    ("/api/v1/marks/{id}/", "put"),
    ("/api/v1/marks/{id}/", "patch"),
    ("/api/v1/marks/{id}/", "delete"),
    ("/api/v1/marks/student/{student_id}/", "get"),
    ("/api/v1/marks/grid/", "post"),
    # Dashboard and analytics (dashboards/api.py)
    ("/api/v1/dashboard/stats/", "get"),
    ("/api/v1/dashboard/admin/", "get"),
    ("/api/v1/dashboard/student/", "get"),
    ("/api/v1/dashboard/teacher/", "get"),
    ("/api/v1/analytics/admissions-trend/", "get"),
    ("/api/v1/analytics/department-distribution/", "get"),
    ("/api/v1/analytics/attendance-summary/", "get"),
    ("/api/v1/analytics/performance-metrics/", "get"),
}


@pytest.fixture
def schema(api, db):
    response = api.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # drf-spectacular's OpenAPI 3 JSON schema check


def test_schema_has_every_operation_and_only_the_api(schema):
    operations = {
        (path, method) for path, item in schema["paths"].items() for method in item
    }
    assert EXPECTED_OPERATIONS <= operations
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_every_operation_documents_errors_in_the_seed_format(schema):
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {
        "error",
        "details",
        "field_errors",
        "status_code",
    }
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for code in ("401", "403", "404", "429", "500"):
                assert code in operation["responses"], (path, method, code)


def test_student_list_documents_filters_and_pages(schema):
    params = {
        p["name"] for p in schema["paths"]["/api/v1/students/"]["get"]["parameters"]
    }
    assert {
        "department",
        "semester",
        "shift",
        "session",
        "status",
        "search",
        "ordering",
        "page",
        "page_size",
    } <= params
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_docs_page_uses_local_static_files_only(api, db):
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    sidecar = [
        url for url in assets if url.startswith("/static/drf_spectacular_sidecar/")
    ]
    assert len(sidecar) >= 3  # Swagger UI's CSS, bundle and standalone preset
    for url in assets:
        assert not re.match(r"^(https?:)?//", url), url
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url


def test_the_schema_generates_without_a_single_warning(db, tmp_path):
    """drf-spectacular warns where it has to guess a type or a name: no guesses."""
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/attendance/bulk/" in target.read_text()
