"""The portal: a student's own records (Property 12) and a captain's attendance sheet."""

from datetime import timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from records import services
from records.models import AttendanceRecord, DocumentKind, ExamType, Shift, Weekday
from records.roles import Role
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    last_weekday,
)

MY_RECORDS = "portal:my_records"
ATTENDANCE = "portal:attendance"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def page_text(response) -> str:
    return " ".join(soup(response).get_text(" ").split())


def sheet_url(routine, day=None):
    url = reverse("portal:attendance_sheet", args=[routine.pk])
    return f"{url}?date={day.isoformat()}" if day else url


def sheet_post(day, students, *, absent=()):
    absent_ids = {s.pk for s in absent}
    data = {"date": day.isoformat()}
    for student in students:
        data[f"status-{student.pk}"] = (
            "absent" if student.pk in absent_ids else "present"
        )
    return data


@pytest.fixture
def session(db):
    return AcademicSessionFactory(is_current=True)


@pytest.fixture
def department(db):
    return DepartmentFactory(code="CST", name="Computer Science")


@pytest.fixture
def routine(session, department):
    subject = SubjectFactory(
        code="CST-301", name="Programming", department=department, semester=3
    )
    return ClassRoutineFactory(
        subject=subject, session=session, day_of_week=Weekday.SUNDAY
    )


@pytest.fixture
def day(routine):
    return last_weekday(routine.day_of_week)


def student_with_account(username, password, **fields):
    user = services.user_create(username=username, password=password, role=Role.STUDENT)
    return StudentFactory(user=user, **fields)


def in_group(routine):
    return {
        "department": routine.department,
        "semester": routine.semester,
        "shift": routine.shift,
        "session": routine.session,
    }


@pytest.fixture
def classmates(routine):
    return StudentFactory.create_batch(3, **in_group(routine))


@pytest.fixture
def captain(password, routine, classmates):
    student = student_with_account(
        "captain", password, full_name_english="Rafiq Captain", **in_group(routine)
    )
    services.captain_appoint(student=student)
    return student


@pytest.fixture
def other_group_routine(session, department):
    """The same department's 3rd semester, Day shift: another class group."""
    subject = SubjectFactory(code="CST-302", department=department, semester=3)
    return ClassRoutineFactory(
        subject=subject, session=session, shift=Shift.DAY, day_of_week=Weekday.SUNDAY
    )


def sign_in(client, username, password):
    client.logout()
    assert client.login(username=username, password=password)
    return client


# --- My records (Property 12: a student sees only their own data) -----------------


@pytest.fixture
def two_students(password, routine, day):
    amina = student_with_account(
        "amina", password, full_name_english="Amina Akter", **in_group(routine)
    )
    babul = student_with_account(
        "babul", password, full_name_english="Babul Hossain", **in_group(routine)
    )
    services.attendance_sheet_save(
        routine=routine, day=day, present={amina.pk: True, babul.pk: False}
    )
    services.marks_grid_save(
        subject=routine.subject,
        exam_type=ExamType.FINAL,
        shift=routine.shift,
        session=routine.session,
        total_marks=Decimal(100),
        entries={amina.pk: "82", babul.pk: "37"},
    )
    documents = {
        student: services.document_upload(
            student=student,
            kind=DocumentKind.SSC_CERTIFICATE,
            uploaded_file=SimpleUploadedFile(f"{student.pk}-ssc.pdf", PDF),
        )
        for student in (amina, babul)
    }
    return amina, babul, documents


def test_my_records_shows_the_students_own_profile_attendance_results_and_routine(
    client, password, two_students, routine
):
    amina, _babul, documents = two_students
    sign_in(client, "amina", password)

    response = client.get(reverse(MY_RECORDS))

    assert response.status_code == 200
    text = page_text(response)
    assert "Amina Akter" in text
    assert amina.current_roll_number in text
    assert amina.current_registration_number in text
    # Attendance: 1 of 1 class present; results: 82/100 is an A+.
    assert "CST-301 Programming 1 1 100.00%" in text
    assert "GPA 4.00" in text
    assert "A+" in text
    # The weekly routine, Sunday to Thursday.
    assert "Sunday" in text and "Thursday" in text
    assert routine.room_number in text
    link = soup(response).find(
        "a", href=reverse("records:document_download", args=[documents[amina].pk])
    )
    assert link is not None
    assert client.get(link["href"]).status_code == 200


def test_a_student_never_sees_another_students_records(client, password, two_students):
    amina, babul, documents = two_students
    sign_in(client, "amina", password)

    # No URL parameter selects a student: a guessed one is ignored.
    for params in ({}, {"student": babul.pk}, {"pk": babul.pk}, {"id": babul.pk}):
        text = page_text(client.get(reverse(MY_RECORDS), params))
        assert "Amina Akter" in text
        assert "Babul Hossain" not in text
        assert babul.current_roll_number not in text
        assert "37/100" not in text  # Babul's mark
    other_document = reverse("records:document_download", args=[documents[babul].pk])
    assert other_document not in client.get(reverse(MY_RECORDS)).content.decode()
    # A guessed id of the other student's anything answers 404.
    assert client.get(other_document).status_code == 404
    assert (
        client.get(reverse("records:student_photo", args=[babul.pk])).status_code == 404
    )
    assert client.get(f"/portal/{babul.pk}/").status_code == 404


def test_a_user_without_a_student_profile_gets_an_explanation(
    client, make_user, password
):
    make_user(Role.STUDENT, username="applicant")
    sign_in(client, "applicant", password)

    response = client.get(reverse(MY_RECORDS))

    assert response.status_code == 200
    assert "not linked to a student record" in page_text(response)


def test_the_portal_needs_a_sign_in(client, db):
    response = client.get(reverse(MY_RECORDS))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert client.get(reverse(ATTENDANCE)).status_code == 302


def test_students_and_captains_find_the_portal_from_their_account_page(
    client, password, captain, routine
):
    student_with_account("plain", password, **in_group(routine))
    sign_in(client, "plain", password)
    page = soup(client.get(reverse("accounts:profile")))
    hrefs = {a["href"] for a in page.find_all("a")}
    assert reverse(MY_RECORDS) in hrefs
    assert reverse(ATTENDANCE) not in hrefs

    sign_in(client, "captain", password)
    page = soup(client.get(reverse("accounts:profile")))
    hrefs = {a["href"] for a in page.find_all("a")}
    assert {reverse(MY_RECORDS), reverse(ATTENDANCE)} <= hrefs


# --- Captain: take attendance for their own class group ---------------------------------


def test_a_captain_takes_attendance_for_their_own_class(
    client, password, captain, classmates, routine, day, other_group_routine
):
    sign_in(client, "captain", password)
    everyone = [*classmates, captain]

    listing = client.get(reverse(ATTENDANCE), {"date": day.isoformat()})
    assert listing.status_code == 200
    assert soup(listing).find("a", href=sheet_url(routine, day)) is not None
    assert "CST-302" not in page_text(listing)

    sheet = soup(client.get(sheet_url(routine, day)))
    radios = sheet.select("input[name^=status-][value=present][checked]")
    assert len(radios) == len(everyone)

    response = client.post(
        sheet_url(routine), sheet_post(day, everyone, absent=[classmates[0]])
    )

    assert response.status_code == 302
    assert response.url == sheet_url(routine, day)
    records = AttendanceRecord.objects.filter(subject=routine.subject, date=day)
    assert records.count() == len(everyone)
    assert list(records.filter(is_present=False).values_list("student", flat=True)) == [
        classmates[0].pk
    ]
    assert {r.recorded_by.username for r in records} == {"captain"}
    followed = client.get(response.url)
    assert "3 present, 1 absent (4 new, 0 changed)" in page_text(followed)
    # Re-opened, the sheet shows the stored values.
    checked = soup(followed).select_one(
        f'input[name="status-{classmates[0].pk}"][checked]'
    )
    assert checked["value"] == "absent"


def test_a_captain_re_saving_keeps_the_teachers_notes(
    client, password, captain, classmates, routine, day
):
    everyone = [*classmates, captain]
    services.attendance_sheet_save(
        routine=routine,
        day=day,
        present={s.pk: True for s in everyone},
        notes={classmates[1].pk: "Came late"},
    )
    sign_in(client, "captain", password)

    client.post(sheet_url(routine), sheet_post(day, everyone, absent=[classmates[0]]))

    record = AttendanceRecord.objects.get(student=classmates[1], date=day)
    assert record.notes == "Came late"
    assert not AttendanceRecord.objects.get(student=classmates[0], date=day).is_present


def test_another_groups_routine_answers_404_and_nothing_is_written(
    client, password, captain, other_group_routine, day
):
    outsiders = StudentFactory.create_batch(2, **in_group(other_group_routine))
    sign_in(client, "captain", password)

    assert client.get(sheet_url(other_group_routine, day)).status_code == 404
    response = client.post(sheet_url(other_group_routine), sheet_post(day, outsiders))

    assert response.status_code == 404
    assert AttendanceRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("day_before", "but this class is on Sunday"),
        ("next_week", "cannot be taken for a future date"),
    ],
)
def test_a_day_without_that_class_is_refused_and_nothing_is_written(
    client, password, captain, classmates, routine, day, when, message
):
    bad_day = day - timedelta(days=1) if when == "day_before" else day + timedelta(7)
    sign_in(client, "captain", password)

    shown = client.get(sheet_url(routine, bad_day))
    assert shown.status_code == 200
    assert message in page_text(shown)
    assert soup(shown).select_one("input[name^=status-]") is None

    response = client.post(
        sheet_url(routine), sheet_post(bad_day, [*classmates, captain])
    )
    assert response.status_code == 200
    assert "Nothing was saved." in page_text(response)
    assert message in page_text(response)
    assert AttendanceRecord.objects.count() == 0


def test_the_class_list_of_a_day_without_classes_says_so(
    client, password, captain, day
):
    sign_in(client, "captain", password)
    friday = day + timedelta(days=5)  # Sunday + 5: the weekend
    if friday > timezone.localdate():
        friday -= timedelta(days=7)

    response = client.get(reverse(ATTENDANCE), {"date": friday.isoformat()})

    assert "Your class has no classes on Friday" in page_text(response)
    future = client.get(
        reverse(ATTENDANCE), {"date": (day + timedelta(days=7)).isoformat()}
    )
    assert "cannot be taken for a future date" in page_text(future)


def test_a_plain_student_cannot_reach_the_captain_pages(
    client, password, routine, classmates, day
):
    student_with_account("plain", password, **in_group(routine))
    sign_in(client, "plain", password)

    assert client.get(reverse(ATTENDANCE)).status_code == 403
    assert client.get(sheet_url(routine, day)).status_code == 403
    response = client.post(sheet_url(routine), sheet_post(day, classmates))
    assert response.status_code == 403
    assert "Only the captain of a class takes attendance" in page_text(response)
    assert AttendanceRecord.objects.count() == 0


def test_a_dismissed_captain_loses_the_sheet_at_once(
    client, password, captain, routine, day
):
    sign_in(client, "captain", password)
    assert client.get(sheet_url(routine, day)).status_code == 200

    services.captain_dismiss(student=captain)

    assert client.get(sheet_url(routine, day)).status_code == 403
