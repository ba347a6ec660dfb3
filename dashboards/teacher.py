"""The teacher's home page: what needs doing in the classes a user teaches.

Selectors only: they read, computed for one user through the permission
policy (``records.permissions.routines_for_attendance`` / ``routines_for_marks``),
so a teacher sees exactly the slots assigned to them and a captain the slots of
their class group (attendance only). Everything is relative to ``now`` (an aware
datetime, default the current time) in ``settings.TIME_ZONE``, so tests pass a
fixed moment instead of mocking the clock.

The query count does not grow with the number of routines: the routines are
loaded once, then one aggregate query per section (see ``teacher_dashboard``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from records import selectors
from records.models import (
    AcademicSession,
    AttendanceRecord,
    ClassRoutine,
    ExamType,
    MarksRecord,
    Student,
    StudentStatus,
    Weekday,
    class_group_label,
)
from records.permissions import routines_for_attendance, routines_for_marks
from records.roles import Role

# "Attendance not yet taken" looks at today and the 13 days before it.
ATTENDANCE_LOOKBACK_DAYS = 14

# Roles whose admin home shows this dashboard. Captains take attendance only
# (they hold no enter_marks grant), so they get the attendance sections.
DASHBOARD_ROLES = frozenset({Role.TEACHER, Role.CAPTAIN})

SHEET_URL_NAME = "attendance_sheet:sheet"
ATTENDANCE_LISTING_URL_NAME = "attendance:index"
MARKS_ENTRY_URL_NAME = "marks_entry:index"


def at_risk_threshold() -> Decimal:
    """Attendance below this percentage puts a class on the low-attendance list."""
    return Decimal(getattr(settings, "CAMPUSDESK_AT_RISK_ATTENDANCE", 75))


def user_has_teacher_dashboard(user) -> bool:
    """Teachers (and captains) get the dashboard; other roles have their own."""
    return (
        user.is_authenticated
        and user.is_active
        and getattr(user, "role", None) in DASHBOARD_ROLES
    )


def sheet_url(routine: ClassRoutine, day: date, url_name: str = SHEET_URL_NAME):
    url = reverse(url_name, args=[routine.pk])
    return f"{url}?{urlencode({'date': day.isoformat()})}"


# --- What each section lists ------------------------------------------------------


@dataclass(frozen=True)
class ClassSitting:
    """One routine slot on one date: a row of "today" or "not yet taken"."""

    routine: ClassRoutine
    day: date
    taken: bool
    sheet_url: str

    @property
    def group_label(self) -> str:
        r = self.routine
        return class_group_label(r.department, r.semester, r.shift)


@dataclass(frozen=True)
class ClassKey:
    """A class: a subject taught to one class group (the subject fixes department
    and semester; shift and session complete the group)."""

    subject_id: int
    shift: str
    session_id: int

    @classmethod
    def of(cls, routine: ClassRoutine) -> ClassKey:
        return cls(routine.subject_id, routine.shift, routine.session_id)


@dataclass(frozen=True)
class LowAttendanceClass:
    routine: ClassRoutine  # one slot of the class (for its labels)
    present: int
    total: int
    listing_url: str

    @property
    def rate(self) -> Decimal:
        """present / total x 100, to two decimals (as the student summaries)."""
        return selectors.SubjectAttendance(
            code="", name="", present=self.present, total=self.total
        ).percentage

    @property
    def group_label(self) -> str:
        r = self.routine
        return class_group_label(r.department, r.semester, r.shift)


@dataclass(frozen=True)
class MissingMarks:
    routine: ClassRoutine  # one slot of the class (for its labels)
    exam_type: str
    missing: int
    students: int
    grid_url: str

    @property
    def exam_label(self) -> str:
        return str(ExamType(self.exam_type).label)

    @property
    def group_label(self) -> str:
        r = self.routine
        return class_group_label(r.department, r.semester, r.shift)


@dataclass
class TeacherDashboard:
    today: date
    session: AcademicSession | None
    threshold: Decimal
    today_classes: list[ClassSitting] = field(default_factory=list)
    attendance_missing: list[ClassSitting] = field(default_factory=list)
    low_attendance: list[LowAttendanceClass] = field(default_factory=list)
    marks_missing: list[MissingMarks] = field(default_factory=list)
    shows_low_attendance: bool = True
    shows_marks: bool = True

    @property
    def lookback_days(self) -> int:
        return ATTENDANCE_LOOKBACK_DAYS

    @property
    def marks_missing_by_class(self) -> list[list[MissingMarks]]:
        """``marks_missing`` as one list of exams per class (it is in class order)."""
        groups: list[list[MissingMarks]] = []
        for item in self.marks_missing:
            if groups and ClassKey.of(groups[-1][0].routine) == ClassKey.of(
                item.routine
            ):
                groups[-1].append(item)
            else:
                groups.append([item])
        return groups


# --- Loading the user's classes ---------------------------------------------------


@dataclass
class TeacherClasses:
    """The user's slots of the current session, loaded once for every section."""

    user: object
    now: datetime
    session: AcademicSession | None
    attendance_routines: list[ClassRoutine]
    marks_routines: list[ClassRoutine]

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)


def _current_routines(queryset, session) -> list[ClassRoutine]:
    return list(
        queryset.filter(is_active=True, session=session)
        .select_related("department", "subject", "session")
        .order_by("start_time", "department__code", "semester", "shift", "pk")
    )


def teacher_classes(*, user, now: datetime | None = None) -> TeacherClasses:
    """The active slots of the current session the user may take attendance
    for, and those they may enter marks for (three queries, plus the user's
    cached permission scope)."""
    now = now or timezone.now()
    session = selectors.academic_session_current()
    if session is None:
        return TeacherClasses(user, now, None, [], [])
    return TeacherClasses(
        user=user,
        now=now,
        session=session,
        attendance_routines=_current_routines(
            routines_for_attendance(user, ClassRoutine.objects.all()), session
        ),
        marks_routines=_current_routines(
            routines_for_marks(user, ClassRoutine.objects.all()), session
        ),
    )


def _recent_days(today: date) -> list[date]:
    return [today - timedelta(days=n) for n in range(ATTENDANCE_LOOKBACK_DAYS)]


def _taken(classes: TeacherClasses) -> set[tuple]:
    """Sittings of the lookback window with attendance (one query)."""
    if not classes.attendance_routines:
        return set()
    return selectors.attendance_sittings_taken(
        subject_ids={r.subject_id for r in classes.attendance_routines},
        dates=set(_recent_days(classes.today)),
    )


def _is_taken(taken: set[tuple], routine: ClassRoutine, day: date) -> bool:
    return (routine.subject_id, day, routine.shift, routine.session_id) in taken


# --- (1) Today's classes -----------------------------------------------------------


def teacher_today_classes(
    classes: TeacherClasses,
    *,
    taken: set[tuple] | None = None,
    sheet_url_name: str = SHEET_URL_NAME,
) -> list[ClassSitting]:
    """The user's slots on today's weekday, by start time, with whether
    attendance is taken and the sheet of today's sitting."""
    today = classes.today
    weekday = Weekday.of(today)
    routines = [r for r in classes.attendance_routines if r.day_of_week == weekday]
    if not routines:
        return []
    if taken is None:
        taken = _taken(classes)
    return [
        ClassSitting(
            routine=routine,
            day=today,
            taken=_is_taken(taken, routine, today),
            sheet_url=sheet_url(routine, today, sheet_url_name),
        )
        for routine in routines
    ]


# --- (2) Attendance not yet taken --------------------------------------------------


def teacher_attendance_missing(
    classes: TeacherClasses,
    *,
    taken: set[tuple] | None = None,
    sheet_url_name: str = SHEET_URL_NAME,
) -> list[ClassSitting]:
    """Sittings of the last ``ATTENDANCE_LOOKBACK_DAYS`` days with no attendance.

    A sitting is a slot on a date of its weekday inside the session's dates,
    not in the future; today's counts only once the class has started. Newest
    first.
    """
    session = classes.session
    if session is None or not classes.attendance_routines:
        return []
    if taken is None:
        taken = _taken(classes)
    today = classes.today
    time_now = timezone.localtime(classes.now).time()
    by_weekday: dict[int, list[date]] = defaultdict(list)
    for day in _recent_days(today):
        weekday = Weekday.of(day)
        if weekday is not None and session.start_date <= day <= session.end_date:
            by_weekday[weekday].append(day)
    missing = []
    for routine in classes.attendance_routines:
        for day in by_weekday.get(routine.day_of_week, ()):
            if day == today and time_now < routine.start_time:
                continue
            if not _is_taken(taken, routine, day):
                missing.append(
                    ClassSitting(
                        routine=routine,
                        day=day,
                        taken=False,
                        sheet_url=sheet_url(routine, day, sheet_url_name),
                    )
                )
    missing.sort(
        key=lambda s: (s.day, s.routine.start_time, s.routine.pk), reverse=True
    )
    return missing


# --- (3) Classes with low attendance -----------------------------------------------


def attendance_listing_url(routine: ClassRoutine) -> str:
    """The attendance listing filtered to one class (subject and class group)."""
    query = {
        "subject": routine.subject_id,
        "department": routine.department_id,
        "semester": routine.semester,
        "shift": routine.shift,
        "session": routine.session_id,
    }
    return f"{reverse(ATTENDANCE_LISTING_URL_NAME)}?{urlencode(query)}"


def _one_slot_per_class(routines: list[ClassRoutine]) -> dict[ClassKey, ClassRoutine]:
    classes: dict[ClassKey, ClassRoutine] = {}
    for routine in routines:
        classes.setdefault(ClassKey.of(routine), routine)
    return classes


def teacher_low_attendance(
    classes: TeacherClasses, *, threshold: Decimal | None = None
) -> list[LowAttendanceClass]:
    """The user's classes whose attendance over the current session (its dates)
    is below the at-risk threshold, lowest first (one query).

    A class is a subject with one class group; its rate counts every attendance
    record of the subject and semester taken for the group's students, as the
    filtered listing shows them. Classes with no attendance yet have no rate.
    """
    session = classes.session
    by_class = _one_slot_per_class(classes.attendance_routines)
    if session is None or not by_class:
        return []
    threshold = at_risk_threshold() if threshold is None else threshold
    rows = (
        AttendanceRecord.objects.filter(
            subject_id__in={key.subject_id for key in by_class},
            student__session=session,
            date__gte=session.start_date,
            date__lte=session.end_date,
        )
        .values("subject_id", "semester", "student__department_id", "student__shift")
        .annotate(total=Count("id"), present=Count("id", filter=Q(is_present=True)))
        .order_by()
    )
    low = []
    for row in rows:
        routine = by_class.get(
            ClassKey(row["subject_id"], row["student__shift"], session.pk)
        )
        if (
            routine is None
            or row["semester"] != routine.semester
            or row["student__department_id"] != routine.department_id
        ):
            continue
        item = LowAttendanceClass(
            routine=routine,
            present=row["present"],
            total=row["total"],
            listing_url=attendance_listing_url(routine),
        )
        if item.rate < threshold:
            low.append(item)
    low.sort(key=lambda c: (c.rate, c.group_label, c.routine.subject.code))
    return low


# --- (4) Marks not yet entered -----------------------------------------------------


def marks_grid_url(routine: ClassRoutine, exam_type: str) -> str:
    query = {
        "subject": routine.subject_id,
        "exam_type": exam_type,
        "shift": routine.shift,
        "session": routine.session_id,
    }
    return f"{reverse(MARKS_ENTRY_URL_NAME)}?{urlencode(query)}"


def teacher_marks_missing(classes: TeacherClasses) -> list[MissingMarks]:
    """Per class the user enters marks for, each exam type some of its active
    students have no marks of (the subject in its semester), with how many
    (two queries). In class and exam order."""
    session = classes.session
    by_class = _one_slot_per_class(classes.marks_routines)
    if session is None or not by_class:
        return []
    routines = list(by_class.values())
    # Students of the class groups (department, semester, shift), this session.
    group_sizes = {
        (row["department_id"], row["semester"], row["shift"]): row["n"]
        for row in Student.objects.filter(
            status=StudentStatus.ACTIVE,
            session=session,
            department_id__in={r.department_id for r in routines},
            semester__in={r.semester for r in routines},
        )
        .values("department_id", "semester", "shift")
        .annotate(n=Count("id"))
        .order_by()
    }
    # Marks of those students, per subject and exam, of the semester they are
    # in now (the marks grid shows the same).
    entered = {
        (
            row["subject_id"],
            row["exam_type"],
            row["student__department_id"],
            row["student__semester"],
            row["student__shift"],
        ): row["n"]
        for row in MarksRecord.objects.filter(
            subject_id__in={key.subject_id for key in by_class},
            student__status=StudentStatus.ACTIVE,
            student__session=session,
        )
        .filter(semester=F("student__semester"))
        .values(
            "subject_id",
            "exam_type",
            "student__department_id",
            "student__semester",
            "student__shift",
        )
        .annotate(n=Count("id"))
        .order_by()
    }
    missing = []
    routines.sort(
        key=lambda r: (r.department.code, r.semester, r.shift, r.subject.code)
    )
    for routine in routines:
        size = group_sizes.get(
            (routine.department_id, routine.semester, routine.shift), 0
        )
        if not size:
            continue
        for exam_type in ExamType.values:
            done = entered.get(
                (
                    routine.subject_id,
                    exam_type,
                    routine.department_id,
                    routine.semester,
                    routine.shift,
                ),
                0,
            )
            if done < size:
                missing.append(
                    MissingMarks(
                        routine=routine,
                        exam_type=exam_type,
                        missing=size - done,
                        students=size,
                        grid_url=marks_grid_url(routine, exam_type),
                    )
                )
    return missing


# --- Everything at once --------------------------------------------------------------


def teacher_dashboard(*, user, now: datetime | None = None) -> TeacherDashboard:
    """The four sections of the teacher's home page for ``user`` at ``now``.

    Captains (no admin listing of attendance, no marks grants) get the
    attendance sections only.
    """
    classes = teacher_classes(user=user, now=now)
    taken = _taken(classes)
    shows_low_attendance = user.has_perm("records.view_attendancerecord")
    return TeacherDashboard(
        today=classes.today,
        session=classes.session,
        threshold=at_risk_threshold(),
        today_classes=teacher_today_classes(classes, taken=taken),
        attendance_missing=teacher_attendance_missing(classes, taken=taken),
        low_attendance=(
            teacher_low_attendance(classes) if shows_low_attendance else []
        ),
        marks_missing=teacher_marks_missing(classes),
        shows_low_attendance=shows_low_attendance,
        shows_marks=bool(classes.marks_routines),
    )
