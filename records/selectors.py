"""Reads of the institute's records: querysets and computed summaries.

Semester results and attendance summaries are computed from the marks and
attendance records (seed 000's JSON shapes), never typed in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet

from .models import (
    SEMESTERS,
    AttendanceRecord,
    ClassRoutine,
    ExamType,
    MarksRecord,
    Student,
    StudentStatus,
    Subject,
)


def class_group_students_for(
    *, department, semester, shift, session
) -> QuerySet[Student]:
    """Active students of a class group, in roll order."""
    return (
        Student.objects.filter(status=StudentStatus.ACTIVE)
        .in_class_group(
            department=department, semester=semester, shift=shift, session=session
        )
        .order_by("current_roll_number")
    )


def class_group_students(*, routine: ClassRoutine) -> QuerySet[Student]:
    return class_group_students_for(
        department=routine.department_id,
        semester=routine.semester,
        shift=routine.shift,
        session=routine.session_id,
    )


# --- Attendance (Property 17) ---------------------------------------------------


@dataclass
class SubjectAttendance:
    code: str
    name: str
    present: int
    total: int

    @property
    def percentage(self) -> Decimal:
        """present / total x 100, to two decimals (Property 17)."""
        if not self.total:
            return Decimal("0.00")
        return (Decimal(self.present) * 100 / Decimal(self.total)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )


@dataclass
class SemesterAttendance:
    semester: int
    subjects: list[SubjectAttendance] = field(default_factory=list)

    @property
    def average_percentage(self) -> Decimal:
        if not self.subjects:
            return Decimal("0.00")
        total = sum((s.percentage for s in self.subjects), Decimal("0"))
        return (total / len(self.subjects)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )


def student_attendance_summary(*, student: Student) -> list[SemesterAttendance]:
    """Per semester, per subject: present, total and percentage (one query)."""
    rows = (
        AttendanceRecord.objects.filter(student=student)
        .values("semester", "subject__code", "subject__name")
        .annotate(total=Count("id"), present=Count("id", filter=Q(is_present=True)))
        .order_by("semester", "subject__code")
    )
    semesters: dict[int, SemesterAttendance] = {}
    for row in rows:
        semester = semesters.setdefault(
            row["semester"], SemesterAttendance(row["semester"])
        )
        semester.subjects.append(
            SubjectAttendance(
                code=row["subject__code"],
                name=row["subject__name"],
                present=row["present"],
                total=row["total"],
            )
        )
    return list(semesters.values())


# --- Results (Property 18) -----------------------------------------------------------

# Bangladesh Technical Education Board grading, by percentage.
GRADE_SCALE = [
    (Decimal(80), "A+", Decimal("4.00")),
    (Decimal(75), "A", Decimal("3.75")),
    (Decimal(70), "A-", Decimal("3.50")),
    (Decimal(65), "B+", Decimal("3.25")),
    (Decimal(60), "B", Decimal("3.00")),
    (Decimal(55), "B-", Decimal("2.75")),
    (Decimal(50), "C+", Decimal("2.50")),
    (Decimal(45), "C", Decimal("2.25")),
    (Decimal(40), "D", Decimal("2.00")),
    (Decimal(0), "F", Decimal("0.00")),
]


def grade_for(percentage: Decimal) -> tuple[str, Decimal]:
    for floor, letter, point in GRADE_SCALE:
        if percentage >= floor:
            return letter, point
    return "F", Decimal("0.00")


@dataclass
class SubjectResult:
    code: str
    name: str
    credit: Decimal
    obtained: Decimal
    total: Decimal
    exams: dict[str, tuple[Decimal, Decimal]]

    @property
    def percentage(self) -> Decimal:
        return (self.obtained * 100 / self.total).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    @property
    def grade(self) -> str:
        return grade_for(self.percentage)[0]

    @property
    def grade_point(self) -> Decimal:
        return grade_for(self.percentage)[1]


@dataclass
class SemesterResult:
    semester: int
    subjects: list[SubjectResult]
    complete: bool

    @property
    def gpa(self) -> Decimal | None:
        credits = sum((s.credit for s in self.subjects), Decimal("0"))
        if not credits:
            return None
        points = sum((s.credit * s.grade_point for s in self.subjects), Decimal("0"))
        return (points / credits).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def passed(self) -> bool:
        return self.complete and all(s.grade != "F" for s in self.subjects)


def _offered_subjects(department_id: int) -> dict[int, set[int]]:
    offered: dict[int, set[int]] = defaultdict(set)
    for subject_id, semester in Subject.objects.filter(
        department_id=department_id, is_active=True
    ).values_list("id", "semester"):
        offered[semester].add(subject_id)
    return offered


def student_semester_results(*, student: Student) -> list[SemesterResult]:
    """Per semester, per subject: marks of every exam, percentage, grade, GPA.

    A semester is complete when the student has a final-exam mark for every
    subject their department offers in it (or, where the department lists no
    subjects for it, at least one final mark).
    """
    marks = (
        MarksRecord.objects.filter(student=student)
        .select_related("subject")
        .order_by("semester", "subject__code", "exam_type")
    )
    by_semester: dict[int, dict[int, SubjectResult]] = defaultdict(dict)
    finals: dict[int, set[int]] = defaultdict(set)
    for mark in marks:
        subject = mark.subject
        result = by_semester[mark.semester].get(subject.pk)
        if result is None:
            result = SubjectResult(
                code=subject.code,
                name=subject.name,
                credit=subject.credits,
                obtained=Decimal("0"),
                total=Decimal("0"),
                exams={},
            )
            by_semester[mark.semester][subject.pk] = result
        result.obtained += mark.marks_obtained
        result.total += mark.total_marks
        result.exams[mark.exam_type] = (mark.marks_obtained, mark.total_marks)
        if mark.exam_type == ExamType.FINAL:
            finals[mark.semester].add(subject.pk)
    offered = _offered_subjects(student.department_id)
    results = []
    for semester in sorted(by_semester):
        needed = offered.get(semester, set())
        complete = needed <= finals[semester] if needed else bool(finals[semester])
        results.append(
            SemesterResult(
                semester=semester,
                subjects=list(by_semester[semester].values()),
                complete=complete,
            )
        )
    return results


def student_semesters_missing_results(*, student: Student) -> list[int]:
    """The semesters 1-8 without a complete result (empty: eligible for alumni)."""
    complete = {
        r.semester for r in student_semester_results(student=student) if r.complete
    }
    return [n for n in SEMESTERS if n not in complete]


# --- Entry screens (take attendance, marks entry) -------------------------------


def academic_session_current():
    """The session marked current, or None."""
    from .models import AcademicSession

    return AcademicSession.objects.filter(is_current=True).first()


def attendance_slots(*, session) -> QuerySet[ClassRoutine]:
    """Active routine slots of a session, with what a slot list shows."""
    return (
        ClassRoutine.objects.active()
        .filter(session=session)
        .select_related("department", "subject", "teacher", "session")
        .order_by("start_time", "department__code", "semester", "shift")
    )


def attendance_sittings_taken(*, subject_ids, dates) -> set[tuple]:
    """(subject id, date, shift, session id) of class sittings with attendance."""
    return set(
        AttendanceRecord.objects.filter(subject_id__in=subject_ids, date__in=dates)
        .values_list("subject_id", "date", "student__shift", "student__session_id")
        .distinct()
    )


def attendance_for_sitting(*, routine: ClassRoutine, day) -> QuerySet[AttendanceRecord]:
    """The stored attendance of one class sitting (slot and date)."""
    return AttendanceRecord.objects.filter(
        subject_id=routine.subject_id,
        date=day,
        student__in=class_group_students(routine=routine).values("pk"),
    ).select_related("recorded_by")


def marks_for_grid(*, subject, exam_type: str, student_ids) -> QuerySet[MarksRecord]:
    """Stored marks of one exam of a subject for the given students."""
    return MarksRecord.objects.filter(
        subject=subject,
        semester=subject.semester,
        exam_type=exam_type,
        student_id__in=student_ids,
    )


# --- Portal (a student's own records) --------------------------------------------


def student_week_routine(*, student: Student) -> QuerySet[ClassRoutine]:
    """The active routine of the student's class group, Sunday to Thursday."""
    return (
        ClassRoutine.objects.active()
        .for_class_group(
            department=student.department_id,
            semester=student.semester,
            shift=student.shift,
            session=student.session_id,
        )
        .select_related("subject", "teacher")
        .order_by("day_of_week", "start_time")
    )


def student_documents(*, student: Student):
    """The student's own documents, newest first."""
    from .models import Document

    return Document.objects.filter(student=student).order_by("-uploaded_at")


# --- At risk (the head's dashboards, the students listing) ---------------------------


def at_risk_threshold() -> int:
    """The attendance percentage below which a student is at risk (setting)."""
    from django.conf import settings

    return getattr(settings, "CAMPUSDESK_AT_RISK_ATTENDANCE", 75)


def at_risk_students_q(threshold=None) -> Q:
    """Students at risk, as a filter on Student.

    An active student whose term summary for their *current* semester shows
    attendance below ``threshold`` percent (of the classes recorded so far) or
    any failed marks record (percentage under 40).
    """
    from django.db.models import Exists, F, OuterRef, Value
    from django.db.models.lookups import LessThan

    from .models import StudentTermSummary

    if threshold is None:
        threshold = at_risk_threshold()
    low_attendance = Q(attendance_total__gt=0) & Q(
        LessThan(
            F("attendance_present") * 100,
            F("attendance_total") * Value(threshold),
        )
    )
    term = StudentTermSummary.objects.filter(
        low_attendance | Q(marks_failed__gt=0),
        student=OuterRef("pk"),
        semester=OuterRef("semester"),
    )
    return Q(status=StudentStatus.ACTIVE) & Q(Exists(term))
