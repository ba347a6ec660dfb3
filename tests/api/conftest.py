"""A small institute for the API tests: two departments and every role."""

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from records import services
from records.models import Shift, StudentStatus
from records.roles import AccountStatus, Role
from tests.factories import (
    AcademicSessionFactory,
    DepartmentFactory,
    StudentFactory,
    TeacherFactory,
    UserFactory,
)

ERROR_KEYS = {"error", "details", "field_errors", "status_code"}


def assert_error(response, status_code: int) -> dict:
    """The response is seed 000's error format with this status."""
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["status_code"] == status_code
    assert body["error"]
    assert isinstance(body["field_errors"], dict)
    return body


@pytest.fixture
def api():
    return APIClient()


@dataclass
class Institute:
    department_a: object
    department_b: object
    session: object
    other_session: object
    head: object
    registrar_a: object
    registrar_all: object
    teacher: object
    student_user: object
    own_student: object
    students_a: list
    students_b: list


@pytest.fixture
def institute(db) -> Institute:
    """Department A: the teacher's and registrar A's; department B: neither."""
    dept_a = DepartmentFactory(code="APA", name="Applied A")
    dept_b = DepartmentFactory(code="APB", name="Applied B")
    session = AcademicSessionFactory(is_current=True)
    other_session = AcademicSessionFactory()
    head = UserFactory(role=Role.INSTITUTE_HEAD, username="api_head")
    registrar_a = UserFactory(role=Role.REGISTRAR, username="api_reg_a")
    services.registrar_set_departments(user=registrar_a, departments=[dept_a])
    registrar_all = UserFactory(role=Role.REGISTRAR, username="api_reg_all")
    services.registrar_set_departments(
        user=registrar_all, departments=[], all_departments=True
    )
    teacher = UserFactory(
        role=Role.TEACHER, username="api_teacher", account_status=AccountStatus.ACTIVE
    )
    TeacherFactory(full_name_english="Api Teacher", department=dept_a, user=teacher)
    student_user = UserFactory(role=Role.STUDENT, username="api_student")
    own = StudentFactory(
        full_name_english="Nusrat Own",
        department=dept_a,
        session=session,
        user=student_user,
    )
    students_a = [
        own,
        StudentFactory(
            full_name_english="Rahim Morning",
            department=dept_a,
            session=session,
            semester=1,
            shift=Shift.MORNING,
        ),
        StudentFactory(
            full_name_english="Karim Day",
            department=dept_a,
            session=session,
            semester=3,
            shift=Shift.DAY,
        ),
        StudentFactory(
            full_name_english="Salma Old Session",
            department=dept_a,
            session=other_session,
            semester=1,
        ),
    ]
    leaver = StudentFactory(
        full_name_english="Jamal Leaver", department=dept_b, session=session
    )
    services.student_discontinue(student=leaver, reason="Moved abroad")
    leaver.refresh_from_db()
    assert leaver.status == StudentStatus.DISCONTINUED
    students_b = [
        StudentFactory(
            full_name_english="Bina Other", department=dept_b, session=session
        ),
        leaver,
    ]
    return Institute(
        department_a=dept_a,
        department_b=dept_b,
        session=session,
        other_session=other_session,
        head=head,
        registrar_a=registrar_a,
        registrar_all=registrar_all,
        teacher=teacher,
        student_user=student_user,
        own_student=own,
        students_a=students_a,
        students_b=students_b,
    )
