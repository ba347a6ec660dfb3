"""Marks through the API (seed 000 §6): scope, writes, results, filters."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records import selectors, services
from records.models import ActivityLog, ExamType, MarksRecord
from tests.api import test_routines_api as routines_tests
from tests.api.conftest import assert_error
from tests.factories import StudentFactory

academics = routines_tests.academics

MARKS = "/api/v1/marks/"


def student_url(student) -> str:
    return f"{MARKS}student/{student.pk}/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def mark(student, subject, exam_type, obtained, total="100") -> MarksRecord:
    return services.marks_record_save(
        record=MarksRecord(
            student=student,
            subject=subject,
            semester=subject.semester,
            exam_type=exam_type,
            marks_obtained=Decimal(obtained),
            total_marks=Decimal(total),
        )
    )


@pytest.fixture
def marks(academics) -> dict:
    """Own student: A (final 85, midterm 30/50) and A2 (final 35); Rahim A 50; B 70."""
    a = academics
    own, rahim = a.institute.own_student, a.institute.students_a[1]
    return {
        "own_a_final": mark(own, a.subject_a, ExamType.FINAL, "85"),
        "own_a_mid": mark(own, a.subject_a, ExamType.MIDTERM, "30", "50"),
        "own_a2_final": mark(own, a.subject_a2, ExamType.FINAL, "35"),
        "rahim_a_final": mark(rahim, a.subject_a, ExamType.FINAL, "50"),
        "b_final": mark(a.class_b[0], a.subject_b, ExamType.FINAL, "70"),
    }


def pks(marks, *names) -> set[int]:
    return {marks[n].pk for n in names}


# --- Reading -----------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_401(api, academics):
    assert_error(api.get(MARKS), 401)
    assert_error(api.get(student_url(academics.captain)), 401)
    assert_error(api.post(MARKS, {}), 401)


@pytest.mark.django_db
def test_each_role_lists_what_the_policy_gives_it(api, academics, marks):
    a = academics
    everything = set(pks(marks, *marks))
    api.force_login(a.institute.head)
    assert ids(api.get(MARKS)) == everything
    api.force_login(a.institute.registrar_a)
    assert ids(api.get(MARKS)) == everything - pks(marks, "b_final")
    assert_error(api.get(f"{MARKS}{marks['b_final'].pk}/"), 404)
    api.force_login(a.institute.teacher)
    assert ids(api.get(MARKS)) == pks(
        marks, "own_a_final", "own_a_mid", "rahim_a_final"
    )
    assert_error(api.get(f"{MARKS}{marks['own_a2_final'].pk}/"), 404)
    api.force_login(a.institute.student_user)
    assert ids(api.get(MARKS)) == pks(marks, "own_a_final", "own_a_mid", "own_a2_final")
    assert_error(api.get(f"{MARKS}{marks['rahim_a_final'].pk}/"), 404)
    api.force_login(a.captain_user)
    assert ids(api.get(MARKS)) == set()


@pytest.mark.django_db
def test_filters(api, academics, marks):
    a = academics
    api.force_login(a.institute.head)
    own = a.institute.own_student
    assert ids(api.get(MARKS, {"student": own.pk})) == pks(
        marks, "own_a_final", "own_a_mid", "own_a2_final"
    )
    assert ids(api.get(MARKS, {"subject": a.subject_a2.pk})) == pks(
        marks, "own_a2_final"
    )
    assert ids(api.get(MARKS, {"exam_type": ExamType.MIDTERM})) == pks(
        marks, "own_a_mid"
    )
    assert ids(api.get(MARKS, {"department": a.institute.department_b.pk})) == pks(
        marks, "b_final"
    )
    assert ids(api.get(MARKS, {"result": "fail"})) == pks(marks, "own_a2_final")
    assert ids(api.get(MARKS, {"result": "pass", "subject": a.subject_a.pk})) == pks(
        marks, "own_a_final", "own_a_mid", "rahim_a_final"
    )
    # Bands: floor(percentage / 10): 85 -> 8, 30/50 = 60% -> 6.
    assert ids(api.get(MARKS, {"band": 8})) == pks(marks, "own_a_final")
    assert ids(api.get(MARKS, {"band": 6})) == pks(marks, "own_a_mid")
    assert ids(
        api.get(
            MARKS,
            {
                "semester": 1,
                "session": a.institute.session.pk,
                "shift": "morning",
                "exam_type": ExamType.FINAL,
                "department": a.institute.department_a.pk,
            },
        )
    ) == pks(marks, "own_a_final", "own_a2_final", "rahim_a_final")
    rows = api.get(MARKS, {"ordering": "-marks_obtained"}).json()["results"]
    assert [row["marks_obtained"] for row in rows][:2] == ["85.00", "70.00"]
    row = api.get(f"{MARKS}{marks['own_a_mid'].pk}/").json()
    assert (row["percentage"], row["passed"], row["total_marks"]) == (
        "60.00",
        True,
        "50.00",
    )
    for bad in ({"result": "maybe"}, {"band": 12}, {"exam_type": "quiz"}):
        body = assert_error(api.get(MARKS, bad), 400)
        assert set(bad) <= set(body["field_errors"])


# --- Writing -----------------------------------------------------------------------


def body_for(student, subject, **extra) -> dict:
    return {
        "student": student.pk,
        "subject": subject.pk,
        "exam_type": ExamType.ASSIGNMENT,
        "marks_obtained": "18.5",
        "total_marks": "20",
        **extra,
    }


@pytest.mark.django_db
def test_teacher_records_marks_of_their_class(api, academics):
    a = academics
    api.force_login(a.institute.teacher)
    rahim = a.institute.students_a[1]
    response = api.post(MARKS, body_for(rahim, a.subject_a, remarks="good"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["semester"], body["percentage"], body["recorded_by"]) == (
        1,
        "92.50",
        "api_teacher",
    )
    record = MarksRecord.objects.get(pk=body["id"])
    assert record.history.first().history_user == a.institute.teacher
    assert ActivityLog.objects.filter(
        entity_type="marksrecord", entity_id=str(record.pk), action_type="create"
    ).exists()
    body = assert_error(api.post(MARKS, body_for(rahim, a.subject_a)), 400)
    assert "already recorded" in body["details"]


@pytest.mark.django_db
def test_marks_validation(api, academics):
    a = academics
    api.force_login(a.institute.head)
    own = a.institute.own_student
    body = assert_error(
        api.post(MARKS, body_for(own, a.subject_a, marks_obtained="21")), 400
    )
    assert "between 0 and the total" in body["field_errors"]["marks_obtained"][0]
    body = assert_error(
        api.post(MARKS, body_for(own, a.subject_a, total_marks="0")), 400
    )
    assert "total_marks" in body["field_errors"]
    body = assert_error(
        api.post(MARKS, body_for(own, a.subject_a, marks_obtained="-1")), 400
    )
    assert "marks_obtained" in body["field_errors"]
    body = assert_error(
        api.post(MARKS, body_for(own, a.subject_a, marks_obtained="1.234")), 400
    )
    assert "marks_obtained" in body["field_errors"]
    body = assert_error(api.post(MARKS, body_for(own, a.subject_a, exam_type="x")), 400)
    assert "exam_type" in body["field_errors"]
    body = assert_error(api.post(MARKS, {}), 400)
    assert {"student", "subject", "exam_type", "marks_obtained", "total_marks"} <= set(
        body["field_errors"]
    )
    assert MarksRecord.objects.count() == 0


@pytest.mark.django_db
def test_write_scope(api, academics, marks):
    a = academics
    own = a.institute.own_student
    api.force_login(a.institute.teacher)
    body = assert_error(api.post(MARKS, body_for(own, a.subject_a2)), 400)
    assert "outside" in body["details"]
    assert (
        "student"
        in assert_error(api.post(MARKS, body_for(a.class_b[0], a.subject_b)), 400)[
            "field_errors"
        ]
    )
    for user in (a.institute.student_user, a.captain_user):
        api.force_login(user)
        assert_error(api.post(MARKS, body_for(own, a.subject_a)), 403)
    api.force_login(a.institute.registrar_a)
    assert api.post(MARKS, body_for(own, a.subject_a2)).status_code == 201
    assert MarksRecord.objects.count() == len(marks) + 1


@pytest.mark.django_db
def test_update(api, academics, marks):
    a = academics
    url = f"{MARKS}{marks['rahim_a_final'].pk}/"
    api.force_login(a.institute.teacher)
    response = api.patch(url, {"marks_obtained": "55"})
    assert response.status_code == 200, response.content
    assert response.json()["marks_obtained"] == "55.00"
    entry = ActivityLog.objects.get(
        entity_type="marksrecord",
        entity_id=str(marks["rahim_a_final"].pk),
        action_type="update",
    )
    assert entry.changes["marks_obtained"] == {"before": "50.00", "after": "55.00"}
    put = body_for(
        a.institute.students_a[1],
        a.subject_a,
        exam_type=ExamType.FINAL,
        marks_obtained="60",
        total_marks="100",
    )
    assert api.put(url, put).json()["marks_obtained"] == "60.00"
    body = assert_error(api.patch(url, {"marks_obtained": "101"}), 400)
    assert "marks_obtained" in body["field_errors"]
    # Moving the mark to a subject the teacher does not teach is refused.
    body = assert_error(api.patch(url, {"subject": a.subject_a2.pk}), 400)
    assert "outside" in body["details"]
    assert_error(
        api.patch(f"{MARKS}{marks['own_a2_final'].pk}/", {"remarks": "x"}), 404
    )
    api.force_login(a.institute.student_user)
    assert_error(api.patch(f"{MARKS}{marks['own_a_final'].pk}/", {"remarks": "x"}), 403)
    api.force_login(a.institute.registrar_a)
    assert_error(api.patch(f"{MARKS}{marks['b_final'].pk}/", {"remarks": "x"}), 404)
    marks["rahim_a_final"].refresh_from_db()
    assert marks["rahim_a_final"].marks_obtained == Decimal("60")


@pytest.mark.django_db
def test_delete(api, academics, marks):
    a = academics
    url = f"{MARKS}{marks['rahim_a_final'].pk}/"
    api.force_login(a.institute.teacher)  # enters marks, may not delete them
    assert_error(api.delete(url), 403)
    api.force_login(a.institute.student_user)  # no right to delete: 403 first
    assert_error(api.delete(url), 403)
    api.force_login(a.institute.registrar_a)
    assert_error(api.delete(f"{MARKS}{marks['b_final'].pk}/"), 404)
    assert api.delete(url).status_code == 204
    assert not MarksRecord.objects.filter(pk=marks["rahim_a_final"].pk).exists()
    entry = ActivityLog.objects.get(
        entity_type="marksrecord",
        entity_id=str(marks["rahim_a_final"].pk),
        action_type="delete",
    )
    assert entry.user == a.institute.registrar_a
    api.force_login(a.institute.head)
    assert api.delete(f"{MARKS}{marks['b_final'].pk}/").status_code == 204


# --- A student's marks and results ---------------------------------------------------


@pytest.mark.django_db
def test_student_marks_with_results(api, academics, marks):
    a = academics
    own = a.institute.own_student
    api.force_login(a.institute.student_user)
    body = api.get(student_url(own)).json()
    assert body["partial"] is False
    assert {r["id"] for r in body["records"]} == pks(
        marks, "own_a_final", "own_a_mid", "own_a2_final"
    )
    expected = selectors.student_semester_results(student=own)
    [semester] = body["results"]
    assert semester["gpa"] == str(expected[0].gpa)
    assert semester["complete"] is True and semester["passed"] is False
    subjects = {s["code"]: s for s in semester["subjects"]}
    # Algebra: (85 + 30) / (100 + 50) = 76.67%: A; Botany 35%: F.
    assert (subjects["APA-101"]["percentage"], subjects["APA-101"]["grade"]) == (
        "76.67",
        "A",
    )
    assert subjects["APA-101"]["exams"]["midterm"] == ["30.00", "50.00"]
    assert subjects["APA-102"]["grade"] == "F"
    assert_error(api.get(student_url(a.institute.students_a[1])), 404)
    # The teacher sees their subject only: no GPA or verdict from half the marks.
    api.force_login(a.institute.teacher)
    body = api.get(student_url(own)).json()
    assert body["partial"] is True
    [semester] = body["results"]
    assert [s["code"] for s in semester["subjects"]] == ["APA-101"]
    assert semester["subjects"][0]["percentage"] == "76.67"
    assert semester["gpa"] is None and semester["passed"] is None
    assert_error(api.get(student_url(a.class_b[0])), 404)
    api.force_login(a.institute.head)
    assert (
        api.get(student_url(a.class_b[0])).json()["results"][0]["subjects"][0]["grade"]
        == "A-"
    )


# --- Query count ----------------------------------------------------------------------


@pytest.mark.django_db
def test_list_query_count_does_not_grow(
    django_assert_num_queries, api, academics, marks
):
    a = academics
    api.force_login(a.institute.teacher)
    api.get(MARKS)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(MARKS).status_code == 200
        return len(queries)

    few = count()
    for n in range(6):
        student = StudentFactory(
            full_name_english=f"Marked {n}",
            department=a.institute.department_a,
            session=a.institute.session,
        )
        mark(student, a.subject_a, ExamType.FINAL, str(40 + n))
    with django_assert_num_queries(few):
        assert api.get(MARKS).status_code == 200


# --- The marks grid: one exam for a whole class -------------------------------------

GRID = "/api/v1/marks/grid/"


def grid_body(academics, entries: dict, **extra) -> dict:
    return {
        "subject": academics.subject_a.pk,
        "exam_type": ExamType.PRACTICAL,
        "shift": "morning",
        "session": academics.institute.session.pk,
        "total_marks": "25",
        "entries": [
            {"student": student.pk, "marks_obtained": value}
            for student, value in entries.items()
        ],
        **extra,
    }


@pytest.mark.django_db
def test_grid_saves_a_class_and_reposting_never_duplicates(api, academics):
    a = academics
    own, rahim, captain = a.class_a_by_name()
    api.force_login(a.institute.teacher)
    body = grid_body(a, {own: "20", rahim: "১২", captain: None})
    body["entries"][0]["remarks"] = "neat"
    response = api.post(GRID, body)
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "blank": 1}
    stored = {m.student_id: m for m in MarksRecord.objects.all()}
    assert stored[rahim.pk].marks_obtained == Decimal("12")
    assert stored[own.pk].remarks == "neat"
    assert stored[own.pk].history.first().history_user == a.institute.teacher
    assert ActivityLog.objects.filter(entity_type="marksgrid").count() == 1
    # Again, without remarks: unchanged, and the stored remark is kept.
    body["entries"][0].pop("remarks")
    assert api.post(GRID, body).json()["unchanged"] == 2
    assert MarksRecord.objects.get(student=own).remarks == "neat"
    assert MarksRecord.objects.count() == 2


@pytest.mark.django_db
def test_grid_is_all_or_nothing_and_scoped(api, academics):
    a = academics
    own, rahim, captain = a.class_a_by_name()
    api.force_login(a.institute.teacher)
    bad = grid_body(a, {own: "20", rahim: "26", captain: "abc"})
    body = assert_error(api.post(GRID, bad), 400)
    assert set(body["field_errors"]) == {
        "entries.1.marks_obtained",
        "entries.2.marks_obtained",
    }
    outsider = grid_body(a, {own: "20", a.class_b[0]: "10"})
    body = assert_error(api.post(GRID, outsider), 400)
    assert "not in this class" in body["field_errors"]["entries.1.marks_obtained"][0]
    twice = grid_body(a, {own: "20"})
    twice["entries"].append({"student": own.pk, "marks_obtained": "1"})
    assert (
        "entries.1.student" in assert_error(api.post(GRID, twice), 400)["field_errors"]
    )
    assert (
        "total_marks"
        in assert_error(api.post(GRID, grid_body(a, {own: "1"}, total_marks="0")), 400)[
            "field_errors"
        ]
    )
    # Another teacher's subject is not offered to this teacher.
    other = grid_body(a, {own: "20"}, subject=a.subject_a2.pk)
    assert "subject" in assert_error(api.post(GRID, other), 400)["field_errors"]
    assert MarksRecord.objects.count() == 0
    for user in (a.institute.student_user, a.captain_user):
        api.force_login(user)
        assert_error(api.post(GRID, grid_body(a, {own: "20"})), 403)
    api.force_login(a.institute.registrar_a)
    assert api.post(GRID, other).status_code == 200
    assert MarksRecord.objects.count() == 1
