"""Attendance through the API (seed 000 §5): scope, writes, sittings, summaries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboards.metrics import Context, Filters, get_metric
from records import services
from records.api_academics import _on_summary_table
from records.models import ActivityLog, AttendanceRecord, User, Weekday
from records.permissions import scope_q
from tests.api import test_routines_api as routines_tests
from tests.api.conftest import assert_error
from tests.factories import StudentFactory, last_weekday

academics = routines_tests.academics

ATTENDANCE = "/api/v1/attendance/"
BULK = "/api/v1/attendance/bulk/"
SUMMARY = "/api/v1/attendance/summary/"


def student_url(student) -> str:
    return f"{ATTENDANCE}student/{student.pk}/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def sunday(academics):
    return last_weekday(Weekday.SUNDAY)


@pytest.fixture
def taken(academics, sunday):
    """Attendance of Sunday's classes of A (the teacher's) and B; Monday's of A2.

    (The service counts students left out of a sheet as present.)
    """
    a = academics
    own, rahim, captain = (
        a.institute.own_student,
        a.institute.students_a[1],
        a.captain,
    )
    services.attendance_sheet_save(
        routine=a.routine_a,
        day=sunday,
        present={own.pk: True, rahim.pk: False, captain.pk: True},
        notes={rahim.pk: "sick"},
    )
    services.attendance_sheet_save(
        routine=a.routine_b, day=sunday, present={a.class_b[0].pk: True}
    )
    monday = last_weekday(Weekday.MONDAY)
    services.attendance_sheet_save(
        routine=a.routine_a2, day=monday, present={own.pk: False}
    )
    records = {
        (r.student_id, r.subject_id): r
        for r in AttendanceRecord.objects.select_related("student", "subject")
    }
    return records


def record_of(taken, student, subject):
    return taken[(student.pk, subject.pk)]


def sitting(routine, day, present: dict, notes: dict | None = None) -> dict:
    """The bulk body: {"routine", "date", "records": [{student, is_present, note}]}."""
    rows = []
    for student, is_present in present.items():
        row = {"student": student.pk, "is_present": is_present}
        if notes and student in notes:
            row["note"] = notes[student]
        rows.append(row)
    return {"routine": routine.pk, "date": day.isoformat(), "records": rows}


# --- Reading: Property 12 ----------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_401(api, academics):
    for url in (ATTENDANCE, SUMMARY, student_url(academics.captain)):
        assert_error(api.get(url), 401)
    assert_error(api.post(BULK, {}), 401)


@pytest.mark.django_db
def test_each_role_lists_what_the_policy_gives_it(api, academics, taken):
    a = academics
    everything = {r.pk for r in taken.values()}
    b_record = record_of(taken, a.class_b[0], a.subject_b)
    a2_record = record_of(taken, a.institute.own_student, a.subject_a2)
    api.force_login(a.institute.head)
    assert ids(api.get(ATTENDANCE)) == everything
    api.force_login(a.institute.registrar_all)
    assert ids(api.get(ATTENDANCE)) == everything
    api.force_login(a.institute.registrar_a)
    assert ids(api.get(ATTENDANCE)) == everything - {b_record.pk}
    assert_error(api.get(f"{ATTENDANCE}{b_record.pk}/"), 404)
    # The teacher: their own class only (not the other teacher's subject).
    api.force_login(a.institute.teacher)
    teacher_sees = {
        r.pk for (s, subject), r in taken.items() if subject == a.subject_a.pk
    }
    assert ids(api.get(ATTENDANCE)) == teacher_sees
    assert_error(api.get(f"{ATTENDANCE}{a2_record.pk}/"), 404)
    assert_error(api.get(f"{ATTENDANCE}{b_record.pk}/"), 404)
    # A student and a captain: their own records only.
    for user, student in (
        (a.institute.student_user, a.institute.own_student),
        (a.captain_user, a.captain),
    ):
        api.force_login(user)
        own = {r.pk for (s, _), r in taken.items() if s == student.pk}
        assert ids(api.get(ATTENDANCE)) == own
        rahim = record_of(taken, a.institute.students_a[1], a.subject_a)
        assert_error(api.get(f"{ATTENDANCE}{rahim.pk}/"), 404)


@pytest.mark.django_db
def test_filters(api, academics, taken, sunday):
    a = academics
    api.force_login(a.institute.head)
    own = a.institute.own_student
    rahim = a.institute.students_a[1]
    assert ids(api.get(ATTENDANCE, {"student": own.pk})) == {
        record_of(taken, own, a.subject_a).pk,
        record_of(taken, own, a.subject_a2).pk,
    }
    assert ids(api.get(ATTENDANCE, {"routine": a.routine_a.pk})) == {
        record_of(taken, s, a.subject_a).pk for s in a.class_a
    }
    assert ids(api.get(ATTENDANCE, {"subject": a.subject_b.pk})) == {
        record_of(taken, a.class_b[0], a.subject_b).pk
    }
    assert ids(api.get(ATTENDANCE, {"department": a.institute.department_b.pk})) == {
        record_of(taken, a.class_b[0], a.subject_b).pk
    }
    absent = ids(api.get(ATTENDANCE, {"is_present": "false"}))
    assert absent == {
        record_of(taken, rahim, a.subject_a).pk,
        record_of(taken, own, a.subject_a2).pk,
    }
    day = sunday.isoformat()
    on_sunday = ids(api.get(ATTENDANCE, {"date_from": day, "date_to": day}))
    assert on_sunday == {r.pk for r in taken.values() if r.date == sunday}
    assert ids(
        api.get(
            ATTENDANCE,
            {
                "semester": 1,
                "shift": "morning",
                "session": a.institute.session.pk,
                "is_present": "true",
                "subject": a.subject_a.pk,
            },
        )
    ) == {record_of(taken, s, a.subject_a).pk for s in (own, a.captain)}
    assert ids(api.get(ATTENDANCE, {"search": rahim.current_roll_number})) == {
        record_of(taken, rahim, a.subject_a).pk,
        record_of(taken, rahim, a.subject_a2).pk,
    }
    assert (
        "date_from"
        in assert_error(api.get(ATTENDANCE, {"date_from": "yesterday"}), 400)[
            "field_errors"
        ]
    )
    row = api.get(f"{ATTENDANCE}{record_of(taken, rahim, a.subject_a).pk}/").json()
    assert row["notes"] == "sick"
    assert row["is_present"] is False
    assert row["subject"]["code"] == "APA-101"
    assert row["student"]["current_roll_number"] == rahim.current_roll_number


# --- One record ---------------------------------------------------------------------


def one(student, subject, day, **extra) -> dict:
    return {
        "student": student.pk,
        "subject": subject.pk,
        "date": day.isoformat(),
        "is_present": False,
        **extra,
    }


@pytest.mark.django_db
def test_teacher_records_attendance_of_their_class(api, academics, sunday):
    a = academics
    api.force_login(a.institute.teacher)
    own = a.institute.own_student
    response = api.post(ATTENDANCE, one(own, a.subject_a, sunday, notes="late"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["semester"] == 1  # the subject's, when not given
    assert body["recorded_by"] == "api_teacher"
    record = AttendanceRecord.objects.get(pk=body["id"])
    assert record.history.first().history_user == a.institute.teacher
    assert ActivityLog.objects.filter(
        entity_type="attendancerecord", entity_id=str(record.pk), action_type="create"
    ).exists()
    # The same student, subject and date again: the model's rule, 400.
    body = assert_error(api.post(ATTENDANCE, one(own, a.subject_a, sunday)), 400)
    assert "already recorded" in body["details"]


@pytest.mark.django_db
def test_single_record_validation(api, academics, sunday):
    a = academics
    api.force_login(a.institute.head)
    own = a.institute.own_student
    future = sunday + timedelta(days=7)
    if future <= timezone.localdate():
        future += timedelta(days=7)
    body = assert_error(api.post(ATTENDANCE, one(own, a.subject_a, future)), 400)
    assert "future" in body["field_errors"]["date"][0]
    monday = last_weekday(Weekday.MONDAY)
    body = assert_error(api.post(ATTENDANCE, one(own, a.subject_a, monday)), 400)
    assert "no APA-101 class" in body["field_errors"]["date"][0]
    body = assert_error(api.post(ATTENDANCE, {"date": "x"}), 400)
    assert {"student", "subject", "date"} <= set(body["field_errors"])
    assert AttendanceRecord.objects.count() == 0


@pytest.mark.django_db
def test_single_record_scope(api, academics, sunday):
    a = academics
    own = a.institute.own_student
    # The teacher may not write another teacher's class ...
    api.force_login(a.institute.teacher)
    body = assert_error(
        api.post(ATTENDANCE, one(own, a.subject_a2, last_weekday(1))), 400
    )
    assert "outside" in body["details"]
    # ... nor name a student they cannot see.
    body = assert_error(
        api.post(ATTENDANCE, one(a.class_b[0], a.subject_b, sunday)), 400
    )
    assert "student" in body["field_errors"]
    # Students and captains have no single-record right (captains use bulk).
    for user in (a.institute.student_user, a.captain_user):
        api.force_login(user)
        assert_error(api.post(ATTENDANCE, one(own, a.subject_a, sunday)), 403)
    api.force_login(a.institute.registrar_a)
    assert_error(api.post(ATTENDANCE, one(a.class_b[0], a.subject_b, sunday)), 400)
    assert AttendanceRecord.objects.count() == 0


@pytest.mark.django_db
def test_update_a_record(api, academics, taken):
    a = academics
    rahim = record_of(taken, a.institute.students_a[1], a.subject_a)
    api.force_login(a.institute.teacher)
    response = api.patch(f"{ATTENDANCE}{rahim.pk}/", {"is_present": True, "notes": ""})
    assert response.status_code == 200, response.content
    assert response.json()["is_present"] is True
    entry = ActivityLog.objects.get(
        entity_type="attendancerecord", entity_id=str(rahim.pk), action_type="update"
    )
    assert entry.changes["is_present"] == {"before": False, "after": True}
    assert rahim.history.first().history_user == a.institute.teacher
    put = {
        "student": rahim.student_id,
        "subject": rahim.subject_id,
        "semester": 1,
        "date": rahim.date.isoformat(),
        "is_present": False,
        "notes": "left early",
    }
    assert api.put(f"{ATTENDANCE}{rahim.pk}/", put).json()["notes"] == "left early"
    body = assert_error(
        api.patch(f"{ATTENDANCE}{rahim.pk}/", {"date": "2999-01-01"}), 400
    )
    assert "date" in body["field_errors"]
    # Another teacher's class and department B: 404; own record, student: 403.
    a2 = record_of(taken, a.institute.own_student, a.subject_a2)
    assert_error(api.patch(f"{ATTENDANCE}{a2.pk}/", {"is_present": True}), 404)
    api.force_login(a.institute.registrar_a)
    b = record_of(taken, a.class_b[0], a.subject_b)
    assert_error(api.patch(f"{ATTENDANCE}{b.pk}/", {"is_present": False}), 404)
    assert api.patch(f"{ATTENDANCE}{a2.pk}/", {"notes": "ok"}).status_code == 200
    api.force_login(a.institute.student_user)
    assert_error(api.patch(f"{ATTENDANCE}{a2.pk}/", {"is_present": True}), 403)
    a2.refresh_from_db()
    assert a2.is_present is False


# --- A student's attendance ----------------------------------------------------------


@pytest.mark.django_db
def test_student_attendance_with_summary(api, academics, taken):
    a = academics
    own = a.institute.own_student
    api.force_login(a.institute.student_user)
    body = api.get(student_url(own)).json()
    assert body["count"] == 2
    summary = body["summary"]
    assert (summary["present"], summary["total"], summary["rate"]) == (1, 2, "50.00")
    assert [(s["subject"]["code"], s["rate"]) for s in summary["subjects"]] == [
        ("APA-101", "100.00"),
        ("APA-102", "0.00"),
    ]
    filtered = api.get(student_url(own), {"subject": a.subject_a2.pk}).json()
    assert filtered["count"] == 1
    assert filtered["summary"]["total"] == 1
    # Another student: 404 for a student; the teacher sees only their class.
    assert_error(api.get(student_url(a.institute.students_a[1])), 404)
    api.force_login(a.institute.teacher)
    body = api.get(student_url(own)).json()
    assert body["summary"]["total"] == 1
    assert [s["subject"]["code"] for s in body["summary"]["subjects"]] == ["APA-101"]
    assert_error(api.get(student_url(a.class_b[0])), 404)
    api.force_login(a.institute.registrar_a)
    assert_error(api.get(student_url(a.class_b[0])), 404)
    api.force_login(a.institute.head)
    assert api.get(student_url(a.class_b[0])).json()["summary"]["rate"] == "100.00"


# --- Summary --------------------------------------------------------------------------


@pytest.mark.django_db
def test_summary_equals_the_dashboards(api, academics, taken):
    a = academics
    api.force_login(a.institute.head)
    body = api.get(SUMMARY).json()
    figure = get_metric("attendance_rate").compute(
        Context(user=a.institute.head, filters=Filters()), "subject", with_urls=False
    )
    expected = {row.key: (row.numerator, row.denominator) for row in figure.rows}
    got = {row["subject"]["id"]: (row["present"], row["total"]) for row in body["rows"]}
    assert got == expected
    assert (body["total"]["present"], body["total"]["total"]) == (
        figure.numerator,
        figure.denominator,
    )
    groups = api.get(SUMMARY, {"group_by": "class_group"}).json()["rows"]
    assert [(g["department"]["code"], g["present"], g["total"]) for g in groups] == [
        ("APA", 4, 6),
        ("APB", 1, 1),
    ]
    dept_b = api.get(SUMMARY, {"department": a.institute.department_b.pk}).json()
    assert dept_b["total"] == {"present": 1, "absent": 0, "total": 1, "rate": "100.00"}
    assert (
        "group_by"
        in assert_error(api.get(SUMMARY, {"group_by": "x"}), 400)["field_errors"]
    )
    assert (
        "date_to"
        in assert_error(api.get(SUMMARY, {"date_to": "x"}), 400)["field_errors"]
    )


@pytest.mark.django_db
def test_summary_is_scoped(api, academics, taken):
    a = academics
    api.force_login(a.institute.teacher)
    # The teacher's scope is read from the summary table, not the raw records.
    teacher = User.objects.get(pk=a.institute.teacher.pk)
    assert _on_summary_table(scope_q(teacher, "attendancerecord", "view"))
    rows = api.get(SUMMARY).json()["rows"]
    assert [(r["subject"]["code"], r["present"], r["total"]) for r in rows] == [
        ("APA-101", 2, 3)
    ]
    api.force_login(a.institute.registrar_a)
    rows = api.get(SUMMARY).json()["rows"]
    assert {r["subject"]["code"] for r in rows} == {"APA-101", "APA-102"}
    api.force_login(a.institute.student_user)
    body = api.get(SUMMARY).json()
    assert body["total"] == {"present": 1, "absent": 1, "total": 2, "rate": "50.00"}
    api.force_login(a.captain_user)
    assert api.get(SUMMARY).json()["total"]["total"] == 2


# --- Bulk: one class sitting -------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_sitting_is_saved_and_reposting_never_duplicates(api, academics, sunday):
    a = academics
    own, rahim, captain = a.institute.own_student, a.institute.students_a[1], a.captain
    api.force_login(a.institute.teacher)
    body = sitting(
        a.routine_a, sunday, {own: True, rahim: False, captain: True}, {rahim: "sick"}
    )
    response = api.post(BULK, body)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "routine": a.routine_a.pk,
        "date": sunday.isoformat(),
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "present": 2,
        "absent": 1,
    }
    assert AttendanceRecord.objects.count() == 3
    record = AttendanceRecord.objects.get(student=rahim)
    assert (record.is_present, record.notes) == (False, "sick")
    assert record.history.first().history_user == a.institute.teacher
    entry = ActivityLog.objects.get(entity_type="attendancesheet")
    assert entry.entity_id == f"{a.routine_a.pk}/{sunday.isoformat()}"
    assert entry.user == a.institute.teacher
    # The same sitting again: nothing changes, nothing is duplicated.
    again = api.post(BULK, body).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    # A change: updated, and a record without "note" keeps its stored note.
    changed = sitting(a.routine_a, sunday, {own: False, rahim: False, captain: True})
    result = api.post(BULK, changed).json()
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 2)
    assert AttendanceRecord.objects.count() == 3
    assert AttendanceRecord.objects.get(student=rahim).notes == "sick"
    assert AttendanceRecord.objects.get(student=own).is_present is False
    cleared = sitting(
        a.routine_a, sunday, {own: False, rahim: False, captain: True}, {rahim: ""}
    )
    assert api.post(BULK, cleared).json()["updated"] == 1
    assert AttendanceRecord.objects.get(student=rahim).notes == ""


@pytest.mark.django_db
def test_bulk_is_all_or_nothing(api, academics, sunday):
    a = academics
    own, rahim, captain = a.institute.own_student, a.institute.students_a[1], a.captain
    outsider = a.class_b[0]
    api.force_login(a.institute.head)
    body = sitting(
        a.routine_a, sunday, {own: True, rahim: False, captain: True, outsider: True}
    )
    error = assert_error(api.post(BULK, body), 400)
    assert str(outsider.pk) in error["field_errors"]["records"][0]
    assert AttendanceRecord.objects.count() == 0
    # Every student of the class, once.
    error = assert_error(api.post(BULK, sitting(a.routine_a, sunday, {own: True})), 400)
    assert str(rahim.pk) in error["field_errors"]["records"][0]
    twice = sitting(a.routine_a, sunday, {own: True, rahim: True, captain: True})
    twice["records"].append({"student": own.pk, "is_present": False})
    error = assert_error(api.post(BULK, twice), 400)
    assert "more than once" in error["field_errors"]["records"][0]
    # Dates: the slot's weekday, not in the future.
    full = {own: True, rahim: True, captain: True}
    monday = last_weekday(Weekday.MONDAY)
    error = assert_error(api.post(BULK, sitting(a.routine_a, monday, full)), 400)
    assert "Sunday" in error["field_errors"]["date"][0]
    future = sunday + timedelta(days=7)
    if future <= timezone.localdate():
        future += timedelta(days=7)
    error = assert_error(api.post(BULK, sitting(a.routine_a, future, full)), 400)
    assert "future" in error["field_errors"]["date"][0]
    # The body's shape.
    error = assert_error(api.post(BULK, {"routine": "x"}), 400)
    assert {"routine", "date", "records"} <= set(error["field_errors"])
    error = assert_error(
        api.post(
            BULK,
            {
                "routine": a.routine_a.pk,
                "date": sunday.isoformat(),
                "records": [{"student": own.pk}],
            },
        ),
        400,
    )
    assert "records.0.is_present" in error["field_errors"]
    assert_error(
        api.post(BULK, sitting(a.routine_a, sunday, full) | {"routine": 999999}), 404
    )
    assert AttendanceRecord.objects.count() == 0


@pytest.mark.django_db
def test_bulk_who_may_take_a_sitting(api, academics, sunday):
    a = academics
    group_a = dict.fromkeys(a.class_a, True)
    monday = last_weekday(Weekday.MONDAY)
    cases = [
        # (user, routine, day, expected status)
        (a.captain_user, a.routine_a, sunday, 200),
        (a.captain_user, a.routine_b, sunday, 404),
        (a.institute.student_user, a.routine_a, sunday, 404),
        (a.institute.teacher, a.routine_a2, monday, 404),
        (a.institute.teacher, a.routine_b, sunday, 404),
        (a.other_teacher.user, a.routine_a2, monday, 200),
        (a.institute.registrar_a, a.routine_b, sunday, 404),
        (a.institute.registrar_a, a.routine_a, sunday, 200),
        (a.institute.head, a.routine_b, sunday, 200),
    ]
    for user, routine, day, expected in cases:
        api.force_login(user)
        present = {a.class_b[0]: True} if routine == a.routine_b else group_a
        response = api.post(BULK, sitting(routine, day, present))
        if expected == 200:
            assert response.status_code == 200, (user, routine, response.content)
        else:
            assert_error(response, expected)
    assert AttendanceRecord.objects.filter(recorded_by=a.captain_user).count() == 3


@pytest.mark.django_db
def test_bulk_sixty_students(api, academics, sunday):
    """The benchmark's shape: a 60-student sitting in one request."""
    a = academics
    for n in range(57):
        StudentFactory(
            full_name_english=f"Bulk {n}",
            department=a.institute.department_a,
            session=a.institute.session,
        )
    students = list(services.selectors.class_group_students(routine=a.routine_a))
    assert len(students) == 60
    api.force_login(a.institute.teacher)
    body = sitting(a.routine_a, sunday, {s: n % 7 != 0 for n, s in enumerate(students)})
    result = api.post(BULK, body).json()
    assert (result["created"], result["absent"]) == (60, 9)
    assert api.post(BULK, body).json()["unchanged"] == 60
    assert AttendanceRecord.objects.count() == 60


# --- Query count ----------------------------------------------------------------------


@pytest.mark.django_db
def test_list_query_count_does_not_grow(
    django_assert_num_queries, api, academics, sunday
):
    a = academics
    api.force_login(a.institute.teacher)
    services.attendance_sheet_save(
        routine=a.routine_a, day=sunday, present={s.pk: True for s in a.class_a}
    )

    def count(url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url).status_code == 200
        return len(queries)

    api.get(ATTENDANCE)
    few = count(ATTENDANCE)
    few_student = count(student_url(a.captain))
    for weeks in range(1, 6):
        services.attendance_sheet_save(
            routine=a.routine_a,
            day=sunday - timedelta(days=7 * weeks),
            present={s.pk: weeks % 2 == 0 for s in a.class_a},
        )
    with django_assert_num_queries(few):
        assert api.get(ATTENDANCE).json()["count"] == 18
    with django_assert_num_queries(few_student):
        assert api.get(student_url(a.captain)).json()["count"] == 6
