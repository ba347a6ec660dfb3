"""Registration and admissions over the API: seed 000 §1 and §2.

Submitting goes through the admission form's rules and services; deciding
through the desk's rules (``check_can_act``) and services; Property 12: an
applicant sees only their own application, a teacher none.
"""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from records.models import Student, User
from records.roles import AccountStatus, AdmissionStatus, Role
from tests.api.conftest import assert_error
from tests.factories import UserFactory
from workflows import services
from workflows.models import AdmissionApplication, RequestStatus, WorkflowAction

REGISTER = "/api/v1/auth/register/"
ADMISSIONS = "/api/v1/admissions/"
MY_ADMISSION = "/api/v1/admissions/my-admission/"
PASSWORD = "Kaliakair-2026-gazipur"

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def png_bytes() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


# --- Fixtures shared with the teacher and correction request tests ---------------------


@pytest.fixture
def shipped_workflows(db):
    """The shipped workflows (kept by the migration; refilled if a test emptied them)."""
    from django.apps import apps as registry

    from workflows.migrations import _defaults

    _defaults.create(registry, connection.alias)


@pytest.fixture
def admission_page(institute):
    """The open admission form: departments A and B, both shifts, this session."""
    from website.models import AdmissionFormPage, HomePage

    home = HomePage.objects.first()
    page = AdmissionFormPage(
        title="Admission",
        slug="admission",
        session=institute.session,
        shifts_offered=["morning", "day"],
        required_documents=["ssc_certificate"],
    )
    home.add_child(instance=page)
    page.departments.add(institute.department_a, institute.department_b)
    page.save_revision().publish()
    return AdmissionFormPage.objects.get(pk=page.pk)


_numbers = iter(range(10**6))


def application_data(department, **over) -> dict:
    n = next(_numbers)
    data = {
        "full_name_english": "Nusrat Jahan",
        "full_name_bangla": "নুসরাত জাহান",
        "father_name": "Abdul Karim",
        "mother_name": "Rokeya Begum",
        "date_of_birth": "2008-03-14",
        "birth_certificate_no": f"2008123456{n:07d}",
        "gender": "female",
        "guardian_mobile": "01712345678",
        "mobile_student": f"018{n:08d}",
        "email": "nusrat@example.com",
        "present_village": "Baliadi",
        "present_upazila": "Kaliakair",
        "present_district": "Gazipur",
        "present_division": "dhaka",
        "previous_exam": "ssc",
        "previous_exam_gpa": "4.75",
        "desired_department": department.pk,
        "desired_shift": "morning",
    }
    data.update(over)
    return data


@pytest.fixture
def make_application(institute, shipped_workflows):
    """An application submitted through the service (as the web form does)."""

    def make(department=None, user=None, session=None, **over):
        from records.models import Department

        department = department or institute.department_a
        fields = application_data(department, **over)
        fields["desired_department"] = Department.objects.get(
            pk=fields["desired_department"]
        )
        fields["date_of_birth"] = date.fromisoformat(fields["date_of_birth"])
        return services.admission_submit(
            acting_user=user, session=session or institute.session, **fields
        )

    return make


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- §1 Registration --------------------------------------------------------------------


def register(client, extra=None, **over):
    data = {
        "username": "nusrat2026",
        "email": "nusrat2026@example.com",
        "password": PASSWORD,
        "first_name": "Nusrat",
        "last_name": "Jahan",
    }
    data.update(over)
    return client.post(REGISTER, data, format="json", **(extra or {}))


@pytest.mark.django_db
def test_register_makes_an_active_student_and_signs_in(api):
    response = register(api)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "nusrat2026"
    assert body["role"] == Role.STUDENT
    assert body["account_status"] == AccountStatus.ACTIVE  # Property 1
    assert body["admission_status"] == AdmissionStatus.NOT_STARTED
    assert body["needs_admission"] is True
    assert "password" not in body
    user = User.objects.get(username="nusrat2026")
    assert user.check_password(PASSWORD)
    assert user.groups.filter(name="Students").exists()
    # Signed in: the profile answers.
    assert api.get("/api/v1/auth/me/").json()["id"] == user.pk


@pytest.mark.django_db
def test_register_needs_a_csrf_token():
    client = APIClient(enforce_csrf_checks=True)
    assert_error(register(client), 403)
    token = client.get("/api/v1/auth/csrf/").json()["csrf_token"]
    response = register(client, extra={"HTTP_X_CSRFTOKEN": token})
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_register_validation(api):
    UserFactory(username="taken", email="taken@example.com")
    body = assert_error(register(api, username="TAKEN"), 400)
    assert body["field_errors"]["username"] == ["This username is taken."]
    body = assert_error(register(api, email="Taken@example.com"), 400)
    assert "email" in body["field_errors"]
    body = assert_error(register(api, password="123"), 400)
    assert body["field_errors"]["password"]
    body = assert_error(register(api, email="not-an-email"), 400)
    assert "email" in body["field_errors"]
    body = assert_error(api.post(REGISTER, {}, format="json"), 400)
    assert {"username", "email", "password"} <= set(body["field_errors"])
    assert not User.objects.filter(username="nusrat2026").exists()


@pytest.mark.django_db
def test_teachers_do_not_register_here(api):
    body = assert_error(register(api, role="teacher"), 400)
    assert "/api/v1/teachers/signup-request/" in body["field_errors"]["role"][0]
    body = assert_error(register(api, role="institute_head"), 400)
    assert "role" in body["field_errors"]
    assert not User.objects.filter(username="nusrat2026").exists()


@pytest.mark.django_db
def test_register_is_limited_per_address(api, settings):
    import copy

    rest = copy.deepcopy(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"]["login_ip"] = "2/15m"
    settings.REST_FRAMEWORK = rest
    for n in range(2):
        response = register(
            APIClient(), username=f"user{n}x", email=f"user{n}x@example.com"
        )
        assert response.status_code == 201, response.content
    response = register(api, username="third", email="third@example.com")
    body = assert_error(response, 429)
    assert "Try again in" in body["details"]
    assert response.headers["Retry-After"]
    assert not User.objects.filter(username="third").exists()


# --- §2 Submitting ------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_submit_makes_a_pending_application(
    api, admission_page, shipped_workflows
):
    department = admission_page.departments.first()
    response = api.post(ADMISSIONS, application_data(department), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    application = AdmissionApplication.objects.get()
    assert body["id"] == application.pk
    assert body["status"] == RequestStatus.PENDING  # Property 5
    assert body["stage"]["name"] == "Registrar review"
    assert body["application_number"] == application.application_number
    assert body["session"]["id"] == admission_page.session_id
    assert body["semester"] == 1
    assert body["father_name"] == "Abdul Karim"  # Property 6
    assert body["previous_exam_gpa"] == "4.75"
    assert body["user"] is None
    assert body["documents"] == []
    assert application.user is None
    assert WorkflowAction.objects.get().action == "submit"


@pytest.mark.django_db
def test_a_signed_in_student_submits_and_reads_their_own(
    api, institute, admission_page, shipped_workflows
):
    applicant = UserFactory(role=Role.STUDENT, username="applicant")
    api.force_login(applicant)
    assert_error(api.get(MY_ADMISSION), 404)
    response = api.post(
        ADMISSIONS, application_data(institute.department_a), format="json"
    )
    assert response.status_code == 201, response.content
    application = AdmissionApplication.objects.get()
    assert application.user == applicant
    mine = api.get(MY_ADMISSION)
    assert mine.status_code == 200
    assert mine.json()["id"] == application.pk
    assert ids(api.get(ADMISSIONS)) == {application.pk}
    assert api.get(f"{ADMISSIONS}{application.pk}/").status_code == 200
    # Another student sees none of it (Property 12).
    other = UserFactory(role=Role.STUDENT, username="other_applicant")
    api.force_login(other)
    assert_error(api.get(MY_ADMISSION), 404)
    assert ids(api.get(ADMISSIONS)) == set()
    assert_error(api.get(f"{ADMISSIONS}{application.pk}/"), 404)


@pytest.mark.django_db
def test_staff_do_not_submit_applications(
    api, institute, admission_page, shipped_workflows
):
    for user in (institute.teacher, institute.registrar_a, institute.head):
        api.force_login(user)
        response = api.post(
            ADMISSIONS, application_data(institute.department_a), format="json"
        )
        assert_error(response, 403)
    assert not AdmissionApplication.objects.exists()


@pytest.mark.django_db
def test_submit_validation(api, institute, admission_page, shipped_workflows):
    department = institute.department_a
    body = assert_error(
        api.post(
            ADMISSIONS,
            application_data(department, mobile_student="12345"),
            format="json",
        ),
        400,
    )
    assert "mobile_student" in body["field_errors"]
    body = assert_error(
        api.post(
            ADMISSIONS, application_data(department, previous_exam_gpa="7.5"), "json"
        ),
        400,
    )
    assert "previous_exam_gpa" in body["field_errors"]
    body = assert_error(
        api.post(
            ADMISSIONS,
            application_data(
                department, date_of_birth=str(date.today() + timedelta(1))
            ),
            format="json",
        ),
        400,
    )
    assert "date_of_birth" in body["field_errors"]
    body = assert_error(api.post(ADMISSIONS, {}, format="json"), 400)
    assert {"full_name_english", "father_name", "desired_department"} <= set(
        body["field_errors"]
    )
    assert not AdmissionApplication.objects.exists()


@pytest.mark.django_db
def test_only_the_forms_departments_and_shifts(
    api, institute, admission_page, shipped_workflows
):
    from tests.factories import DepartmentFactory

    elsewhere = DepartmentFactory(code="ZZZ")
    body = assert_error(
        api.post(ADMISSIONS, application_data(elsewhere), format="json"), 400
    )
    assert "desired_department" in body["field_errors"]
    admission_page.shifts_offered = ["morning"]
    admission_page.save_revision().publish()
    body = assert_error(
        api.post(
            ADMISSIONS,
            application_data(institute.department_a, desired_shift="day"),
            format="json",
        ),
        400,
    )
    assert body["field_errors"]["desired_shift"] == [
        "This shift is not offered in this admission."
    ]


@pytest.mark.django_db
def test_duplicates_are_caught_like_the_web_form(
    api, institute, admission_page, shipped_workflows
):
    data = application_data(institute.department_a)
    assert api.post(ADMISSIONS, data, format="json").status_code == 201
    again = {**data, "mobile_student": "01999999999"}
    body = assert_error(api.post(ADMISSIONS, again, format="json"), 400)
    number = AdmissionApplication.objects.get().application_number
    assert number in body["field_errors"]["birth_certificate_no"][0]
    assert AdmissionApplication.objects.count() == 1


@pytest.mark.django_db
def test_closed_admissions_answer_409(
    api, institute, admission_page, shipped_workflows
):
    admission_page.closes_on = date.today() - timedelta(days=1)
    admission_page.save_revision().publish()
    body = assert_error(
        api.post(ADMISSIONS, application_data(institute.department_a), "json"), 409
    )
    assert body["details"] == "Admissions are closed."


@pytest.mark.django_db
def test_documents_by_multipart_and_no_partial_writes(
    api, institute, admission_page, shipped_workflows
):
    data = application_data(institute.department_a)
    photo = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    certificate = SimpleUploadedFile("ssc.pdf", PDF, content_type="application/pdf")
    response = api.post(
        ADMISSIONS,
        {**data, "document_photo": photo, "document_ssc_certificate": certificate},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    kinds = {d["kind"] for d in response.json()["documents"]}
    assert kinds == {"photo", "ssc_certificate"}
    # A PNG named .pdf is refused, and no application is left behind.
    data = application_data(institute.department_a)
    liar = SimpleUploadedFile("ssc.pdf", png_bytes(), content_type="application/pdf")
    body = assert_error(
        api.post(
            ADMISSIONS, {**data, "document_ssc_certificate": liar}, format="multipart"
        ),
        400,
    )
    assert "document_ssc_certificate" in body["field_errors"]
    assert AdmissionApplication.objects.count() == 1


@pytest.mark.django_db
def test_submissions_are_limited_per_address(
    api, institute, admission_page, shipped_workflows, settings
):
    settings.CAMPUSDESK_ADMISSION_RATE_PER_HOUR = 1
    first = api.post(ADMISSIONS, application_data(institute.department_a), "json")
    assert first.status_code == 201
    second = api.post(ADMISSIONS, application_data(institute.department_a), "json")
    assert_error(second, 429)
    assert AdmissionApplication.objects.count() == 1


# --- §2 Browsing --------------------------------------------------------------------------


@pytest.mark.django_db
def test_who_sees_which_applications(api, institute, make_application):
    in_a = make_application(institute.department_a)
    in_b = make_application(institute.department_b)
    assert_error(api.get(ADMISSIONS), 401)
    assert_error(api.get(f"{ADMISSIONS}{in_a.pk}/"), 401)
    expected = {
        institute.head: {in_a.pk, in_b.pk},
        institute.registrar_all: {in_a.pk, in_b.pk},
        institute.registrar_a: {in_a.pk},
        institute.teacher: set(),  # a teacher sees none of the admissions
        institute.student_user: set(),
    }
    for user, visible in expected.items():
        api.force_login(user)
        assert ids(api.get(ADMISSIONS)) == visible, user
        for application in (in_a, in_b):
            response = api.get(f"{ADMISSIONS}{application.pk}/")
            if application.pk in visible:
                assert response.status_code == 200
            else:
                assert_error(response, 404)


@pytest.mark.django_db
def test_detail_has_every_field_and_no_secrets(api, institute, make_application):
    application = make_application()
    api.force_login(institute.head)
    body = api.get(f"{ADMISSIONS}{application.pk}/").json()
    for name in ("father_name", "mother_name", "present_village", "guardian_mobile"):
        assert body[name] == getattr(application, name)
    assert body["desired_department"]["code"] == "APA"
    assert not any("password" in key for key in body)


@pytest.mark.django_db
def test_list_filters_search_and_ordering(api, institute, make_application):
    first = make_application(full_name_english="Rahim Uddin")
    second = make_application(institute.department_b, desired_shift="day")
    old = make_application(session=institute.other_session)
    AdmissionApplication.objects.filter(pk=old.pk).update(
        submitted_at=first.submitted_at - timedelta(days=30)
    )
    services.request_reject(
        request=second, acting_user=institute.registrar_all, note="Incomplete"
    )
    api.force_login(institute.head)
    assert ids(api.get(ADMISSIONS, {"status": "rejected"})) == {second.pk}
    assert ids(api.get(ADMISSIONS, {"status": "pending"})) == {first.pk, old.pk}
    assert ids(api.get(ADMISSIONS, {"department": institute.department_b.pk})) == {
        second.pk
    }
    assert ids(api.get(ADMISSIONS, {"session": institute.other_session.pk})) == {old.pk}
    assert ids(api.get(ADMISSIONS, {"shift": "day"})) == {second.pk}
    today = first.submitted_at.date()
    assert ids(
        api.get(
            ADMISSIONS,
            {
                "submitted_at_after": str(today - timedelta(days=1)),
                "submitted_at_before": str(today + timedelta(days=1)),
            },
        )
    ) == {first.pk, second.pk}
    assert ids(
        api.get(ADMISSIONS, {"submitted_at_before": str(today - timedelta(days=10))})
    ) == {old.pk}
    assert ids(api.get(ADMISSIONS, {"search": "rahim"})) == {first.pk}
    assert ids(api.get(ADMISSIONS, {"search": second.application_number})) == {
        second.pk
    }
    assert ids(api.get(ADMISSIONS, {"search": old.mobile_student})) == {old.pk}
    listed = api.get(ADMISSIONS, {"ordering": "submitted_at"}).json()["results"]
    assert [row["id"] for row in listed][0] == old.pk
    # Bad filter values are 400 in the error format.
    assert_error(api.get(ADMISSIONS, {"status": "maybe"}), 400)
    assert_error(api.get(ADMISSIONS, {"submitted_at_after": "yesterday"}), 400)
    assert_error(api.get(ADMISSIONS, {"department": 999999}), 400)


@pytest.mark.django_db
def test_list_costs_the_same_queries_whatever_its_size(
    api, institute, make_application
):
    api.force_login(institute.registrar_a)

    def count(page_size):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(ADMISSIONS, {"page_size": page_size})
        assert response.status_code == 200
        return len(queries)

    make_application()
    make_application()
    count(1)  # warm-up: the content-type and permission caches fill once
    small = count(1)
    for _n in range(4):
        make_application()
    assert count(2) == small
    assert count(20) == small


# --- §2 Deciding --------------------------------------------------------------------------


def approve(client, application, **data):
    return client.patch(f"{ADMISSIONS}{application.pk}/approve/", data, format="json")


def reject(client, application, **data):
    return client.patch(f"{ADMISSIONS}{application.pk}/reject/", data, format="json")


@pytest.mark.django_db
def test_two_stages_make_a_student_and_a_second_approve_is_409(
    api, institute, make_application
):
    applicant = UserFactory(role=Role.STUDENT, username="applicant2")
    application = make_application(user=applicant)
    api.force_login(institute.registrar_a)
    response = approve(api, application, note="Papers checked")
    assert response.status_code == 200, response.content
    assert response.json()["stage"]["name"] == "Head approval"
    assert response.json()["status"] == RequestStatus.PENDING
    assert not Student.objects.filter(user=applicant).exists()
    # The registrar is not in the head's group: 403, nothing changes.
    assert_error(approve(api, application), 403)
    api.force_login(institute.head)
    response = approve(api, application)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == RequestStatus.APPROVED
    student = Student.objects.get(user=applicant)  # Property 7
    assert body["student"] == student.pk
    assert student.father_name == application.father_name
    assert student.department == institute.department_a
    applicant.refresh_from_db()
    assert applicant.admission_status == AdmissionStatus.APPROVED
    actions = WorkflowAction.objects.count()
    # Again: 409 with the service's message; nothing changes.
    body = assert_error(approve(api, application), 409)
    assert "was approved by" in body["details"]
    assert_error(reject(api, application, note="Too late"), 409)
    assert Student.objects.filter(user=applicant).count() == 1
    assert WorkflowAction.objects.count() == actions
    # The applicant reads the outcome.
    api.force_login(applicant)
    assert api.get(MY_ADMISSION).json()["status"] == RequestStatus.APPROVED


@pytest.mark.django_db
def test_who_may_decide(api, institute, make_application):
    applicant = UserFactory(role=Role.STUDENT, username="applicant3")
    in_a = make_application(user=applicant)
    in_b = make_application(institute.department_b)
    assert_error(approve(api, in_a), 401)
    # The head is not the first stage's group.
    api.force_login(institute.head)
    body = assert_error(approve(api, in_a), 403)
    assert "Registrar review" in body["details"]
    # Out of scope: as if it did not exist.
    api.force_login(institute.registrar_a)
    assert_error(approve(api, in_b), 404)
    assert_error(reject(api, in_b, note="No"), 404)
    api.force_login(institute.teacher)
    assert_error(approve(api, in_a), 404)
    # The applicant sees their application but does not decide it.
    api.force_login(applicant)
    assert_error(approve(api, in_a), 403)
    api.force_login(institute.student_user)
    assert_error(approve(api, in_a), 404)
    in_a.refresh_from_db()
    assert in_a.stage.name == "Registrar review"
    assert_error(api.post(f"{ADMISSIONS}{in_a.pk}/approve/"), 405)


@pytest.mark.django_db
def test_reject_needs_a_note(api, institute, make_application):
    application = make_application()
    api.force_login(institute.registrar_a)
    body = assert_error(reject(api, application), 400)
    assert body["field_errors"]["note"] == ["Write a note saying why."]
    application.refresh_from_db()
    assert application.status == RequestStatus.PENDING
    response = reject(api, application, note="The SSC certificate is missing.")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == RequestStatus.REJECTED
    assert response.json()["review_notes"] == "The SSC certificate is missing."
    assert_error(reject(api, application, note="Again"), 409)
    assert_error(approve(api, application), 409)
