"""Correction requests over the API: seed 000 §7, Property 12."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records.models import Student
from records.roles import Role
from tests.api.conftest import assert_error
from tests.api.test_admissions_api import (  # noqa: F401 (a fixture)
    PDF,
    shipped_workflows,
)
from tests.factories import StudentFactory, UserFactory
from workflows import services
from workflows.models import CorrectionDocument, CorrectionRequest, RequestStatus

CORRECTIONS = "/api/v1/correction-requests/"

pytestmark = pytest.mark.usefixtures("shipped_workflows")


@pytest.fixture
def other_student(institute):
    """A second student with an account, in department A."""
    user = UserFactory(role=Role.STUDENT, username="api_other_student")
    StudentFactory(
        full_name_english="Other Student",
        department=institute.department_a,
        session=institute.session,
        user=user,
    )
    return user


def ask(student, field_name="full_name_english", value="Nusrat Jahan Own", **over):
    return services.correction_submit(
        student=student,
        field_name=field_name,
        requested_value=value,
        reason=over.pop("reason", "My SSC certificate says so."),
        acting_user=student.user,
        **over,
    )


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def approve(client, item, **data):
    return client.post(f"{CORRECTIONS}{item.pk}/approve/", data, format="json")


def reject(client, item, **data):
    return client.post(f"{CORRECTIONS}{item.pk}/reject/", data, format="json")


@pytest.mark.django_db
def test_a_student_asks_for_a_correction_of_their_own_record(api, institute):
    api.force_login(institute.student_user)
    response = api.post(
        CORRECTIONS,
        {
            "field_name": "father_name",
            "requested_value": "Abdul Karim Mia",
            "reason": "The SSC certificate says so.",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    item = CorrectionRequest.objects.get()
    assert item.student == institute.own_student
    assert body["id"] == item.pk
    assert body["status"] == RequestStatus.PENDING
    assert body["stage"]["name"] == "Registrar review"
    assert body["current_value"] == institute.own_student.father_name
    assert body["requested_value"] == "Abdul Karim Mia"
    assert body["student"]["id"] == institute.own_student.pk
    assert body["documents"] == []


@pytest.mark.django_db
def test_supporting_documents_by_multipart(api, institute):
    api.force_login(institute.student_user)
    scan = SimpleUploadedFile("ssc.pdf", PDF, content_type="application/pdf")
    response = api.post(
        CORRECTIONS,
        {
            "field_name": "date_of_birth",
            "requested_value": "2008-03-15",
            "reason": "Birth certificate attached.",
            "documents": [scan],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert [d["original_name"] for d in response.json()["documents"]] == ["ssc.pdf"]
    # Not a PDF, JPEG or PNG: 400 and nothing is kept.
    fake = SimpleUploadedFile("x.pdf", b"hello", content_type="application/pdf")
    body = assert_error(
        api.post(
            CORRECTIONS,
            {
                "field_name": "date_of_birth",
                "requested_value": "2008-03-15",
                "reason": "Again.",
                "documents": [fake],
            },
            format="multipart",
        ),
        400,
    )
    assert "documents" in body["field_errors"]
    assert CorrectionRequest.objects.count() == 1
    assert CorrectionDocument.objects.count() == 1


@pytest.mark.django_db
def test_submit_validation_and_who_may_ask(api, institute):
    assert_error(api.post(CORRECTIONS, {}, format="json"), 401)
    api.force_login(institute.student_user)
    body = assert_error(
        api.post(
            CORRECTIONS,
            {"field_name": "status", "requested_value": "x", "reason": "y"},
            format="json",
        ),
        400,
    )
    assert "field_name" in body["field_errors"]
    body = assert_error(api.post(CORRECTIONS, {}, format="json"), 400)
    assert {"field_name", "requested_value", "reason"} <= set(body["field_errors"])
    body = assert_error(
        api.post(
            CORRECTIONS,
            {"field_name": "email", "requested_value": "x" * 300, "reason": "y"},
            format="json",
        ),
        400,
    )
    assert "requested_value" in body["field_errors"]
    # Staff have no record of their own to correct.
    for user in (institute.teacher, institute.registrar_a, institute.head):
        api.force_login(user)
        response = api.post(
            CORRECTIONS,
            {"field_name": "email", "requested_value": "a@b.c", "reason": "y"},
            format="json",
        )
        assert_error(response, 403)
    assert not CorrectionRequest.objects.exists()


@pytest.mark.django_db
def test_who_sees_which_requests(api, institute, other_student):
    own = ask(institute.own_student)
    others = ask(Student.objects.get(user=other_student))
    in_b = institute.students_b[0]
    in_b.user = UserFactory(role=Role.STUDENT, username="b_student")
    in_b.save()
    b_request = ask(in_b)
    assert_error(api.get(CORRECTIONS), 401)
    expected = {
        institute.head: {own.pk, others.pk, b_request.pk},
        institute.registrar_all: {own.pk, others.pk, b_request.pk},
        institute.registrar_a: {own.pk, others.pk},
        institute.teacher: set(),
        institute.student_user: {own.pk},  # Property 12
        other_student: {others.pk},
    }
    everything = (own, others, b_request)
    for user, visible in expected.items():
        api.force_login(user)
        assert ids(api.get(CORRECTIONS)) == visible, user
        for item in everything:
            response = api.get(f"{CORRECTIONS}{item.pk}/")
            if item.pk in visible:
                assert response.status_code == 200
            else:
                assert_error(response, 404)


@pytest.mark.django_db
def test_filters_search_and_ordering(api, institute, other_student):
    name = ask(institute.own_student)
    mobile = ask(
        Student.objects.get(user=other_student),
        field_name="mobile_student",
        value="01911111111",
    )
    in_b = institute.students_b[0]
    in_b.user = UserFactory(role=Role.STUDENT, username="b_student2")
    in_b.save()
    b_request = ask(in_b)
    services.request_reject(
        request=b_request, acting_user=institute.registrar_all, note="No proof"
    )
    api.force_login(institute.head)
    assert ids(api.get(CORRECTIONS, {"status": "rejected"})) == {b_request.pk}
    assert ids(api.get(CORRECTIONS, {"status": "pending"})) == {name.pk, mobile.pk}
    assert ids(api.get(CORRECTIONS, {"department": institute.department_b.pk})) == {
        b_request.pk
    }
    assert ids(api.get(CORRECTIONS, {"session": institute.other_session.pk})) == set()
    assert ids(api.get(CORRECTIONS, {"field_name": "mobile_student"})) == {mobile.pk}
    assert ids(api.get(CORRECTIONS, {"search": "01911111111"})) == {mobile.pk}
    assert ids(api.get(CORRECTIONS, {"search": "Other Student"})) == {mobile.pk}
    today = str(name.submitted_at.date())
    assert len(ids(api.get(CORRECTIONS, {"submitted_at_after": today}))) == 3
    assert ids(api.get(CORRECTIONS, {"submitted_at_before": "2000-01-01"})) == set()
    listed = api.get(CORRECTIONS, {"ordering": "submitted_at"}).json()["results"]
    assert [row["id"] for row in listed] == [name.pk, mobile.pk, b_request.pk]
    assert_error(api.get(CORRECTIONS, {"field_name": "password"}), 400)


@pytest.mark.django_db
def test_approve_applies_the_correction_once(api, institute):
    item = ask(institute.own_student, value="Nusrat Jahan Corrected")
    api.force_login(institute.registrar_a)
    response = approve(api, item, note="Checked against the certificate")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == RequestStatus.APPROVED
    institute.own_student.refresh_from_db()
    assert institute.own_student.full_name_english == "Nusrat Jahan Corrected"
    # Written through the records service: the history says why.
    latest = institute.own_student.history.order_by("-history_date").first()
    assert latest.history_change_reason == f"correction #{item.pk} applied"
    versions = institute.own_student.history.count()
    body = assert_error(approve(api, item), 409)
    assert "was approved by" in body["details"]
    assert_error(reject(api, item, note="Late"), 409)
    assert institute.own_student.history.count() == versions
    api.force_login(institute.student_user)
    assert api.get(f"{CORRECTIONS}{item.pk}/").json()["status"] == "approved"


@pytest.mark.django_db
def test_a_value_the_field_cannot_take_is_400_and_nothing_changes(api, institute):
    item = ask(institute.own_student, field_name="date_of_birth", value="14 March")
    before = institute.own_student.date_of_birth
    api.force_login(institute.registrar_a)
    body = assert_error(approve(api, item), 400)
    assert "requested_value" in body["field_errors"]
    item.refresh_from_db()
    assert item.status == RequestStatus.PENDING
    institute.own_student.refresh_from_db()
    assert institute.own_student.date_of_birth == before


@pytest.mark.django_db
def test_who_may_decide(api, institute, other_student):
    own = ask(institute.own_student)
    in_b = institute.students_b[0]
    in_b.user = UserFactory(role=Role.STUDENT, username="b_student3")
    in_b.save()
    b_request = ask(in_b)
    assert_error(approve(api, own), 401)
    # The workflow's one stage is the registrars': the head is not in it.
    api.force_login(institute.head)
    body = assert_error(approve(api, own), 403)
    assert "Registrar review" in body["details"]
    api.force_login(institute.registrar_a)
    assert_error(approve(api, b_request), 404)
    assert_error(reject(api, b_request, note="No"), 404)
    api.force_login(institute.teacher)
    assert_error(approve(api, own), 404)
    # The student reads their own request but does not decide it.
    api.force_login(institute.student_user)
    assert_error(approve(api, own), 403)
    api.force_login(other_student)
    assert_error(approve(api, own), 404)
    own.refresh_from_db()
    assert own.status == RequestStatus.PENDING


@pytest.mark.django_db
def test_reject_needs_a_note(api, institute):
    item = ask(institute.own_student)
    api.force_login(institute.registrar_all)
    body = assert_error(reject(api, item), 400)
    assert "note" in body["field_errors"]
    response = reject(api, item, note="The certificate shows the current name.")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == RequestStatus.REJECTED
    institute.own_student.refresh_from_db()
    assert institute.own_student.full_name_english == "Nusrat Own"
    assert_error(reject(api, item, note="Again"), 409)


@pytest.mark.django_db
def test_list_costs_the_same_queries_whatever_its_size(api, institute):
    api.force_login(institute.registrar_a)

    def count(page_size):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(CORRECTIONS, {"page_size": page_size})
        assert response.status_code == 200
        return len(queries)

    ask(institute.own_student)
    ask(institute.students_a[1])
    count(1)  # warm-up: the content-type and permission caches fill once
    small = count(1)
    for student in institute.students_a[1:]:
        ask(student)
        ask(student, field_name="father_name", value="Someone")
    assert count(2) == small
    assert count(20) == small
