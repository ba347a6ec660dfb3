"""What the schemathesis fuzz run of the API needs (tests/api/test_fuzz.py).

- ``build_fuzz_institute()``: a small institute with a user of every role and
  a few of every kind of record, made through the real services, so that the
  small ids the fuzzer generates sometimes name real objects.
- ``InProcessApp``: Django's WSGI application, called in the test's own thread
  and database transaction; each request runs in a savepoint that is rolled
  back afterwards, so every request sees the same institute (a fuzzed
  ``DELETE`` of the signed-in user's token, a ``logout`` or a password change
  cannot spoil the requests after it) and a database error in one request
  cannot abort the test's transaction.
"""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import (
    got_request_exception,
    request_finished,
    request_started,
)
from django.db import close_old_connections, transaction

from records import api_auth
from records import services as records
from records.models import ExamType, Shift, Weekday
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
from workflows import services as workflows

ROLES = ("anonymous", "student", "captain", "teacher", "registrar", "head")


def pdf_bytes(text: str = "certificate") -> bytes:
    """A tiny file that passes the upload check's content sniffing as a PDF."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% "
        + text.encode()
        + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def _application_fields(department, session, key: str, number: int, **over) -> dict:
    fields = {
        "full_name_english": f"Applicant {key}",
        "full_name_bangla": "আবেদনকারী",
        "father_name": "Abdul Karim",
        "mother_name": "Rokeya Begum",
        "date_of_birth": date(2008, 3, 14),
        "birth_certificate_no": f"2008123456789{number:04d}",
        "gender": "female",
        "guardian_mobile": "01712345678",
        "mobile_student": f"018{number:08d}",
        "email": f"{key}@example.com",
        "present_village": "Baliadi",
        "present_upazila": "Kaliakair",
        "present_district": "Gazipur",
        "present_division": "dhaka",
        "previous_exam": "ssc",
        "previous_exam_gpa": "4.75",
        "desired_department": department,
        "desired_shift": Shift.MORNING,
        "session": session,
    }
    fields.update(over)
    return fields


def _active_user(role: str, username: str, **extra):
    return UserFactory(
        role=role, username=username, account_status=AccountStatus.ACTIVE, **extra
    )


@dataclass
class FuzzInstitute:
    users: dict = field(default_factory=dict)  # role -> User (no anonymous)


def build_fuzz_institute() -> FuzzInstitute:
    """Two departments, two sessions, every role, and records of every kind.

    Department A (CST) is the teacher's, the scoped registrar's and the class
    group (semester 1, morning, current session) of the student and captain;
    department B (EEE) is none of theirs, so scoping has something to hide.
    """
    cst = DepartmentFactory(code="CST", name="Computer Science and Technology")
    eee = DepartmentFactory(code="EEE", name="Electrical Engineering")
    session = AcademicSessionFactory(
        name="2026-27",
        start_date=date(2026, 7, 1),
        end_date=date(2027, 6, 30),
        is_current=True,
    )
    old_session = AcademicSessionFactory(
        name="2025-26", start_date=date(2025, 7, 1), end_date=date(2026, 6, 30)
    )

    head = _active_user(Role.INSTITUTE_HEAD, "fuzz_head")
    registrar = _active_user(Role.REGISTRAR, "fuzz_registrar")
    records.registrar_set_departments(user=registrar, departments=[cst])
    registrar_all = _active_user(Role.REGISTRAR, "fuzz_registrar_all")
    records.registrar_set_departments(
        user=registrar_all, departments=[], all_departments=True
    )

    teacher_user = _active_user(Role.TEACHER, "fuzz_teacher")
    teacher = TeacherFactory(
        full_name_english="Fuzz Teacher", department=cst, user=teacher_user
    )
    other_teacher = TeacherFactory(full_name_english="Other Teacher", department=eee)

    # The student comes in through an admission, as a real one does.
    student_user = _active_user(Role.STUDENT, "fuzz_student")
    application = workflows.admission_submit(
        acting_user=student_user, **_application_fields(cst, session, "student", 1)
    )
    application = workflows.request_approve(request=application, acting_user=registrar)
    application = workflows.request_approve(request=application, acting_user=head)
    own = application.student

    captain_user = _active_user(Role.STUDENT, "fuzz_captain")
    captain = StudentFactory(
        full_name_english="Fuzz Captain",
        department=cst,
        session=session,
        semester=1,
        shift=Shift.MORNING,
        user=captain_user,
    )
    records.captain_appoint(student=captain, acting_user=head)

    classmates = [
        StudentFactory(department=cst, session=session, semester=1, shift=Shift.MORNING)
        for _ in range(3)
    ]
    others = [
        StudentFactory(department=cst, session=old_session, semester=3),
        StudentFactory(department=eee, session=session, semester=1),
        StudentFactory(department=eee, session=session, semester=2, shift=Shift.DAY),
    ]
    leaver = StudentFactory(department=eee, session=session)
    records.student_discontinue(student=leaver, reason="Moved abroad")
    group = [own, captain, *classmates]

    # Subjects and routines: the teacher's class group in CST, another in EEE.
    programming = SubjectFactory(
        code="CST-101", name="Programming", department=cst, semester=1
    )
    circuits = SubjectFactory(
        code="EEE-101", name="Circuits", department=eee, semester=1
    )
    routines = [
        ClassRoutineFactory(
            subject=programming,
            session=session,
            shift=Shift.MORNING,
            teacher=teacher,
            day_of_week=Weekday.SUNDAY,
            start_time=time(9, 0),
            end_time=time(9, 45),
        ),
        ClassRoutineFactory(
            subject=programming,
            session=session,
            shift=Shift.MORNING,
            teacher=teacher,
            day_of_week=Weekday.TUESDAY,
            start_time=time(10, 0),
            end_time=time(10, 45),
        ),
        ClassRoutineFactory(
            subject=circuits,
            session=session,
            shift=Shift.MORNING,
            teacher=other_teacher,
            day_of_week=Weekday.MONDAY,
        ),
    ]

    # Attendance of two sittings, marks of one exam.
    for routine in routines[:2]:
        day = last_weekday(routine.day_of_week)
        records.attendance_sheet_save(
            routine=routine,
            day=day,
            present={s.pk: i % 3 != 0 for i, s in enumerate(group)},
            notes={group[0].pk: "Late"},
            acting_user=teacher_user,
        )
    records.marks_grid_save(
        subject=programming,
        exam_type=ExamType.MIDTERM,
        shift=Shift.MORNING,
        session=session,
        total_marks=Decimal(40),
        entries={s.pk: str(20 + i) for i, s in enumerate(group)},
        remarks={group[0].pk: "Good"},
        acting_user=teacher_user,
    )

    # Documents: the student's own and one of another department.
    for student, kind in ((own, "ssc_certificate"), (others[1], "nid")):
        records.document_upload(
            student=student,
            kind=kind,
            uploaded_file=SimpleUploadedFile("certificate.pdf", pdf_bytes()),
            acting_user=head,
        )

    # Requests still waiting: admissions, teacher signups, corrections.
    pending_application = workflows.admission_submit(
        **_application_fields(cst, session, "pending", 2)
    )
    workflows.admission_submit(**_application_fields(eee, session, "other", 3))
    returned = workflows.admission_submit(
        **_application_fields(cst, session, "returned", 4)
    )
    workflows.request_return(
        request=returned, acting_user=registrar, note="The photo is missing."
    )
    workflows.admission_document_add(
        application=pending_application,
        kind="ssc_certificate",
        uploaded_file=SimpleUploadedFile("ssc.pdf", pdf_bytes("ssc")),
    )
    for key, department in (("fuzz_signup_a", cst), ("fuzz_signup_b", eee)):
        workflows.teacher_signup_submit(
            password="a-long-secret-123",
            full_name_english=f"Signup {key}",
            full_name_bangla="শিক্ষক",
            email=f"{key}@example.edu.bd",
            mobile_number="01712345678",
            designation="Instructor",
            department=department,
            username=key,
        )
    workflows.correction_submit(
        student=own,
        field_name="father_name",
        requested_value="Abdul Karim Mia",
        reason="As on the certificate",
        acting_user=student_user,
    )
    rejected = workflows.correction_submit(
        student=captain,
        field_name="mother_name",
        requested_value="Rokeya Khatun",
        reason="As on the certificate",
        acting_user=captain_user,
    )
    workflows.request_reject(
        request=rejected, acting_user=registrar, note="The certificate says otherwise."
    )

    return FuzzInstitute(
        users={
            "student": student_user,
            "captain": captain_user,
            "teacher": teacher_user,
            "registrar": registrar,
            "head": head,
        },
    )


# --- Real ids -------------------------------------------------------------------------
# Generated integer ids rarely name a real record, and on PostgreSQL the ids
# of a test's records depend on the tests before it (sequences are not rolled
# back). So a valid id is sometimes swapped for a real one of the right kind:
# the kind comes from the path segment before the parameter (/students/{id}/)
# or from the field's name (?department=, "student": ...).


def _id_models() -> dict[str, type]:
    from wagtail.models import APIToken

    from records.models import (
        AcademicSession,
        ActivityLog,
        AttendanceRecord,
        ClassRoutine,
        Department,
        Document,
        MarksRecord,
        Student,
        Subject,
        Teacher,
        User,
    )
    from workflows.models import (
        AdmissionApplication,
        CorrectionRequest,
        TeacherSignupRequest,
    )

    return {
        "students": Student,
        "student": Student,
        "departments": Department,
        "department": Department,
        "sessions": AcademicSession,
        "session": AcademicSession,
        "teachers": Teacher,
        "teacher": Teacher,
        "requests": TeacherSignupRequest,  # /teachers/requests/{id}/
        "class-routines": ClassRoutine,
        "routine": ClassRoutine,
        "subjects": Subject,
        "subject": Subject,
        "attendance": AttendanceRecord,
        "marks": MarksRecord,
        "documents": Document,
        "admissions": AdmissionApplication,
        "application": AdmissionApplication,
        "correction-requests": CorrectionRequest,
        "activity-logs": ActivityLog,
        "tokens": APIToken,
        "users": User,
        "user": User,
    }


class RealIds:
    """The ids of the institute's records, by the names the API uses for them."""

    def __init__(self):
        by_model: dict[type, list[int]] = {}
        self.by_name: dict[str, list[int]] = {}
        for name, model in _id_models().items():
            if model not in by_model:
                by_model[model] = list(
                    model.objects.order_by("pk").values_list("pk", flat=True)[:12]
                )
            if by_model[model]:
                self.by_name[name] = by_model[model]
        self.any = sorted({pk for ids in by_model.values() for pk in ids})

    def pick(self, name: str, seed: int) -> int:
        ids = self.by_name.get(name) or self.any
        return ids[abs(seed) % len(ids)]

    @staticmethod
    def owner_of(path: str, parameter: str) -> str:
        """``/api/v1/students/{id}/`` -> ``students`` (the segment before it)."""
        segments = [s for s in path.split("/") if s]
        marker = "{" + parameter + "}"
        if marker in segments:
            index = segments.index(marker)
            if index > 0:
                return segments[index - 1]
        return parameter.removesuffix("_id")


def token_headers(user) -> dict[str, str]:
    """``Authorization: Token <key>`` for a fresh token of ``user``."""
    _token, key = api_auth.api_token_create(user=user, name="fuzz")
    return {"Authorization": f"Token {key}"}


# --- Calling the app ---------------------------------------------------------------------


class _ApiErrorLog(logging.Handler):
    """Keeps the tracebacks the API's error handler logs for a 500."""

    def __init__(self, sink: list[str]):
        super().__init__(level=logging.ERROR)
        self.sink = sink

    def emit(self, record):
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.sink.append(text)


class InProcessApp:
    """Django's WSGI app for schemathesis, in this thread, one savepoint a request.

    Django closes "old" database connections when a request starts and ends;
    inside the test's transaction that would close the connection under it,
    so (as Django's own test client does) that is switched off while the app
    is in use: use it as a context manager.
    """

    def __init__(self):
        self.handler = WSGIHandler()
        self.statuses: Counter = Counter()
        self.errors: list[str] = []  # tracebacks of the latest request
        self._log_handler = _ApiErrorLog(self.errors)

    def __enter__(self):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        got_request_exception.connect(self._on_exception)
        # Hundreds of expected 4xx would flood the log; 5xx tracebacks are
        # kept here (self.errors) and shown with the failure they belong to.
        api_log = logging.getLogger("campusdesk.api")
        request_log = logging.getLogger("django.request")
        self._saved_logging = (api_log.propagate, request_log.disabled)
        api_log.addHandler(self._log_handler)
        api_log.propagate = False
        request_log.disabled = True
        return self

    def __exit__(self, *exc):
        api_log = logging.getLogger("campusdesk.api")
        api_log.removeHandler(self._log_handler)
        api_log.propagate, logging.getLogger("django.request").disabled = (
            self._saved_logging
        )
        got_request_exception.disconnect(self._on_exception)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

    def _on_exception(self, sender, request=None, **kwargs):
        self.errors.append(traceback.format_exc())

    def __call__(self, environ, start_response):
        self.errors.clear()
        seen = {}

        def remember_status(status, headers, exc_info=None):
            seen["status"] = status
            return start_response(status, headers, exc_info)

        with transaction.atomic():
            result = self.handler(environ, remember_status)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            transaction.set_rollback(True)
        self.statuses[seen.get("status", "?").split(" ", 1)[0]] += 1
        return [body]


__all__ = [
    "ROLES",
    "FuzzInstitute",
    "InProcessApp",
    "RealIds",
    "build_fuzz_institute",
    "token_headers",
]
