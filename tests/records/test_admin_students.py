"""The students' back office: create, edit, inspect, discontinue, alumni."""

from datetime import date

import pytest
from django.urls import reverse

from records import services
from records.models import Student, StudentStatus
from tests.factories import (
    AcademicSessionFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
)
from tests.factories.admin import (
    attendance_for,
    document_for,
    final_mark_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def registrar_client(client, registrar):
    client.force_login(registrar)
    return client


def student_form_data(department, session, **overrides):
    data = {
        "full_name_english": "Rahim Uddin",
        "full_name_bangla": "রহিম উদ্দিন",
        "father_name": "Karim Uddin",
        "mother_name": "Salma Begum",
        "date_of_birth": "2008-03-01",
        "gender": "male",
        "guardian_mobile": "01712345678",
        "department": department.pk,
        "semester": "1",
        "shift": "morning",
        "session": session.pk,
        "previous_exam": "ssc",
    }
    data.update(overrides)
    return data


def test_create_student_generates_roll_and_registration(registrar_client):
    department = DepartmentFactory(code="CST")
    session = AcademicSessionFactory(start_date=date(2025, 7, 1))
    response = registrar_client.post(
        reverse("students:add"), student_form_data(department, session)
    )
    assert response.status_code == 302
    student = Student.objects.get(full_name_english="Rahim Uddin")
    assert student.current_roll_number == "CST-25M-001"
    assert student.current_registration_number == "2025-CST-00001"
    assert response["Location"] == reverse("students:inspect", args=[student.pk])
    # The change is in simple-history with the acting user.
    assert student.history.first().history_user.username == "registrar1"


def test_create_form_has_no_number_fields(registrar_client):
    response = registrar_client.get(reverse("students:add"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "current_roll_number" not in form.fields
    assert "status" not in form.fields
    # Grouped in tabs.
    content = response.content.decode()
    for tab in ("Personal", "Contact", "Address", "Previous education", "Academic"):
        assert tab in content


def test_invalid_mobile_shows_the_field_error(registrar_client):
    department = DepartmentFactory()
    session = AcademicSessionFactory()
    response = registrar_client.post(
        reverse("students:add"),
        student_form_data(department, session, guardian_mobile="0171234567"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["guardian_mobile"] == [
        "0171234567 has 10 digits, a Bangladeshi mobile number has 11."
    ]
    assert not Student.objects.exists()


def test_edit_goes_through_student_update(registrar_client):
    student = StudentFactory()
    url = reverse("students:edit", args=[student.pk])
    form = registrar_client.get(url).context["form"]
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields and name != "photo"
    }
    data.update(
        {
            "full_name_english": "Renamed Student",
            "date_of_birth": "2008-01-15",
        }
    )
    response = registrar_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    student.refresh_from_db()
    assert student.full_name_english == "Renamed Student"
    assert student.history.first().history_change_reason == "admin edit"


def test_inspect_shows_attendance_percentage_gpa_and_documents(
    registrar_client, django_assert_max_num_queries
):
    student = StudentFactory(full_name_bangla="করিম")
    subject = attendance_for(student, present=3, absent=1)
    final_mark_for(student, subject=subject, obtained=82)
    document = document_for(student)

    url = reverse("students:inspect", args=[student.pk])
    with django_assert_max_num_queries(30):
        response = registrar_client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert "75.00%" in content  # 3 of 4 classes
    assert "GPA 4.00" in content  # 82% is an A+, 4.00
    assert "A+" in content
    assert "করিম" in content
    assert reverse("records:document_download", args=[document.pk]) in content
    assert reverse("students:history", args=[student.pk]) in content
    assert reverse("students:discontinue", args=[student.pk]) in content


def test_inspect_query_count_does_not_grow_with_records(
    registrar_client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = StudentFactory()
    attendance_for(small, present=1, absent=0)
    with CaptureQueriesContext(connection) as baseline:
        registrar_client.get(reverse("students:inspect", args=[small.pk]))

    big = StudentFactory()
    for _ in range(4):
        subject = attendance_for(big, present=3, absent=2)
        final_mark_for(big, subject=subject, obtained=60)
    for n in range(3):
        document_for(big, name=f"doc{n}.pdf")
    with django_assert_max_num_queries(len(baseline)):
        response = registrar_client.get(reverse("students:inspect", args=[big.pk]))
    assert response.status_code == 200


def test_photo_is_shown_from_the_private_view(registrar_client):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    student = StudentFactory(
        photo=SimpleUploadedFile("me.png", buffer.getvalue(), "image/png")
    )
    response = registrar_client.get(reverse("students:inspect", args=[student.pk]))
    assert reverse("records:student_photo", args=[student.pk]) in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    "view", ["inspect", "edit", "delete", "discontinue", "reinstate", "history"]
)
def test_missing_student_is_404(registrar_client, view):
    response = registrar_client.get(reverse(f"students:{view}", args=[999999]))
    assert response.status_code == 404


def test_discontinue_flow(registrar_client):
    student = StudentFactory(full_name_english="Leaving Student")
    url = reverse("students:discontinue", args=[student.pk])

    confirm = registrar_client.get(url)
    assert confirm.status_code == 200
    assert "Yes, discontinue" in confirm.content.decode()
    student.refresh_from_db()
    assert student.status == StudentStatus.ACTIVE  # GET changes nothing

    missing_reason = registrar_client.post(url, {"reason": "  "})
    assert missing_reason.status_code == 200
    assert missing_reason.context["form"].errors["reason"]

    done = registrar_client.post(url, {"reason": "Moved abroad"})
    assert done.status_code == 302
    assert done["Location"] == reverse("students:inspect", args=[student.pk])
    student.refresh_from_db()
    assert student.status == StudentStatus.DISCONTINUED
    assert student.discontinued_reason == "Moved abroad"

    # Property 9: in the discontinued list.
    listing = registrar_client.get(
        reverse("students:index"), {"status": "discontinued"}
    )
    assert student in listing.context["object_list"]
    active = registrar_client.get(reverse("students:index"), {"status": "active"})
    assert student not in active.context["object_list"]

    # A second POST (double click, back button) explains, changes nothing.
    history_rows = student.history.count()
    again = registrar_client.post(url, {"reason": "Another reason"})
    assert again.status_code == 200
    assert "Leaving Student" in again.content.decode()
    assert "is already discontinued" in again.content.decode()
    student.refresh_from_db()
    assert student.discontinued_reason == "Moved abroad"
    assert student.history.count() == history_rows


def test_discontinue_needs_csrf(client, registrar):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(registrar)
    student = StudentFactory()
    response = csrf_client.post(
        reverse("students:discontinue", args=[student.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    student.refresh_from_db()
    assert student.status == StudentStatus.ACTIVE


def test_reinstate(registrar_client):
    student = StudentFactory()
    services.student_discontinue(student=student, reason="Fees unpaid")
    url = reverse("students:reinstate", args=[student.pk])
    assert "Fees unpaid" in registrar_client.get(url).content.decode()
    assert registrar_client.post(url).status_code == 302
    student.refresh_from_db()
    assert student.status == StudentStatus.ACTIVE
    again = registrar_client.post(url)
    assert "is not discontinued" in again.content.decode()


def test_alumni_conversion_refused_names_missing_semesters(registrar_client):
    student = StudentFactory()
    for semester in (1, 2):
        subject = SubjectFactory(department=student.department, semester=semester)
        final_mark_for(student, subject=subject, obtained=70)
    url = reverse("students:convert_to_alumni", args=[student.pk])

    page = registrar_client.get(url).content.decode()
    assert "results are missing for semester(s) 3, 4, 5, 6, 7, 8" in page

    response = registrar_client.post(url, {"graduation_year": "2026"})
    assert response.status_code == 200
    assert "results are missing for semester(s) 3, 4, 5, 6, 7, 8" in (
        response.content.decode()
    )
    student.refresh_from_db()
    assert student.status == StudentStatus.ACTIVE


def test_alumni_conversion_when_all_results_exist(registrar_client):
    student = StudentFactory()
    for semester in range(1, 9):
        subject = SubjectFactory(department=student.department, semester=semester)
        final_mark_for(student, subject=subject, obtained=70)
    url = reverse("students:convert_to_alumni", args=[student.pk])
    response = registrar_client.post(
        url,
        {
            "graduation_year": "2026",
            "current_occupation": "Engineer",
            "current_organization": "Walton",
            "contact_mobile": "01812345678",
        },
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.status == StudentStatus.ALUMNI
    assert student.alumni.current_organization == "Walton"
    again = registrar_client.post(url, {"graduation_year": "2026"})
    assert "is already an alumnus" in again.content.decode()


def test_student_with_documents_is_not_deleted(registrar_client):
    student = StudentFactory()
    document_for(student)
    response = registrar_client.post(
        reverse("students:delete", args=[student.pk]), follow=True
    )
    assert "delete them first" in response.content.decode()
    assert Student.objects.filter(pk=student.pk).exists()
