"""Routines, documents, attendance, marks and structure in the back office."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.models import (
    AcademicSession,
    AttendanceRecord,
    ClassRoutine,
    Department,
    Document,
    MarksRecord,
    Weekday,
)
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    last_weekday,
)
from tests.factories.admin import (
    PDF_BYTES,
    attendance_for,
    document_for,
    final_mark_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def registrar_client(client, registrar):
    client.force_login(registrar)
    return client


@pytest.fixture
def head_client(client, head):
    client.force_login(head)
    return client


def routine_data(routine_like, **overrides):
    data = {
        "department": routine_like["department"].pk,
        "session": routine_like["session"].pk,
        "semester": str(routine_like["subject"].semester),
        "shift": "morning",
        "day_of_week": "0",
        "start_time": "09:00",
        "end_time": "09:45",
        "subject": routine_like["subject"].pk,
        "teacher": "",
        "room_number": "301",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_routine_create_through_the_form(registrar_client):
    subject = SubjectFactory()
    session = AcademicSessionFactory()
    response = registrar_client.post(
        reverse("routines:add"),
        routine_data(
            {"department": subject.department, "session": session, "subject": subject}
        ),
    )
    assert response.status_code == 302
    assert ClassRoutine.objects.get().room_number == "301"


def test_routine_room_clash_is_shown_on_the_form(registrar_client):
    existing = ClassRoutineFactory(room_number="301", start_time="09:00")
    other_subject = SubjectFactory()
    response = registrar_client.post(
        reverse("routines:add"),
        routine_data(
            {
                "department": other_subject.department,
                "session": existing.session,
                "subject": other_subject,
            },
            start_time="09:30",
            end_time="10:15",
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["room_number"]
    assert "Room 301 is already booked" in errors[0]
    assert existing.subject.code in errors[0]
    assert "Room 301 is already booked" in response.content.decode()
    assert ClassRoutine.objects.count() == 1


def test_routine_edit_into_a_clash_names_the_class_group(registrar_client):
    first = ClassRoutineFactory(start_time="09:00", end_time="09:45")
    second = ClassRoutineFactory(
        subject=SubjectFactory(department=first.department, semester=first.semester),
        session=first.session,
        start_time="10:00",
        end_time="10:45",
    )
    response = registrar_client.post(
        reverse("routines:edit", args=[second.pk]),
        routine_data(
            {
                "department": second.department,
                "session": second.session,
                "subject": second.subject,
            },
            room_number=second.room_number,
            start_time="09:15",
            end_time="10:00",
        ),
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "This class group already has a class then" in content
    second.refresh_from_db()
    assert str(second.start_time) == "10:00:00"


def test_document_upload_and_delete(registrar_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    student = StudentFactory()
    response = registrar_client.post(
        reverse("documents:add"),
        {
            "student": student.pk,
            "kind": "ssc_certificate",
            "file": SimpleUploadedFile("ssc.pdf", PDF_BYTES, "application/pdf"),
        },
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.content_type == "application/pdf"
    assert document.original_name == "ssc.pdf"
    assert document.uploaded_by.username == "registrar1"
    storage, name = document.file.storage, document.file.name
    assert storage.exists(name)

    inspect = registrar_client.get(reverse("documents:inspect", args=[document.pk]))
    assert reverse("records:document_download", args=[document.pk]) in (
        inspect.content.decode()
    )

    delete_url = reverse("documents:delete", args=[document.pk])
    assert registrar_client.get(delete_url).status_code == 200
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = registrar_client.post(delete_url)
    assert response.status_code == 302
    assert not Document.objects.exists()
    assert not storage.exists(name)


def test_document_upload_refuses_a_text_file_named_pdf(registrar_client):
    student = StudentFactory()
    response = registrar_client.post(
        reverse("documents:add"),
        {
            "student": student.pk,
            "kind": "ssc_certificate",
            "file": SimpleUploadedFile(
                "fake.pdf", b"just some text, not a pdf", "application/pdf"
            ),
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert "fake.pdf is not a PDF, JPEG, PNG file" in errors[0]
    assert not Document.objects.exists()


def test_document_upload_form_prefills_the_student(registrar_client):
    student = StudentFactory()
    response = registrar_client.get(reverse("documents:add"), {"student": student.pk})
    assert response.context["form"].initial["student"] == str(student.pk)


def test_documents_have_no_edit_view(registrar_client):
    from django.urls import NoReverseMatch

    document = document_for(StudentFactory())
    with pytest.raises(NoReverseMatch):
        reverse("documents:edit", args=[document.pk])
    listing = registrar_client.get(reverse("documents:index")).content.decode()
    assert reverse("documents:inspect", args=[document.pk]) in listing


def test_attendance_edit_goes_through_the_service(registrar_client):
    student = StudentFactory()
    attendance_for(student, present=1, absent=0)
    record = AttendanceRecord.objects.get()
    url = reverse("attendance:edit", args=[record.pk])
    data = {
        "student": student.pk,
        "subject": record.subject.pk,
        "semester": str(record.semester),
        "date": record.date.isoformat(),
        "notes": "Came late",
    }  # is_present unticked: absent
    response = registrar_client.post(url, data)
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.is_present is False
    assert record.notes == "Came late"

    # A day without this class in the routine is refused on the form.
    data["date"] = (record.date + timedelta(days=1)).isoformat()
    response = registrar_client.post(url, data)
    assert response.status_code == 200
    assert "cannot be taken for it" in response.content.decode()


def test_attendance_create_sets_recorded_by(registrar_client):
    student = StudentFactory()
    subject = attendance_for(student, present=1, absent=0)
    day = last_weekday(Weekday.SUNDAY) - timedelta(weeks=5)
    response = registrar_client.post(
        reverse("attendance:add"),
        {
            "student": student.pk,
            "subject": subject.pk,
            "semester": "1",
            "date": day.isoformat(),
            "is_present": "on",
        },
    )
    assert response.status_code == 302
    assert AttendanceRecord.objects.get(date=day).recorded_by.username == "registrar1"


def test_marks_edit_out_of_range_is_a_field_error(registrar_client):
    student = StudentFactory()
    subject = SubjectFactory(department=student.department)
    mark = final_mark_for(student, subject=subject, obtained=40)
    url = reverse("marks:edit", args=[mark.pk])
    data = {
        "student": student.pk,
        "subject": subject.pk,
        "semester": "1",
        "exam_type": "final",
        "marks_obtained": "120",
        "total_marks": "100",
    }
    response = registrar_client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["marks_obtained"]
    data["marks_obtained"] = "65.5"
    assert registrar_client.post(url, data).status_code == 302
    mark.refresh_from_db()
    assert str(mark.marks_obtained) == "65.50"
    assert MarksRecord.objects.count() == 1


def test_session_create_takes_the_current_flag(head_client):
    old = AcademicSessionFactory(is_current=True)
    response = head_client.post(
        reverse("sessions:add"),
        {
            "name": "2030-31",
            "start_date": "2030-07-01",
            "end_date": "2031-06-30",
            "is_current": "on",
        },
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert not old.is_current
    assert AcademicSession.objects.get(name="2030-31").is_current


def test_deleting_a_department_in_use_explains_why(head_client):
    student = StudentFactory()
    department = student.department
    url = reverse("departments:delete", args=[department.pk])
    response = head_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == url
    page = head_client.get(url).content.decode()
    assert "cannot be deleted: 1 other record(s) refer to it" in page
    assert student.current_roll_number in page
    assert Department.objects.filter(pk=department.pk).exists()


def test_registrar_cannot_add_departments(registrar_client):
    response = registrar_client.get(reverse("departments:add"))
    assert response.status_code in (302, 403)
    assert not DepartmentFactory._meta.model.objects.filter(code="ZZ").exists()


def test_alumni_cannot_be_added_directly(registrar_client):
    response = registrar_client.get(reverse("alumni:add"), follow=True)
    assert "Convert to alumni" in response.content.decode()


def test_inspect_pages_open(registrar_client):
    student = StudentFactory()
    subject = attendance_for(student, present=1, absent=0)
    mark = final_mark_for(student, subject=subject, obtained=70)
    routine = ClassRoutine.objects.get()
    for name, pk in [
        ("routines", routine.pk),
        ("subjects", subject.pk),
        ("departments", student.department.pk),
        ("sessions", student.session.pk),
        ("attendance", AttendanceRecord.objects.get().pk),
        ("marks", mark.pk),
    ]:
        response = registrar_client.get(reverse(f"{name}:inspect", args=[pk]))
        assert response.status_code == 200, name
    assert date.today()  # noqa: DTZ011
