"""A small institute for the permission tests: two departments, every role.

Department A is inside the scoped users' reach (the department-scoped
registrar manages it, the teacher teaches there), department B is outside.
Every record type has objects on both sides; each object carries *tags* that
say which scopes of ``records.permissions.RULES`` reach it, so the expected
outcome of a cell is computed from RULES rather than written by hand:

- ``dept_a``: the object belongs to department A (DEPARTMENTS / TEACHING);
- ``own``: the teacher's own profile (OWN);
- ``own_class``: the teacher's slot, or attendance/marks of its subject and
  class group (OWN_CLASSES).

Every object also has a *marker*: a string that appears in its row of the
listing's CSV export, so the export cells can check presence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal

from records import services
from records.activity import activity_record
from records.models import (
    ActivityAction,
    Alumni,
    AttendanceRecord,
    ExamType,
    MarksRecord,
    Shift,
    Weekday,
)
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
from tests.factories.admin import document_for

# Role keys of the matrix: a role, and for registrars the extent of their scope.
INSTITUTE_HEAD = "institute_head"
REGISTRAR_DEPARTMENT = "registrar_department"
REGISTRAR_INSTITUTE = "registrar_institute"
TEACHER = "teacher"
CAPTAIN = "captain"
STUDENT = "student"

ROLE_OF = {
    INSTITUTE_HEAD: Role.INSTITUTE_HEAD,
    REGISTRAR_DEPARTMENT: Role.REGISTRAR,
    REGISTRAR_INSTITUTE: Role.REGISTRAR,
    TEACHER: Role.TEACHER,
    CAPTAIN: Role.CAPTAIN,
    STUDENT: Role.STUDENT,
}

# records.permissions.RECORD_TYPES -> the admin viewset's URL namespace.
VIEWSET_OF = {
    "department": "departments",
    "academicsession": "sessions",
    "subject": "subjects",
    "teacher": "teachers",
    "student": "students",
    "alumni": "alumni",
    "document": "documents",
    "classroutine": "routines",
    "attendancerecord": "attendance",
    "marksrecord": "marks",
    "activitylog": "activity_log",
}


@dataclass
class ScopedObject:
    label: str  # "A", "A2", "B", ...: where it sits, for failure messages
    instance: object
    marker: str  # appears in the object's row of the CSV export
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def pk(self):
        return self.instance.pk


@dataclass
class ScopeWorld:
    users: dict[str, object]  # role key -> user
    objects: dict[str, list[ScopedObject]]  # record type -> its objects
    department_a: object
    department_b: object
    session: object
    teacher_slot: object  # the teacher's ClassRoutine in department A
    teacher: object  # the teacher's Teacher profile

    def object(self, record: str, label: str) -> ScopedObject:
        return next(o for o in self.objects[record] if o.label == label)


def _attendance(student, subject, day, marker):
    return services.attendance_record_save(
        record=AttendanceRecord(
            student=student,
            subject=subject,
            semester=student.semester,
            date=day,
            is_present=True,
            notes=marker,
        )
    )


def _mark(student, subject, marker):
    return services.marks_record_save(
        record=MarksRecord(
            student=student,
            subject=subject,
            semester=subject.semester,
            exam_type=ExamType.FINAL,
            marks_obtained=Decimal("61"),
            total_marks=Decimal("100"),
            remarks=marker,
        )
    )


def _log_entry(student, marker):
    if student is None:
        return activity_record(
            action=ActivityAction.LOGIN, entity_type="user", description=marker
        )
    return activity_record(
        action=ActivityAction.UPDATE, instance=student, description=marker
    )


def build_scope_world() -> ScopeWorld:
    """Build the institute through the real services (Alumni rows aside)."""
    dept_a = DepartmentFactory(code="SCA", name="Scope department A")
    dept_b = DepartmentFactory(code="SCB", name="Scope department B")
    session = AcademicSessionFactory(is_current=True)
    other_session = AcademicSessionFactory()

    subject_a = SubjectFactory(code="SCA-101", department=dept_a, semester=1)
    subject_a2 = SubjectFactory(code="SCA-102", department=dept_a, semester=1)
    subject_b = SubjectFactory(code="SCB-101", department=dept_b, semester=1)

    users = {
        INSTITUTE_HEAD: UserFactory(role=Role.INSTITUTE_HEAD, username="sc_head"),
        REGISTRAR_DEPARTMENT: UserFactory(role=Role.REGISTRAR, username="sc_reg_a"),
        REGISTRAR_INSTITUTE: UserFactory(role=Role.REGISTRAR, username="sc_reg_all"),
        TEACHER: UserFactory(
            role=Role.TEACHER,
            username="sc_teacher",
            account_status=AccountStatus.ACTIVE,
        ),
        CAPTAIN: UserFactory(role=Role.STUDENT, username="sc_captain"),
        STUDENT: UserFactory(role=Role.STUDENT, username="sc_student"),
    }
    services.registrar_set_departments(
        user=users[REGISTRAR_DEPARTMENT], departments=[dept_a]
    )
    services.registrar_set_departments(
        user=users[REGISTRAR_INSTITUTE], departments=[], all_departments=True
    )

    teacher_own = TeacherFactory(
        full_name_english="Scope Teacher Own",
        department=dept_a,
        user=users[TEACHER],
    )
    teacher_a2 = TeacherFactory(
        full_name_english="Scope Teacher Other", department=dept_a
    )
    teacher_b = TeacherFactory(full_name_english="Scope Teacher B", department=dept_b)

    def slot(subject, teacher, hour, room, sess=session):
        return ClassRoutineFactory(
            subject=subject,
            teacher=teacher,
            session=sess,
            shift=Shift.MORNING,
            day_of_week=Weekday.SUNDAY,
            start_time=time(hour, 0),
            end_time=time(hour, 45),
            room_number=room,
        )

    routine_a = slot(subject_a, teacher_own, 9, "SC-ROOM-A")
    routine_a2 = slot(subject_a2, teacher_a2, 10, "SC-ROOM-A2")
    routine_b = slot(subject_b, teacher_b, 9, "SC-ROOM-B")
    # The same subject and shift in another session's class group, taught by
    # someone else: not the teacher's class.
    slot(subject_a, teacher_a2, 11, "SC-ROOM-A3", sess=other_session)

    def student(name, department, sess=session, user=None):
        return StudentFactory(
            full_name_english=name,
            department=department,
            session=sess,
            semester=1,
            shift=Shift.MORNING,
            user=user,
        )

    student_a = student("Scope Student A", dept_a)
    student_b = student("Scope Student B", dept_b)
    student_a3 = student("Scope Student A3", dept_a, sess=other_session)
    captain_student = student("Scope Captain", dept_a, user=users[CAPTAIN])
    student("Scope Portal Student", dept_a, user=users[STUDENT])
    services.captain_appoint(student=captain_student)
    users[CAPTAIN].refresh_from_db()

    # Alumni are made by conversion, which needs eight semesters of results;
    # the scope only looks at the student's department, so a row will do.
    alumnus_a = Alumni.objects.create(
        student=student("Scope Alumnus A", dept_a),
        graduation_year=2020,
        current_organization="SC-ALUMNI-A",
    )
    alumnus_b = Alumni.objects.create(
        student=student("Scope Alumnus B", dept_b),
        graduation_year=2020,
        current_organization="SC-ALUMNI-B",
    )

    sunday = last_weekday(Weekday.SUNDAY)
    # The other session's slot is on the same weekday: a week earlier is fine.
    earlier = sunday - timedelta(weeks=1)

    A, OWN, CLASS = "dept_a", "own", "own_class"

    def obj(label, instance, marker, *tags):
        return ScopedObject(label, instance, marker, frozenset(tags))

    objects = {
        "department": [
            obj("A", dept_a, "SCA", A),
            obj("B", dept_b, "SCB"),
        ],
        "academicsession": [
            obj("A", session, session.name, A),
            obj("B", other_session, other_session.name),
        ],
        "subject": [
            obj("A", subject_a, "SCA-101", A),
            obj("A2", subject_a2, "SCA-102", A),
            obj("B", subject_b, "SCB-101"),
        ],
        "teacher": [
            obj("A-own", teacher_own, "Scope Teacher Own", A, OWN),
            obj("A2", teacher_a2, "Scope Teacher Other", A),
            obj("B", teacher_b, "Scope Teacher B"),
        ],
        "student": [
            obj("A", student_a, student_a.current_roll_number, A),
            obj("B", student_b, student_b.current_roll_number),
        ],
        "alumni": [
            obj("A", alumnus_a, "SC-ALUMNI-A", A),
            obj("B", alumnus_b, "SC-ALUMNI-B"),
        ],
        "document": [
            obj("A", document_for(student_a, name="sc-doc-a.pdf"), "sc-doc-a.pdf", A),
            obj("B", document_for(student_b, name="sc-doc-b.pdf"), "sc-doc-b.pdf"),
        ],
        "classroutine": [
            obj("A-own", routine_a, "SC-ROOM-A", A, CLASS),
            obj("A2", routine_a2, "SC-ROOM-A2", A),
            obj("B", routine_b, "SC-ROOM-B"),
        ],
        "attendancerecord": [
            obj(
                "A-own",
                _attendance(student_a, subject_a, sunday, "sc-att-a"),
                "sc-att-a",
                A,
                CLASS,
            ),
            obj(
                "A2",
                _attendance(student_a, subject_a2, sunday, "sc-att-a2"),
                "sc-att-a2",
                A,
            ),
            obj(
                "A3-other-session",
                _attendance(student_a3, subject_a, earlier, "sc-att-a3"),
                "sc-att-a3",
                A,
            ),
            obj("B", _attendance(student_b, subject_b, sunday, "sc-att-b"), "sc-att-b"),
        ],
        "marksrecord": [
            obj(
                "A-own", _mark(student_a, subject_a, "sc-mark-a"), "sc-mark-a", A, CLASS
            ),
            obj("A2", _mark(student_a, subject_a2, "sc-mark-a2"), "sc-mark-a2", A),
            obj(
                "A3-other-session",
                _mark(student_a3, subject_a, "sc-mark-a3"),
                "sc-mark-a3",
                A,
            ),
            obj("B", _mark(student_b, subject_b, "sc-mark-b"), "sc-mark-b"),
        ],
        "activitylog": [
            obj("A", _log_entry(student_a, "sc-log-a"), "sc-log-a", A),
            obj("B", _log_entry(student_b, "sc-log-b"), "sc-log-b"),
            # Sign-ins and the like sit in no department.
            obj("none", _log_entry(None, "sc-log-none"), "sc-log-none"),
        ],
    }
    return ScopeWorld(
        users=users,
        objects=objects,
        department_a=dept_a,
        department_b=dept_b,
        session=session,
        teacher_slot=routine_a,
        teacher=teacher_own,
    )
