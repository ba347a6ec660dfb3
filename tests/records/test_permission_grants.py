"""Object permissions follow their cause: routine teachers, captains, registrars."""

from __future__ import annotations

from datetime import time

import pytest
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import get_perms

from records import services
from records.models import ClassRoutine, Shift, User, Weekday
from records.roles import AccountStatus, Role
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    TeacherFactory,
    UserFactory,
    last_weekday,
)
from tests.factories.scopes import _attendance

pytestmark = pytest.mark.django_db

ROUTINE_PERMS = {"take_attendance", "enter_marks"}


def fresh(user) -> User:
    """A new user object: no cached permissions or scope."""
    return User.objects.get(pk=user.pk)


def perms_on(user, routine) -> set[str]:
    return set(get_perms(fresh(user), routine)) & ROUTINE_PERMS


def teacher_with_account(department, username):
    user = UserFactory(
        role=Role.TEACHER, username=username, account_status=AccountStatus.ACTIVE
    )
    return TeacherFactory(department=department, user=user), user


def listed_pks(user, viewset: str) -> set[int]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse(f"{viewset}:index"))
    assert response.status_code == 200
    return {item.pk for item in response.context["object_list"]}


def status_of(user, url: str) -> int:
    client = Client()
    client.force_login(user)
    return client.get(url).status_code


@pytest.fixture
def slot():
    department = DepartmentFactory(code="GRA")
    session = AcademicSessionFactory(is_current=True)
    subject = SubjectFactory(department=department, semester=1)
    t1, u1 = teacher_with_account(department, "grant_t1")
    t2, u2 = teacher_with_account(department, "grant_t2")
    routine = ClassRoutineFactory(
        subject=subject,
        session=session,
        teacher=t1,
        shift=Shift.MORNING,
        day_of_week=Weekday.SUNDAY,
        start_time=time(9, 0),
        end_time=time(9, 45),
    )
    student = StudentFactory(
        department=department, session=session, semester=1, shift=Shift.MORNING
    )
    record = _attendance(student, subject, last_weekday(Weekday.SUNDAY), "grant")
    return {
        "routine": routine,
        "t1": t1,
        "u1": u1,
        "t2": t2,
        "u2": u2,
        "record": record,
        "department": department,
        "session": session,
    }


def test_reassigning_the_teacher_moves_the_grants(slot):
    routine, u1, u2 = slot["routine"], slot["u1"], slot["u2"]
    assert perms_on(u1, routine) == ROUTINE_PERMS
    assert perms_on(u2, routine) == set()
    assert slot["record"].pk in listed_pks(u1, "attendance")

    services.routine_update(routine=routine, teacher=slot["t2"])

    assert perms_on(u1, routine) == set()
    assert perms_on(u2, routine) == ROUTINE_PERMS
    assert not fresh(u1).has_perm("records.take_attendance", routine)
    assert fresh(u2).has_perm("records.enter_marks", routine)
    # The listing follows at once: the slot's rows move with it.
    assert slot["record"].pk not in listed_pks(u1, "attendance")
    assert slot["record"].pk in listed_pks(u2, "attendance")
    url = reverse("attendance:edit", args=[slot["record"].pk])
    assert status_of(u1, url) == 404
    assert status_of(u2, url) == 200


def test_deactivating_a_routine_removes_its_grants(slot):
    routine, u1 = slot["routine"], slot["u1"]
    services.routine_update(routine=routine, is_active=False)
    assert perms_on(u1, routine) == set()
    assert slot["record"].pk not in listed_pks(u1, "attendance")
    services.routine_update(routine=routine, is_active=True)
    assert perms_on(u1, routine) == ROUTINE_PERMS


def test_linking_a_new_account_to_the_teacher_moves_the_grants(slot):
    routine, t1, u1 = slot["routine"], slot["t1"], slot["u1"]
    newcomer = UserFactory(
        role=Role.TEACHER, username="grant_new", account_status=AccountStatus.ACTIVE
    )
    services.teacher_update(teacher=t1, user=newcomer)
    assert perms_on(u1, routine) == set()
    assert perms_on(newcomer, routine) == ROUTINE_PERMS
    assert slot["record"].pk not in listed_pks(u1, "attendance")
    assert slot["record"].pk in listed_pks(newcomer, "attendance")


def test_captain_appointment_and_dismissal(slot):
    routine = slot["routine"]
    # Another routine of the same class group, and one of another group.
    second = ClassRoutineFactory(
        subject=SubjectFactory(department=slot["department"], semester=1),
        session=slot["session"],
        shift=Shift.MORNING,
        day_of_week=Weekday.MONDAY,
        start_time=time(9, 0),
        end_time=time(9, 45),
    )
    other_group = ClassRoutineFactory(
        subject=SubjectFactory(department=slot["department"], semester=1),
        session=slot["session"],
        shift=Shift.DAY,
        day_of_week=Weekday.MONDAY,
        start_time=time(13, 0),
        end_time=time(13, 45),
    )
    account = UserFactory(role=Role.STUDENT, username="grant_captain")
    student = StudentFactory(
        department=slot["department"],
        session=slot["session"],
        semester=1,
        shift=Shift.MORNING,
        user=account,
    )

    services.captain_appoint(student=student)
    assert fresh(account).role == Role.CAPTAIN
    for r in (routine, second):
        assert perms_on(account, r) == {"take_attendance"}
        assert fresh(account).has_perm("records.take_attendance", r)
    assert perms_on(account, other_group) == set()
    # The teacher keeps theirs.
    assert perms_on(slot["u1"], routine) == ROUTINE_PERMS
    # A captain still has no back office.
    assert status_of(account, reverse("attendance:index")) in (302, 403)

    services.captain_dismiss(student=student)
    for r in (routine, second):
        assert perms_on(account, r) == set()
    assert perms_on(slot["u1"], routine) == ROUTINE_PERMS


def test_captain_needs_an_account(slot):
    from records.errors import BusinessRuleError

    student = StudentFactory(
        department=slot["department"], session=slot["session"], semester=1
    )
    with pytest.raises(BusinessRuleError):
        services.captain_appoint(student=student)


def test_removing_a_registrars_department_removes_access_at_once():
    dept_a = DepartmentFactory(code="GRRA")
    dept_b = DepartmentFactory(code="GRRB")
    session = AcademicSessionFactory()
    student_a = StudentFactory(department=dept_a, session=session)
    student_b = StudentFactory(department=dept_b, session=session)
    registrar = UserFactory(role=Role.REGISTRAR, username="grant_registrar")
    services.registrar_set_departments(user=registrar, departments=[dept_a, dept_b])

    client = Client()
    client.force_login(registrar)
    inspect_a = reverse("students:inspect", args=[student_a.pk])
    edit_a = reverse("students:edit", args=[student_a.pk])
    assert {student_a.pk, student_b.pk} <= listed_pks(registrar, "students")
    assert client.get(inspect_a).status_code == 200

    services.registrar_set_departments(user=registrar, departments=[dept_b])

    # Same session, same client: the next request already sees the new scope.
    response = client.get(reverse("students:index"))
    shown = {s.pk for s in response.context["object_list"]}
    assert student_a.pk not in shown
    assert student_b.pk in shown
    assert client.get(inspect_a).status_code == 404
    assert client.get(edit_a).status_code == 404
    assert set(get_perms(fresh(registrar), dept_a)) == set()
    assert "manage_department" in get_perms(fresh(registrar), dept_b)

    services.registrar_set_departments(user=registrar, departments=[])
    assert listed_pks(registrar, "students").isdisjoint({student_a.pk, student_b.pk})


def test_institute_wide_flag_is_revoked_too():
    dept = DepartmentFactory(code="GRRC")
    student = StudentFactory(department=dept)
    registrar = UserFactory(role=Role.REGISTRAR, username="grant_registrar_all")
    services.registrar_set_departments(
        user=registrar, departments=[], all_departments=True
    )
    assert student.pk in listed_pks(registrar, "students")
    services.registrar_set_departments(user=registrar, departments=[])
    assert student.pk not in listed_pks(registrar, "students")
    assert status_of(registrar, reverse("students:inspect", args=[student.pk])) == 404


def test_routine_grants_are_exactly_the_cause(slot):
    """Nobody else holds routine permissions: the grants table has one holder."""
    from guardian.shortcuts import get_users_with_perms

    routine = ClassRoutine.objects.get(pk=slot["routine"].pk)
    holders = get_users_with_perms(
        routine, attach_perms=True, with_superusers=False, with_group_users=False
    )
    assert {u.pk: set(p) for u, p in holders.items()} == {slot["u1"].pk: ROUTINE_PERMS}


def test_a_teacher_cannot_move_their_own_profile_to_another_department(db, client):
    """Editing one's own profile must not widen one's scope."""
    from records.models import Teacher
    from records.roles import AccountStatus, Role
    from tests.factories import (
        TEST_PASSWORD,
        DepartmentFactory,
        TeacherFactory,
        UserFactory,
    )

    user = UserFactory(role=Role.TEACHER, account_status=AccountStatus.ACTIVE)
    teacher = TeacherFactory(user=user)
    other = DepartmentFactory()
    client.login(username=user.username, password=TEST_PASSWORD)
    url = reverse("teachers:edit", args=[teacher.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {
        name: (value.pk if hasattr(value, "pk") else value)
        for name, value in form.initial.items()
        if name in form.fields and value is not None
    }
    data["department"] = other.pk
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the refusal
    teacher.refresh_from_db()
    assert teacher.department_id != other.pk
    # Their own, unchanged department is fine.
    data["department"] = teacher.department_id
    data["designation"] = "Senior Instructor"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:500]
    assert Teacher.objects.get(pk=teacher.pk).designation == "Senior Instructor"


def test_a_teacher_teaching_in_another_department_sees_that_department(slot):
    """Property 12's teacher scope: their own department and those they teach in."""
    from records.permissions import user_scope

    other = DepartmentFactory(code="OTH")
    elsewhere = SubjectFactory(department=other, semester=1)
    ClassRoutineFactory(
        subject=elsewhere,
        session=slot["session"],
        teacher=slot["t1"],
        shift=Shift.DAY,
        day_of_week=Weekday.MONDAY,
        start_time=time(11, 0),
        end_time=time(11, 45),
    )
    unrelated = DepartmentFactory(code="UNR")
    scope = user_scope(fresh(slot["u1"]))
    assert scope.teaching_departments == {slot["department"].pk, other.pk}
    assert unrelated.pk not in scope.teaching_departments


def test_deleting_a_teacher_in_the_admin_takes_back_their_slots_grants(slot):
    routine, u1 = slot["routine"], slot["u1"]
    assert perms_on(u1, routine) == ROUTINE_PERMS
    head = UserFactory(role=Role.INSTITUTE_HEAD, username="grant_head")
    client = Client()
    client.force_login(head)
    response = client.post(reverse("teachers:delete", args=[slot["t1"].pk]))
    assert response.status_code == 302
    routine.refresh_from_db()
    assert routine.teacher_id is None
    assert perms_on(u1, routine) == set()
    assert slot["record"].pk not in listed_pks(u1, "attendance")
