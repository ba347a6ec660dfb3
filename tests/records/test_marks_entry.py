"""The Marks entry screen: a whole class's marks of one exam, all cells or none."""

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from records import services
from records.models import ExamType, MarksRecord, Shift, Weekday
from records.roles import Role
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
)

INDEX = "marks_entry:index"


@pytest.fixture
def session(db):
    return AcademicSessionFactory(is_current=True)


@pytest.fixture
def subject(session):
    """A subject the morning class group is taught in the routine (marks follow it)."""
    department = DepartmentFactory(code="CST", name="Computer Science")
    subject = SubjectFactory(
        code="CST-301", name="Programming", department=department, semester=3
    )
    ClassRoutineFactory(subject=subject, session=session, shift=Shift.MORNING)
    return subject


def make_students(subject, session, count, shift=Shift.MORNING):
    return StudentFactory.create_batch(
        count,
        department=subject.department,
        semester=subject.semester,
        shift=shift,
        session=session,
    )


@pytest.fixture
def students(subject, session):
    return make_students(subject, session, 4)


@pytest.fixture
def signed_in(client, registrar, password):
    assert client.login(username=registrar.username, password=password)
    return client


def grid_params(subject, session, exam_type=ExamType.FINAL, shift=Shift.MORNING):
    return {
        "subject": subject.pk,
        "exam_type": exam_type,
        "shift": shift,
        "session": session.pk,
    }


def grid_post(subject, session, marks, *, total="100", remarks=None, **kwargs):
    data = {**grid_params(subject, session, **kwargs), "total_marks": total}
    for student, value in marks.items():
        data[f"mark-{student.pk}"] = value
        data[f"remark-{student.pk}"] = (remarks or {}).get(student, "")
    return data


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def page_text(response) -> str:
    return " ".join(soup(response).get_text(" ").split())


def row_of(page, student):
    return page.select_one(f'input[name="mark-{student.pk}"]').find_parent("tr")


def stored(student, subject, exam_type=ExamType.FINAL):
    return MarksRecord.objects.get(
        student=student, subject=subject, exam_type=exam_type
    ).marks_obtained


def test_the_chooser_opens_with_the_current_session_and_no_grid(signed_in, session):
    AcademicSessionFactory()  # an older session is offered, not chosen

    response = signed_in.get(reverse(INDEX))

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("select[name=session] option[selected]")["value"] == str(
        session.pk
    )
    assert page.select_one("input[name^=mark-]") is None


def test_grid_lists_the_class_with_stored_marks_and_a_sensible_total(
    signed_in, subject, session, students
):
    other_shift = make_students(subject, session, 1, shift=Shift.DAY)[0]
    services.marks_grid_save(
        subject=subject,
        exam_type=ExamType.MIDTERM,
        shift=Shift.MORNING,
        session=session,
        total_marks=Decimal(40),
        entries={students[0].pk: "32.50"},
        remarks={students[0].pk: "Good"},
    )

    final = soup(signed_in.get(reverse(INDEX), grid_params(subject, session)))
    assert final.select_one("input[name=total_marks]")["value"] == "100"
    assert len(final.select("input[name^=mark-]")) == len(students)
    assert final.select_one(f'input[name="mark-{other_shift.pk}"]') is None

    midterm = soup(
        signed_in.get(
            reverse(INDEX),
            grid_params(subject, session, exam_type=ExamType.MIDTERM),
        )
    )
    # The stored exam's own total, and the stored mark as a person types it.
    assert midterm.select_one("input[name=total_marks]")["value"] == "40"
    assert midterm.select_one(f'input[name="mark-{students[0].pk}"]')["value"] == (
        "32.5"
    )
    assert midterm.select_one(f'input[name="remark-{students[0].pk}"]')["value"] == (
        "Good"
    )
    assert midterm.select_one(f'input[name="mark-{students[1].pk}"]')["value"] == ""
    text = " ".join(midterm.get_text(" ").split())
    assert "A blank cell leaves that student's stored mark as it is" in text


def test_a_valid_grid_is_saved_in_one_go(signed_in, subject, session, students):
    marks = dict(zip(students, ["80", "72.5", "0", "100"], strict=True))

    response = signed_in.post(
        reverse(INDEX),
        grid_post(subject, session, marks, remarks={students[2]: "Absent in exam"}),
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse(INDEX) + "?")
    assert MarksRecord.objects.count() == 4
    assert stored(students[1], subject) == Decimal("72.5")
    record = MarksRecord.objects.get(student=students[2])
    assert record.remarks == "Absent in exam"
    assert record.total_marks == 100
    followed = signed_in.get(response.url)
    assert (
        "Saved Final marks of CST-301 Programming for CST 3rd semester Morning"
        in page_text(followed)
    )
    assert "4 new, 0 changed, 0 unchanged, 0 blank" in page_text(followed)


def test_one_bad_cell_saves_nothing_and_shows_the_error_beside_that_student(
    signed_in, subject, session, students
):
    marks = dict(zip(students, ["80", "abc", "70", "65"], strict=True))

    response = signed_in.post(reverse(INDEX), grid_post(subject, session, marks))

    assert response.status_code == 200
    assert MarksRecord.objects.count() == 0
    page = soup(response)
    bad_row = row_of(page, students[1])
    assert "“abc” is not a number." in bad_row.get_text()
    assert bad_row.select_one("input[name^=mark-]")["aria-invalid"] == "true"
    assert "is not a number" not in row_of(page, students[0]).get_text()
    # What the user typed is kept, good cells and the bad one alike.
    for student, value in marks.items():
        assert page.select_one(f'input[name="mark-{student.pk}"]')["value"] == value
    assert "1 cell has an error; nothing was saved." in page_text(response)


def test_a_mark_above_the_total_is_a_cell_error(signed_in, subject, session, students):
    response = signed_in.post(
        reverse(INDEX), grid_post(subject, session, {students[0]: "45"}, total="40")
    )

    assert "45 is outside 0 to 40" in row_of(soup(response), students[0]).get_text()
    assert MarksRecord.objects.count() == 0


def test_bangla_digits_are_accepted(signed_in, subject, session, students):
    signed_in.post(reverse(INDEX), grid_post(subject, session, {students[0]: "৮৫.৫"}))

    assert stored(students[0], subject) == Decimal("85.5")


def test_a_blank_cell_leaves_the_stored_mark_as_it_is(
    signed_in, subject, session, students
):
    services.marks_grid_save(
        subject=subject,
        exam_type=ExamType.FINAL,
        shift=Shift.MORNING,
        session=session,
        total_marks=Decimal(100),
        entries={students[0].pk: "77"},
    )

    response = signed_in.post(
        reverse(INDEX),
        grid_post(subject, session, {students[0]: "", students[1]: "60"}),
        follow=True,
    )

    assert stored(students[0], subject) == 77
    assert stored(students[1], subject) == 60
    assert "1 new, 0 changed, 0 unchanged, 3 blank" in page_text(response)


def test_double_submit_creates_no_duplicates(signed_in, subject, session, students):
    data = grid_post(subject, session, dict.fromkeys(students, "50"))
    signed_in.post(reverse(INDEX), data)

    response = signed_in.post(reverse(INDEX), data, follow=True)

    assert MarksRecord.objects.count() == len(students)
    assert "0 new, 0 changed, 4 unchanged" in page_text(response)


def test_a_forged_student_is_refused_and_nothing_is_saved(
    signed_in, subject, session, students
):
    outsider = StudentFactory()
    data = grid_post(subject, session, {students[0]: "50"})
    data[f"mark-{outsider.pk}"] = "90"

    response = signed_in.post(reverse(INDEX), data)

    assert response.status_code == 200
    assert f"Student {outsider.pk}: This student is not in this class." in (
        page_text(response)
    )
    assert MarksRecord.objects.count() == 0


@pytest.mark.parametrize(
    "change", [{"total_marks": "0"}, {"subject": "999999"}, {"exam_type": "quiz"}]
)
def test_a_bad_total_or_choice_is_refused_without_a_crash(
    signed_in, subject, session, students, change
):
    data = grid_post(subject, session, {students[0]: "50"})
    data.update(change)

    response = signed_in.post(reverse(INDEX), data)

    assert response.status_code == 200
    assert "Nothing was saved." in page_text(response)
    assert MarksRecord.objects.count() == 0


def test_user_without_marks_rights_gets_403(
    client, make_user, password, subject, session, students
):
    clerk = make_user(Role.STUDENT, username="clerk")
    clerk.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="add_marksrecord"),  # add alone is not enough
    )
    assert client.login(username="clerk", password=password)

    assert client.get(reverse(INDEX)).status_code == 403
    response = client.post(
        reverse(INDEX), grid_post(subject, session, {students[0]: "50"})
    )
    assert response.status_code == 403
    assert MarksRecord.objects.count() == 0


def count_queries(callable_):
    with CaptureQueriesContext(connection) as queries:
        callable_()
    return len(queries)


def test_grid_get_and_post_run_a_constant_number_of_queries(
    signed_in, subject, session, django_assert_max_num_queries
):
    few = make_students(subject, session, 3)
    params = grid_params(subject, session)

    def with_bad_cell(students):
        return dict.fromkeys(students, "40") | {students[1]: "x"}

    get_few = count_queries(lambda: signed_in.get(reverse(INDEX), params))
    bad_few = count_queries(
        lambda: signed_in.post(
            reverse(INDEX), grid_post(subject, session, with_bad_cell(few))
        )
    )
    post_few = count_queries(
        lambda: signed_in.post(
            reverse(INDEX), grid_post(subject, session, dict.fromkeys(few, "40"))
        )
    )
    MarksRecord.objects.all().delete()
    many = few + make_students(subject, session, 57)

    with django_assert_max_num_queries(get_few):
        response = signed_in.get(reverse(INDEX), params)
    assert len(soup(response).select("input[name^=mark-]")) == 60
    with django_assert_max_num_queries(bad_few):
        # One bad cell re-renders all 60 rows, still without per-row reads.
        response = signed_in.post(
            reverse(INDEX), grid_post(subject, session, with_bad_cell(many))
        )
    assert response.status_code == 200
    with django_assert_max_num_queries(post_few):
        signed_in.post(
            reverse(INDEX), grid_post(subject, session, dict.fromkeys(many, "40"))
        )
    assert MarksRecord.objects.count() == 60


# --- Scope: marks only for the classes the policy gives the user -----------------------


def make_teacher(username, password, department):
    from records.roles import AccountStatus
    from tests.factories import TeacherFactory

    user = services.user_create(username=username, password=password, role=Role.TEACHER)
    services.user_set_account_status(user=user, account_status=AccountStatus.ACTIVE)
    return TeacherFactory(user=user, department=department)


@pytest.fixture
def teacher_client(client, password, subject, session):
    """Teacher A teaches CST-301 (morning); CST-302 is another teacher's."""
    from records.models import ClassRoutine

    teacher_a = make_teacher("teacher-a", password, subject.department)
    teacher_b = make_teacher("teacher-b", password, subject.department)
    services.routine_update(
        routine=ClassRoutine.objects.get(subject=subject), teacher=teacher_a
    )
    theirs = SubjectFactory(
        code="CST-302", name="Databases", department=subject.department, semester=3
    )
    ClassRoutineFactory(
        subject=theirs, session=session, teacher=teacher_b, day_of_week=Weekday.MONDAY
    )
    assert client.login(username="teacher-a", password=password)
    client.theirs = theirs
    return client


def test_a_teacher_is_offered_only_the_subjects_they_teach(
    teacher_client, subject, session, students
):
    page = soup(teacher_client.get(reverse(INDEX)))
    offered = [o.get_text() for o in page.select("select[name=subject] option")]
    assert any("CST-301" in label for label in offered)
    assert not any("CST-302" in label for label in offered)

    grid = soup(teacher_client.get(reverse(INDEX), grid_params(subject, session)))
    assert len(grid.select("input[name^=mark-]")) == len(students)


def test_a_teacher_may_save_their_own_class_but_not_another(
    teacher_client, subject, session, students
):
    theirs = teacher_client.theirs
    refused = teacher_client.post(
        reverse(INDEX), grid_post(theirs, session, {students[0]: "50"})
    )
    assert refused.status_code == 200
    assert "Nothing was saved." in page_text(refused)
    assert (
        soup(
            teacher_client.get(reverse(INDEX), grid_params(theirs, session))
        ).select_one("input[name^=mark-]")
        is None
    )

    # Their own subject, but a shift they do not teach.
    other_shift = teacher_client.post(
        reverse(INDEX),
        grid_post(subject, session, {students[0]: "50"}, shift=Shift.DAY),
    )
    assert "You do not enter marks for CST-301 in the Day shift" in page_text(
        other_shift
    )
    assert MarksRecord.objects.count() == 0

    saved = teacher_client.post(
        reverse(INDEX), grid_post(subject, session, {students[0]: "50"})
    )
    assert saved.status_code == 302
    assert stored(students[0], subject) == 50


def test_a_registrar_of_one_department_is_not_offered_another_departments_subjects(
    client, make_user, password, subject, session
):
    other = SubjectFactory(code="EEE-101", department=DepartmentFactory(code="EEE"))
    ClassRoutineFactory(subject=other, session=session)
    user = make_user(Role.REGISTRAR, username="registrar-cst")
    services.registrar_set_departments(user=user, departments=[subject.department])
    assert client.login(username="registrar-cst", password=password)

    page = soup(client.get(reverse(INDEX)))
    offered = " ".join(o.get_text() for o in page.select("select[name=subject] option"))
    assert "CST-301" in offered
    assert "EEE-101" not in offered
    student = StudentFactory(
        department=other.department, semester=other.semester, session=session
    )
    client.post(reverse(INDEX), grid_post(other, session, {student: "70"}))
    assert MarksRecord.objects.count() == 0
