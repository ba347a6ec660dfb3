"""Class routines through the API (seed 000 §4): scope, writes, clashes, my-routine.

The ``academics`` fixture (also used by the attendance and marks tests) adds to
the ``institute`` of conftest.py: subjects and routine slots in departments A
and B, the teacher's own slot, another teacher's slot, and a captain.
"""

from dataclasses import dataclass
from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records import services
from records.models import ActivityLog, ClassRoutine, Shift, Weekday
from records.roles import AccountStatus, Role
from tests.api.conftest import assert_error
from tests.factories import (
    ClassRoutineFactory,
    StudentFactory,
    SubjectFactory,
    TeacherFactory,
    UserFactory,
)

ROUTINES = "/api/v1/class-routines/"
MY_ROUTINE = "/api/v1/class-routines/my-routine/"


@dataclass
class Academics:
    institute: object
    subject_a: object  # the teacher's subject (department A, semester 1)
    subject_a2: object  # another teacher's subject in department A
    subject_b: object  # department B
    routine_a: object  # the teacher's slot: A, sem 1, morning, Sunday 09:00
    routine_a_tue: object  # the teacher's second slot: Tuesday
    routine_a2: object  # another teacher's slot of the same class: Monday
    routine_b: object  # department B's class, Sunday
    other_teacher: object
    captain_user: object
    captain: object
    class_a: list  # active students of A / sem 1 / morning / current session
    class_b: list

    def class_a_by_name(self) -> tuple:
        """The own student, Rahim and the captain."""
        return self.institute.students_a[0], self.institute.students_a[1], self.captain


@pytest.fixture
def academics(institute) -> Academics:
    session = institute.session
    dept_a, dept_b = institute.department_a, institute.department_b
    subject_a = SubjectFactory(
        code="APA-101", name="Algebra", department=dept_a, semester=1
    )
    subject_a2 = SubjectFactory(
        code="APA-102", name="Botany", department=dept_a, semester=1
    )
    subject_b = SubjectFactory(
        code="APB-101", name="Chemistry", department=dept_b, semester=1
    )
    teacher = institute.teacher.teacher_profile
    other_user = UserFactory(
        role=Role.TEACHER,
        username="api_other_teacher",
        account_status=AccountStatus.ACTIVE,
    )
    other_teacher = TeacherFactory(
        full_name_english="Other Teacher", department=dept_a, user=other_user
    )
    captain_user = UserFactory(role=Role.STUDENT, username="api_captain")
    captain = StudentFactory(
        full_name_english="Captain Kabir",
        department=dept_a,
        session=session,
        semester=1,
        shift=Shift.MORNING,
        user=captain_user,
    )
    services.captain_appoint(student=captain)
    captain_user.refresh_from_db()
    common = {"session": session, "semester": 1, "shift": Shift.MORNING}
    routine_a = ClassRoutineFactory(
        subject=subject_a,
        teacher=teacher,
        day_of_week=Weekday.SUNDAY,
        start_time=time(9, 0),
        end_time=time(9, 45),
        room_number="A-101",
        **common,
    )
    routine_a_tue = ClassRoutineFactory(
        subject=subject_a,
        teacher=teacher,
        day_of_week=Weekday.TUESDAY,
        start_time=time(8, 0),
        end_time=time(8, 45),
        room_number="A-101",
        **common,
    )
    routine_a2 = ClassRoutineFactory(
        subject=subject_a2,
        teacher=other_teacher,
        day_of_week=Weekday.MONDAY,
        start_time=time(10, 0),
        end_time=time(10, 45),
        room_number="A-102",
        **common,
    )
    routine_b = ClassRoutineFactory(
        subject=subject_b,
        day_of_week=Weekday.SUNDAY,
        start_time=time(9, 0),
        end_time=time(9, 45),
        room_number="B-201",
        **common,
    )
    own, rahim = institute.students_a[0], institute.students_a[1]
    return Academics(
        institute=institute,
        subject_a=subject_a,
        subject_a2=subject_a2,
        subject_b=subject_b,
        routine_a=routine_a,
        routine_a_tue=routine_a_tue,
        routine_a2=routine_a2,
        routine_b=routine_b,
        other_teacher=other_teacher,
        captain_user=captain_user,
        captain=captain,
        class_a=sorted([own, rahim, captain], key=lambda s: s.current_roll_number),
        class_b=[institute.students_b[0]],
    )


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def slot_body(academics, **changes) -> dict:
    body = {
        "department": academics.institute.department_a.pk,
        "semester": 1,
        "shift": Shift.MORNING,
        "session": academics.institute.session.pk,
        "day_of_week": Weekday.WEDNESDAY,
        "start_time": "11:00",
        "end_time": "11:45",
        "subject": academics.subject_a2.pk,
        "teacher": academics.other_teacher.pk,
        "room_number": "A-201",
        "is_active": True,
    }
    body.update(changes)
    return body


def all_slots(a) -> set[int]:
    return {a.routine_a.pk, a.routine_a_tue.pk, a.routine_a2.pk, a.routine_b.pk}


# --- Reading ---------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_401(api, academics):
    assert_error(api.get(ROUTINES), 401)
    assert_error(api.get(MY_ROUTINE), 401)
    assert_error(api.post(ROUTINES, slot_body(academics)), 401)


@pytest.mark.django_db
def test_head_lists_filters_searches_and_orders(api, academics):
    a = academics
    api.force_login(a.institute.head)
    assert ids(api.get(ROUTINES)) == all_slots(a)
    dept_b = a.institute.department_b.pk
    assert ids(api.get(ROUTINES, {"department": dept_b})) == {a.routine_b.pk}
    assert ids(api.get(ROUTINES, {"day_of_week": Weekday.MONDAY})) == {a.routine_a2.pk}
    assert ids(api.get(ROUTINES, {"teacher": a.other_teacher.pk})) == {a.routine_a2.pk}
    assert ids(api.get(ROUTINES, {"subject": a.subject_a.pk})) == {
        a.routine_a.pk,
        a.routine_a_tue.pk,
    }
    assert ids(
        api.get(
            ROUTINES,
            {
                "semester": 1,
                "shift": Shift.MORNING,
                "session": a.institute.session.pk,
                "department": a.institute.department_a.pk,
                "day_of_week": Weekday.SUNDAY,
            },
        )
    ) == {a.routine_a.pk}
    assert ids(api.get(ROUTINES, {"session": a.institute.other_session.pk})) == set()
    assert ids(api.get(ROUTINES, {"search": "botany"})) == {a.routine_a2.pk}
    assert ids(api.get(ROUTINES, {"search": "b-201"})) == {a.routine_b.pk}
    rows = api.get(ROUTINES, {"ordering": "-start_time"}).json()["results"]
    starts = [row["start_time"] for row in rows]
    assert starts == sorted(starts, reverse=True)
    detail = api.get(f"{ROUTINES}{a.routine_a.pk}/").json()
    assert detail["subject"] == {
        "id": a.subject_a.pk,
        "code": "APA-101",
        "name": "Algebra",
    }
    assert detail["teacher"]["full_name_english"] == "Api Teacher"
    assert detail["day_of_week"] == Weekday.SUNDAY
    assert detail["day_name"] == "Sunday"
    assert detail["department"]["code"] == "APA"


@pytest.mark.django_db
def test_bad_filter_values_are_field_errors(api, academics):
    api.force_login(academics.institute.head)
    body = assert_error(api.get(ROUTINES, {"day_of_week": 6}), 400)
    assert "day_of_week" in body["field_errors"]
    body = assert_error(api.get(ROUTINES, {"department": "x"}), 400)
    assert "department" in body["field_errors"]
    # Ids beyond the id column's range are a field error, never a server error.
    body = assert_error(api.get(ROUTINES, {"teacher": "9" * 30}), 400)
    assert "teacher" in body["field_errors"]
    assert_error(api.get(f"{ROUTINES}{'9' * 30}/"), 404)
    assert_error(api.get(f"{ROUTINES}abc/"), 404)


@pytest.mark.django_db
def test_registrar_reads_their_departments_only(api, academics):
    a = academics
    api.force_login(a.institute.registrar_a)
    assert ids(api.get(ROUTINES)) == all_slots(a) - {a.routine_b.pk}
    assert_error(api.get(f"{ROUTINES}{a.routine_b.pk}/"), 404)
    api.force_login(a.institute.registrar_all)
    assert ids(api.get(ROUTINES)) == all_slots(a)


@pytest.mark.django_db
def test_teacher_reads_the_departments_they_teach_in(api, academics):
    a = academics
    api.force_login(a.institute.teacher)
    assert ids(api.get(ROUTINES)) == all_slots(a) - {a.routine_b.pk}
    assert_error(api.get(f"{ROUTINES}{a.routine_b.pk}/"), 404)


@pytest.mark.parametrize("who", ["student", "captain"])
@pytest.mark.django_db
def test_student_and_captain_read_their_class_routine_only(api, academics, who):
    a = academics
    user = a.institute.student_user if who == "student" else a.captain_user
    api.force_login(user)
    own_class = {a.routine_a.pk, a.routine_a_tue.pk, a.routine_a2.pk}
    assert ids(api.get(ROUTINES)) == own_class
    assert api.get(f"{ROUTINES}{a.routine_a2.pk}/").status_code == 200
    assert_error(api.get(f"{ROUTINES}{a.routine_b.pk}/"), 404)


@pytest.mark.django_db
def test_my_routine_of_a_teacher_is_their_slots_by_day_and_time(api, academics):
    a = academics
    api.force_login(a.institute.teacher)
    rows = api.get(MY_ROUTINE).json()
    assert [row["id"] for row in rows] == [a.routine_a.pk, a.routine_a_tue.pk]
    api.force_login(a.other_teacher.user)
    assert [row["id"] for row in api.get(MY_ROUTINE).json()] == [a.routine_a2.pk]


@pytest.mark.parametrize("who", ["student", "captain"])
@pytest.mark.django_db
def test_my_routine_of_a_student_is_their_class_group(api, academics, who):
    a = academics
    user = a.institute.student_user if who == "student" else a.captain_user
    api.force_login(user)
    rows = api.get(MY_ROUTINE).json()
    # Sunday 09:00, Monday 10:00, Tuesday 08:00: by day, then time.
    assert [row["id"] for row in rows] == [
        a.routine_a.pk,
        a.routine_a2.pk,
        a.routine_a_tue.pk,
    ]
    other = a.institute.other_session.pk
    assert api.get(MY_ROUTINE, {"session": other}).json() == []
    assert_error(api.get(MY_ROUTINE, {"session": "x"}), 400)


@pytest.mark.django_db
def test_my_routine_without_a_routine_is_empty(api, academics):
    api.force_login(academics.institute.head)
    assert api.get(MY_ROUTINE).json() == []


# --- Writing ---------------------------------------------------------------------


@pytest.mark.django_db
def test_head_creates_a_slot_with_history_and_activity(api, academics):
    a = academics
    api.force_login(a.institute.head)
    response = api.post(ROUTINES, slot_body(a))
    assert response.status_code == 201, response.content
    body = response.json()
    routine = ClassRoutine.objects.get(pk=body["id"])
    assert body["room_number"] == "A-201"
    assert body["teacher"]["id"] == a.other_teacher.pk
    assert routine.history.first().history_user == a.institute.head
    entry = ActivityLog.objects.get(
        entity_type="classroutine", entity_id=str(routine.pk), action_type="create"
    )
    assert entry.user == a.institute.head
    # The slot's teacher gets its object rights (services.routine_sync_grants).
    assert a.other_teacher.user.has_perm("records.take_attendance", routine)


@pytest.mark.django_db
def test_registrar_creates_only_in_their_departments(api, academics):
    a = academics
    api.force_login(a.institute.registrar_a)
    assert api.post(ROUTINES, slot_body(a)).status_code == 201
    outside = slot_body(
        a,
        department=a.institute.department_b.pk,
        subject=a.subject_b.pk,
        teacher=None,
        room_number="B-999",
    )
    body = assert_error(api.post(ROUTINES, outside), 400)
    assert "outside" in body["field_errors"]["department"][0]
    assert not ClassRoutine.objects.filter(room_number="B-999").exists()


@pytest.mark.parametrize("who", ["teacher", "student_user"])
@pytest.mark.django_db
def test_teacher_and_student_may_not_create(api, academics, who):
    api.force_login(getattr(academics.institute, who))
    assert_error(api.post(ROUTINES, slot_body(academics)), 403)


@pytest.mark.django_db
def test_create_validation_errors(api, academics):
    a = academics
    api.force_login(a.institute.head)
    body = assert_error(api.post(ROUTINES, {}), 400)
    assert {"department", "subject", "start_time", "room_number"} <= set(
        body["field_errors"]
    )
    body = assert_error(
        api.post(ROUTINES, slot_body(a, start_time="12:00", end_time="11:00")), 400
    )
    assert "end_time" in body["field_errors"]
    body = assert_error(api.post(ROUTINES, slot_body(a, day_of_week=5)), 400)
    assert "day_of_week" in body["field_errors"]
    body = assert_error(api.post(ROUTINES, slot_body(a, subject=a.subject_b.pk)), 400)
    assert "subject" in body["field_errors"]
    # Clashes: the room, the teacher, the class group (routine_a: Sunday 09:00).
    clash = slot_body(
        a, day_of_week=Weekday.SUNDAY, start_time="09:30", end_time="10:15"
    )
    body = assert_error(api.post(ROUTINES, {**clash, "room_number": "A-101"}), 400)
    assert "A-101" in body["field_errors"]["room_number"][0]
    body = assert_error(
        api.post(
            ROUTINES,
            {**clash, "teacher": a.institute.teacher.teacher_profile.pk},
        ),
        400,
    )
    assert "teacher" in body["field_errors"]
    body = assert_error(api.post(ROUTINES, clash), 400)
    assert "already has a class" in body["details"]
    assert ClassRoutine.objects.count() == 4


@pytest.mark.django_db
def test_put_and_patch_by_a_registrar(api, academics):
    a = academics
    api.force_login(a.institute.registrar_a)
    url = f"{ROUTINES}{a.routine_a2.pk}/"
    response = api.patch(url, {"room_number": "A-300"})
    assert response.status_code == 200, response.content
    assert response.json()["room_number"] == "A-300"
    entry = ActivityLog.objects.get(
        entity_type="classroutine", entity_id=str(a.routine_a2.pk), action_type="update"
    )
    assert entry.changes["room_number"] == {"before": "A-102", "after": "A-300"}
    full = slot_body(a, day_of_week=Weekday.THURSDAY)
    response = api.put(url, full)
    assert response.status_code == 200, response.content
    assert response.json()["day_of_week"] == Weekday.THURSDAY
    # PUT needs every field.
    assert (
        "subject"
        in assert_error(api.put(url, {"room_number": "x"}), 400)["field_errors"]
    )
    # A clash on update is refused too.
    body = assert_error(
        api.patch(
            url,
            {"day_of_week": Weekday.SUNDAY, "start_time": "09:00", "end_time": "09:45"},
        ),
        400,
    )
    assert "already has a class" in body["details"]


@pytest.mark.django_db
def test_update_scope(api, academics):
    a = academics
    api.force_login(a.institute.registrar_a)
    assert_error(api.patch(f"{ROUTINES}{a.routine_b.pk}/", {"room_number": "X"}), 404)
    # Moving a slot out of their departments is refused.
    body = assert_error(
        api.patch(
            f"{ROUTINES}{a.routine_a2.pk}/",
            {
                "department": a.institute.department_b.pk,
                "subject": a.subject_b.pk,
            },
        ),
        400,
    )
    assert "outside" in body["field_errors"]["department"][0]
    a.routine_a2.refresh_from_db()
    assert a.routine_a2.department == a.institute.department_a
    # A teacher sees their slot but may not change it; a student neither.
    api.force_login(a.institute.teacher)
    assert_error(api.patch(f"{ROUTINES}{a.routine_a.pk}/", {"room_number": "X"}), 403)
    api.force_login(a.institute.student_user)
    assert_error(api.patch(f"{ROUTINES}{a.routine_a.pk}/", {"room_number": "X"}), 403)


@pytest.mark.django_db
def test_delete(api, academics):
    a = academics
    api.force_login(a.institute.teacher)
    assert_error(api.delete(f"{ROUTINES}{a.routine_a.pk}/"), 403)
    api.force_login(a.institute.registrar_a)
    assert_error(api.delete(f"{ROUTINES}{a.routine_b.pk}/"), 404)
    response = api.delete(f"{ROUTINES}{a.routine_a2.pk}/")
    assert response.status_code == 204
    assert not ClassRoutine.objects.filter(pk=a.routine_a2.pk).exists()
    entry = ActivityLog.objects.get(
        entity_type="classroutine", entity_id=str(a.routine_a2.pk), action_type="delete"
    )
    assert entry.user == a.institute.registrar_a
    deleted = ClassRoutine.history.filter(id=a.routine_a2.pk, history_type="-").get()
    assert deleted.history_user == a.institute.registrar_a
    api.force_login(a.institute.head)
    assert api.delete(f"{ROUTINES}{a.routine_b.pk}/").status_code == 204
    assert_error(api.delete(f"{ROUTINES}{a.routine_b.pk}/"), 404)


@pytest.mark.django_db
def test_list_query_count_does_not_grow(django_assert_num_queries, api, academics):
    a = academics
    api.force_login(a.institute.registrar_a)
    api.get(ROUTINES)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(ROUTINES).status_code == 200
        return len(queries)

    few = count()
    for n in range(8):
        ClassRoutineFactory(
            subject=a.subject_a2,
            session=a.institute.session,
            shift=Shift.DAY,
            day_of_week=Weekday.WEDNESDAY,
            start_time=time(8 + n, 0),
            end_time=time(8 + n, 45),
        )
    with django_assert_num_queries(few):
        assert api.get(ROUTINES).status_code == 200
