"""The Take attendance screen: pick a slot, mark the class, save it in one go."""

from datetime import time, timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from records import services
from records.models import AttendanceRecord, Shift, Weekday
from records.roles import AccountStatus, Role
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    TeacherFactory,
    last_weekday,
)

INDEX = "attendance_sheet:index"


def sheet_url(routine, day=None):
    url = reverse("attendance_sheet:sheet", args=[routine.pk])
    return f"{url}?date={day.isoformat()}" if day else url


def sheet_post(routine, day, students, *, absent=(), notes=None, extra=None):
    """The POST the sheet's form sends: one status per student, a note each."""
    absent_ids = {s.pk for s in absent}
    data = {"date": day.isoformat()}
    for student in students:
        status = "absent" if student.pk in absent_ids else "present"
        data[f"status-{student.pk}"] = status
        data[f"note-{student.pk}"] = (notes or {}).get(student.pk, "")
    data.update(extra or {})
    return data


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def checked_status(page, student):
    checked = page.select_one(f'input[name="status-{student.pk}"][checked]')
    return checked["value"] if checked else None


def page_text(response) -> str:
    return " ".join(soup(response).get_text(" ").split())


@pytest.fixture
def session(db):
    return AcademicSessionFactory(is_current=True)


@pytest.fixture
def routine(session):
    department = DepartmentFactory(code="CST", name="Computer Science")
    subject = SubjectFactory(
        code="CST-301", name="Programming", department=department, semester=3
    )
    return ClassRoutineFactory(
        subject=subject, session=session, day_of_week=Weekday.SUNDAY
    )


@pytest.fixture
def day(routine):
    return last_weekday(routine.day_of_week)


def make_students(routine, count):
    return StudentFactory.create_batch(
        count,
        department=routine.department,
        semester=routine.semester,
        shift=routine.shift,
        session=routine.session,
    )


@pytest.fixture
def students(routine):
    return make_students(routine, 5)


@pytest.fixture
def signed_in(client, registrar, password):
    assert client.login(username=registrar.username, password=password)
    return client


# --- Picking a slot ---------------------------------------------------------------


def test_slot_list_shows_the_current_sessions_classes_with_a_link_to_the_sheet(
    signed_in, routine, day
):
    old_session = AcademicSessionFactory()
    ClassRoutineFactory(session=old_session, subject__code="OLD-101")

    response = signed_in.get(reverse(INDEX))

    assert response.status_code == 200
    text = page_text(response)
    assert "CST-301 Programming" in text
    assert "OLD-101" not in text
    assert "Not taken yet" in text
    assert soup(response).find("a", href=sheet_url(routine, day)) is not None


def test_slot_list_puts_the_most_recent_class_day_first_and_filters(
    signed_in, session, routine
):
    for weekday in Weekday.values:
        if weekday != routine.day_of_week:
            ClassRoutineFactory(
                session=session, day_of_week=weekday, subject__code=f"EEE-10{weekday}"
            )

    page = soup(signed_in.get(reverse(INDEX)))

    headings = [h.get_text(" ", strip=True) for h in page.select("section h2")]
    assert len(headings) == 5
    expected = sorted((last_weekday(w) for w in Weekday.values), reverse=True)
    for heading, day in zip(headings, expected, strict=True):
        assert day.isoformat() in heading
    if Weekday.of(expected[0]) is not None and expected[0] == timezone.localdate():
        assert "(today)" in headings[0]

    filtered = signed_in.get(reverse(INDEX), {"department": routine.department_id})
    text = page_text(filtered)
    assert "CST-301" in text
    assert "EEE-10" not in text
    filtered = signed_in.get(reverse(INDEX), {"shift": Shift.DAY})
    assert "CST-301" not in page_text(filtered)


def test_a_teacher_sees_their_own_classes_first(client, password, session, routine):
    user = services.user_create(
        username="teacher9", password=password, role=Role.TEACHER
    )
    services.user_set_account_status(user=user, account_status=AccountStatus.ACTIVE)
    teacher = TeacherFactory(user=user, department=routine.department)
    mine = ClassRoutineFactory(
        session=session,
        teacher=teacher,
        day_of_week=Weekday.MONDAY,
        start_time=time(11, 0),
        end_time=time(11, 45),
        subject__code="MINE-1",
    )
    assert client.login(username="teacher9", password=password)

    page = soup(client.get(reverse(INDEX)))
    sections = page.select("section")
    assert sections[0].h2.get_text(strip=True) == "Your classes"
    assert "MINE-1" in sections[0].get_text()
    # Another teacher's class is not offered at all (the permission policy).
    assert len(sections) == 1
    assert "CST-301" not in page.get_text()
    assert mine.subject.code in page.get_text()


def test_a_slot_whose_attendance_is_taken_says_so(signed_in, routine, day, students):
    services.attendance_sheet_save(routine=routine, day=day, present={})
    assert "Taken" in page_text(signed_in.get(reverse(INDEX)))


# --- The sheet -----------------------------------------------------------------------


def test_sheet_lists_every_active_student_of_the_class_present_by_default(
    signed_in, routine, day, students
):
    left = StudentFactory(
        department=routine.department,
        semester=routine.semester,
        shift=routine.shift,
        session=routine.session,
    )
    services.student_discontinue(student=left, reason="Moved away")
    other_shift = StudentFactory(
        department=routine.department,
        semester=routine.semester,
        shift=Shift.DAY,
        session=routine.session,
    )

    response = signed_in.get(sheet_url(routine))  # no date: the latest class day

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one('input[name="date"][type="hidden"]')["value"] == str(day)
    for student in students:
        assert checked_status(page, student) == "present"
        assert student.current_roll_number in page.get_text()
    assert checked_status(page, left) is None
    assert checked_status(page, other_shift) is None
    assert "5 present, 0 absent" in page_text(response)


def test_saving_sixty_students_in_one_request_creates_sixty_records(
    signed_in, routine, day
):
    students = make_students(routine, 60)
    absent = students[:2]

    response = signed_in.post(
        sheet_url(routine),
        sheet_post(routine, day, students, absent=absent, notes={absent[0].pk: "Sick"}),
    )

    assert response.status_code == 302
    assert response.url == sheet_url(routine, day)
    records = AttendanceRecord.objects.filter(subject=routine.subject, date=day)
    assert records.count() == 60
    assert set(records.filter(is_present=False).values_list("student", flat=True)) == {
        s.pk for s in absent
    }
    assert records.get(student=absent[0]).notes == "Sick"
    followed = signed_in.get(response.url)
    assert (
        f"Saved attendance for CST 3rd semester Morning, CST-301, {day}: "
        "58 present, 2 absent (60 new, 0 changed)." in page_text(followed)
    )


def test_reopening_shows_stored_values_and_saving_again_updates(
    signed_in, routine, day, students
):
    signed_in.post(
        sheet_url(routine),
        sheet_post(routine, day, students, absent=[students[0]]),
    )

    page = soup(signed_in.get(sheet_url(routine, day)))
    assert checked_status(page, students[0]) == "absent"
    assert checked_status(page, students[1]) == "present"
    assert "already taken" in page.get_text()

    response = signed_in.post(
        sheet_url(routine),
        sheet_post(
            routine, day, students, absent=[students[1]], notes={students[1].pk: "Late"}
        ),
        follow=True,
    )

    assert "4 present, 1 absent (0 new, 2 changed)" in page_text(response)
    records = AttendanceRecord.objects.filter(subject=routine.subject, date=day)
    assert records.count() == len(students)
    assert records.get(student=students[0]).is_present
    assert not records.get(student=students[1]).is_present
    assert records.get(student=students[1]).notes == "Late"


def test_double_submit_changes_nothing_the_second_time(
    signed_in, routine, day, students
):
    data = sheet_post(routine, day, students, absent=[students[2]])
    signed_in.post(sheet_url(routine), data)

    response = signed_in.post(sheet_url(routine), data, follow=True)

    assert "4 present, 1 absent (0 new, 0 changed)" in page_text(response)
    assert AttendanceRecord.objects.count() == len(students)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("wrong_weekday", "but this class is on Sunday"),
        ("future", "cannot be taken for a future date"),
    ],
)
def test_a_date_the_class_does_not_meet_is_refused_with_a_clear_message(
    signed_in, routine, day, students, when, message
):
    bad_day = day - timedelta(days=1) if when == "wrong_weekday" else day + timedelta(7)

    response = signed_in.post(
        sheet_url(routine), sheet_post(routine, bad_day, students)
    )

    assert response.status_code == 200
    text = page_text(response)
    assert "Nothing was saved." in text
    assert message in text
    assert AttendanceRecord.objects.count() == 0
    # Asking for the date up front says the same, and shows no sheet.
    shown = signed_in.get(sheet_url(routine, bad_day))
    assert message in page_text(shown)
    assert soup(shown).select_one("input[name^=status-]") is None


def test_a_slot_no_longer_in_the_routine_is_refused(signed_in, routine, day, students):
    data = sheet_post(routine, day, students)
    services.routine_update(routine=routine, is_active=False)

    response = signed_in.post(sheet_url(routine), data)

    assert response.status_code == 200
    assert "has no CST-301 class on Sunday in its routine" in page_text(response)
    assert AttendanceRecord.objects.count() == 0


def test_a_forged_student_id_is_refused_and_nothing_is_written(
    signed_in, routine, day, students
):
    outsider = StudentFactory(shift=Shift.DAY)
    data = sheet_post(routine, day, students)
    data[f"status-{outsider.pk}"] = "absent"

    response = signed_in.post(sheet_url(routine), data)

    assert response.status_code == 200
    text = page_text(response)
    assert "Nothing was saved." in text
    assert f"These students are not in this class: {outsider.pk}." in text
    assert AttendanceRecord.objects.count() == 0


@pytest.mark.parametrize(
    "extra",
    [{"status-abc": "present"}, {"status-1": "maybe"}, {"date": "yesterday"}],
)
def test_a_malformed_sheet_is_refused_without_a_crash(
    signed_in, routine, day, students, extra
):
    data = sheet_post(routine, day, students)
    data.update(extra)
    if "status-1" in extra:
        data[f"status-{students[0].pk}"] = "maybe"

    response = signed_in.post(sheet_url(routine), data)

    assert response.status_code == 200
    assert "Nothing was saved." in page_text(response)
    assert AttendanceRecord.objects.count() == 0


def test_a_student_who_joined_after_the_sheet_was_opened_stops_the_save(
    signed_in, routine, day, students
):
    data = sheet_post(routine, day, students)
    newcomer = make_students(routine, 1)[0]

    response = signed_in.post(sheet_url(routine), data)

    assert response.status_code == 200
    assert f"{newcomer} joined" in page_text(response)
    assert checked_status(soup(response), newcomer) == "present"
    assert AttendanceRecord.objects.count() == 0


def test_user_without_attendance_rights_gets_403(
    client, make_user, password, routine, day, students
):
    clerk = make_user(Role.STUDENT, username="clerk")
    clerk.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_attendancerecord"),
    )
    assert client.login(username="clerk", password=password)

    assert client.get(reverse(INDEX)).status_code == 403
    assert client.get(sheet_url(routine, day)).status_code == 403
    response = client.post(sheet_url(routine), sheet_post(routine, day, students))
    assert response.status_code == 403
    assert "your role may not use this screen" in page_text(response)
    assert AttendanceRecord.objects.count() == 0


def test_a_teacher_may_take_attendance(client, active_teacher, password, routine):
    assert client.login(username=active_teacher.username, password=password)
    assert client.get(reverse(INDEX)).status_code == 200


# --- Scope: who may take attendance for which class (the permission policy) ------


def make_teacher(username, password, department):
    user = services.user_create(username=username, password=password, role=Role.TEACHER)
    services.user_set_account_status(user=user, account_status=AccountStatus.ACTIVE)
    return TeacherFactory(user=user, department=department)


def sign_in(client, username, password):
    client.logout()
    assert client.login(username=username, password=password)
    return client


@pytest.fixture
def two_teachers(password, session, routine):
    """Teacher A teaches ``routine``; teacher B a Monday class of the same group."""
    teacher_a = make_teacher("teacher-a", password, routine.department)
    teacher_b = make_teacher("teacher-b", password, routine.department)
    routine = services.routine_update(routine=routine, teacher=teacher_a)
    other = ClassRoutineFactory(
        session=session,
        subject__department=routine.department,
        subject__semester=routine.semester,
        subject__code="CST-302",
        teacher=teacher_b,
        day_of_week=Weekday.MONDAY,
    )
    return teacher_a, teacher_b, routine, other


def test_a_teacher_sees_and_saves_only_their_own_slot(
    client, password, two_teachers, day, students
):
    _teacher_a, _teacher_b, mine, other = two_teachers
    sign_in(client, "teacher-a", password)

    text = page_text(client.get(reverse(INDEX)))
    assert "CST-301" in text
    assert "CST-302" not in text

    response = client.post(
        sheet_url(mine), sheet_post(mine, day, students, absent=[students[0]])
    )

    assert response.status_code == 302
    records = AttendanceRecord.objects.filter(subject=mine.subject, date=day)
    assert records.count() == len(students)
    assert records.get(student=students[0]).recorded_by.username == "teacher-a"


def test_another_teachers_slot_answers_404_and_nothing_is_written(
    client, password, two_teachers, students
):
    _teacher_a, _teacher_b, _mine, other = two_teachers
    other_day = last_weekday(other.day_of_week)
    sign_in(client, "teacher-a", password)

    assert client.get(sheet_url(other)).status_code == 404
    assert client.get(sheet_url(other, other_day)).status_code == 404
    response = client.post(sheet_url(other), sheet_post(other, other_day, students))

    assert response.status_code == 404
    assert AttendanceRecord.objects.count() == 0
    # A routine id that does not exist answers the same.
    assert client.get(
        sheet_url(other).replace(str(other.pk), "999999")
    ).status_code == (404)


def test_a_registrar_of_one_department_cannot_open_another_departments_slot(
    client, make_user, password, session, routine, day, students
):
    other_department = DepartmentFactory(code="EEE", name="Electrical")
    theirs = ClassRoutineFactory(
        session=session, subject__department=other_department, subject__code="EEE-101"
    )
    user = make_user(Role.REGISTRAR, username="registrar-cst")
    services.registrar_set_departments(user=user, departments=[routine.department])
    sign_in(client, "registrar-cst", password)

    text = page_text(client.get(reverse(INDEX)))
    assert "CST-301" in text
    assert "EEE-101" not in text
    assert client.get(sheet_url(routine, day)).status_code == 200
    theirs_day = last_weekday(theirs.day_of_week)
    assert client.get(sheet_url(theirs, theirs_day)).status_code == 404
    response = client.post(sheet_url(theirs), {"date": theirs_day.isoformat()})
    assert response.status_code == 404
    assert AttendanceRecord.objects.count() == 0


def test_reassigning_a_slots_teacher_moves_the_right_at_once(
    client, password, two_teachers, day, students
):
    _teacher_a, teacher_b, mine, _other = two_teachers
    sign_in(client, "teacher-a", password)
    assert client.get(sheet_url(mine, day)).status_code == 200

    services.routine_update(routine=mine, teacher=teacher_b)

    assert client.get(sheet_url(mine, day)).status_code == 404
    assert "CST-301" not in page_text(client.get(reverse(INDEX)))
    sign_in(client, "teacher-b", password)
    assert client.get(sheet_url(mine, day)).status_code == 200
    response = client.post(sheet_url(mine), sheet_post(mine, day, students))
    assert response.status_code == 302
    assert AttendanceRecord.objects.filter(subject=mine.subject).count() == len(
        students
    )


# --- Query counts --------------------------------------------------------------------


def count_queries(callable_):
    with CaptureQueriesContext(connection) as queries:
        response = callable_()
    return response, len(queries)


def test_sheet_get_and_post_run_a_constant_number_of_queries(
    signed_in, routine, day, django_assert_max_num_queries
):
    few = make_students(routine, 3)
    _, get_few = count_queries(lambda: signed_in.get(sheet_url(routine, day)))
    _, post_few = count_queries(
        lambda: signed_in.post(sheet_url(routine), sheet_post(routine, day, few))
    )
    AttendanceRecord.objects.all().delete()
    many = few + make_students(routine, 57)

    with django_assert_max_num_queries(get_few):
        response = signed_in.get(sheet_url(routine, day))
    assert len(soup(response).select("input[name^=status-][value=present]")) == 60
    with django_assert_max_num_queries(post_few):
        response = signed_in.post(sheet_url(routine), sheet_post(routine, day, many))
    assert response.status_code == 302
    assert AttendanceRecord.objects.count() == 60
    # The sheet of a class with stored records reads them in one query too.
    with django_assert_max_num_queries(get_few):
        signed_in.get(sheet_url(routine, day))
    with django_assert_max_num_queries(20):
        signed_in.get(reverse(INDEX))
