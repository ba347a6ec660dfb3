"""Properties 21 and 22: every dashboard figure equals a plain count over the raw
records with the same filters, within the viewer's scope.

The oracle here is independent of the metric code: it loads the raw rows and
filters, groups and counts them in Python.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from dashboards import metrics
from dashboards.metrics import Context, Filters
from records import services
from records.models import (
    AttendanceRecord,
    ExamType,
    MarksRecord,
    Shift,
    Student,
    StudentStatus,
)
from records.roles import Role
from tests.factories import (
    AcademicSessionFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    UserFactory,
)

TODAY = date(2026, 11, 20)
THRESHOLD = 75


def pct(num, den):
    if not den:
        return None
    return (Decimal(num) * 100 / Decimal(den)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


class World:
    """Three departments, two sessions, subjects per department and semester."""

    def __init__(self):
        self.departments = [DepartmentFactory() for _ in range(3)]
        self.sessions = [
            AcademicSessionFactory(
                start_date=date(2025, 7, 1), end_date=date(2026, 6, 30)
            ),
            AcademicSessionFactory(
                start_date=date(2026, 7, 1), end_date=date(2027, 6, 30), is_current=True
            ),
        ]
        self.subjects = {
            (d.pk, sem): [SubjectFactory(department=d, semester=sem) for _ in range(2)]
            for d in self.departments
            for sem in (1, 2)
        }
        self.head = UserFactory(role=Role.INSTITUTE_HEAD)
        registrar = UserFactory(role=Role.REGISTRAR)
        self.registrar = services.registrar_set_departments(
            user=registrar, departments=self.departments[:2], all_departments=False
        )


student_spec = st.tuples(
    st.integers(0, 2),  # department
    st.integers(1, 2),  # semester
    st.sampled_from([Shift.MORNING, Shift.DAY]),
    st.integers(0, 1),  # session
    st.sampled_from(
        [StudentStatus.ACTIVE, StudentStatus.ACTIVE, StudentStatus.DISCONTINUED]
    ),
)
attendance_spec = st.tuples(
    st.integers(0, 30),  # student index (modulo)
    st.integers(0, 1),  # subject index
    st.integers(0, 40),  # days before TODAY
    st.booleans(),
)
marks_spec = st.tuples(
    st.integers(0, 30),
    st.integers(0, 1),
    st.sampled_from([ExamType.MIDTERM, ExamType.FINAL]),
    st.integers(0, 100),
    st.sampled_from([50, 100]),
)
filters_spec = st.fixed_dictionaries(
    {
        "department": st.one_of(st.none(), st.integers(0, 2)),
        "semester": st.one_of(st.none(), st.integers(1, 2)),
        "shift": st.one_of(st.none(), st.sampled_from([Shift.MORNING, Shift.DAY])),
        "session": st.one_of(st.none(), st.integers(0, 1)),
        "date_from": st.one_of(st.none(), st.integers(0, 40)),
        "date_to": st.one_of(st.none(), st.integers(0, 40)),
    }
)


def make_filters(world, spec) -> Filters:
    return Filters(
        department=(
            world.departments[spec["department"]].pk
            if spec["department"] is not None
            else None
        ),
        semester=spec["semester"],
        shift=spec["shift"],
        session=(
            world.sessions[spec["session"]].pk if spec["session"] is not None else None
        ),
        date_from=(
            TODAY - timedelta(days=spec["date_from"])
            if spec["date_from"] is not None
            else None
        ),
        date_to=(
            TODAY - timedelta(days=spec["date_to"])
            if spec["date_to"] is not None
            else None
        ),
    )


def populate(world, students, attendance, marks):
    made = []
    for n, (dep, sem, shift, session, status) in enumerate(students):
        student = Student(
            full_name_english=f"Student {n}",
            full_name_bangla=f"ছাত্র {n}",
            father_name="Abdul Karim",
            mother_name="Rokeya Begum",
            date_of_birth=date(2008, 1, 15),
            gender="male",
            guardian_mobile="01712345678",
            department=world.departments[dep],
            semester=sem,
            shift=shift,
            session=world.sessions[session],
            status=status,
            discontinued_reason=(
                "Moved away" if status == StudentStatus.DISCONTINUED else ""
            ),
            discontinued_at=(
                timezone.now() if status == StudentStatus.DISCONTINUED else None
            ),
            current_roll_number=f"R{n:05d}",
            current_registration_number=f"G{n:05d}",
        )
        made.append(student)
    Student.objects.bulk_create(made)
    made = list(Student.objects.order_by("current_roll_number"))
    if made:
        seen = set()
        rows = []
        for index, subject_n, days, present in attendance:
            student = made[index % len(made)]
            subject = world.subjects[(student.department_id, student.semester)][
                subject_n
            ]
            day = TODAY - timedelta(days=days)
            if (student.pk, subject.pk, day) in seen:
                continue
            seen.add((student.pk, subject.pk, day))
            rows.append(
                AttendanceRecord(
                    student=student,
                    subject=subject,
                    semester=subject.semester,
                    date=day,
                    is_present=present,
                )
            )
        AttendanceRecord.objects.bulk_create(rows)
        seen = set()
        rows = []
        for index, subject_n, exam_type, obtained, total in marks:
            student = made[index % len(made)]
            subject = world.subjects[(student.department_id, student.semester)][
                subject_n
            ]
            if (student.pk, subject.pk, exam_type) in seen:
                continue
            seen.add((student.pk, subject.pk, exam_type))
            rows.append(
                MarksRecord(
                    student=student,
                    subject=subject,
                    semester=subject.semester,
                    exam_type=exam_type,
                    marks_obtained=Decimal(min(obtained, total)),
                    total_marks=Decimal(total),
                )
            )
        MarksRecord.objects.bulk_create(rows)
    call_command("rebuild_summaries", verbosity=0)


# --- The oracle: plain Python over the raw rows -------------------------------------


def student_rows():
    return [
        {
            "pk": s.pk,
            "department": s.department_id,
            "semester": s.semester,
            "shift": s.shift,
            "session": s.session_id,
            "status": s.status,
            "gender": s.gender,
        }
        for s in Student.objects.all()
    ]


def keep_student(row, f: Filters, departments) -> bool:
    return (
        (departments is None or row["department"] in departments)
        and (not f.department or row["department"] == f.department)
        and (not f.semester or row["semester"] == f.semester)
        and (not f.shift or row["shift"] == f.shift)
        and (not f.session or row["session"] == f.session)
    )


def in_range(day, f: Filters) -> bool:
    return (not f.date_from or day >= f.date_from) and (
        not f.date_to or day <= f.date_to
    )


def oracle_students(f, departments, group, status=None):
    counts = defaultdict(int)
    for row in student_rows():
        if status and row["status"] != status:
            continue
        if keep_student(row, f, departments):
            counts[row[group] if group else None] += 1
    return dict(counts)


def oracle_attendance(f, departments, group):
    students = {s["pk"]: s for s in student_rows()}
    num, den = defaultdict(int), defaultdict(int)
    for rec in AttendanceRecord.objects.all():
        s = students[rec.student_id]
        row = {**s, "semester": rec.semester}
        if not keep_student(row, f, departments) or not in_range(rec.date, f):
            continue
        key = {"subject": rec.subject_id, None: None}.get(group, row.get(group))
        den[key] += 1
        num[key] += rec.is_present
    return {k: (pct(num[k], den[k]), num[k], den[k]) for k in den}


def oracle_marks(f, departments, group, passed_only=False):
    from django.utils import timezone

    students = {s["pk"]: s for s in student_rows()}
    num, den = defaultdict(int), defaultdict(int)
    for rec in MarksRecord.objects.all():
        s = students[rec.student_id]
        row = {**s, "semester": rec.semester}
        day = timezone.localtime(rec.recorded_at).date()
        if not keep_student(row, f, departments) or not in_range(day, f):
            continue
        percentage = rec.marks_obtained * 100 / rec.total_marks
        key = {
            "subject": rec.subject_id,
            "exam_type": rec.exam_type,
            "band": min(int(percentage // 10), 9),
            None: None,
        }.get(group, row.get(group))
        den[key] += 1
        num[key] += percentage >= 40
    return {k: (pct(num[k], den[k]), num[k], den[k]) for k in den}


def oracle_at_risk(f, departments, group):
    students = {s["pk"]: s for s in student_rows()}
    att = defaultdict(lambda: [0, 0])
    for rec in AttendanceRecord.objects.all():
        att[(rec.student_id, rec.semester)][0] += rec.is_present
        att[(rec.student_id, rec.semester)][1] += 1
    failed = set()
    for rec in MarksRecord.objects.all():
        if rec.marks_obtained * 100 < rec.total_marks * 40:
            failed.add((rec.student_id, rec.semester))
    counts = defaultdict(int)
    for pk, s in students.items():
        if s["status"] != StudentStatus.ACTIVE or not keep_student(s, f, departments):
            continue
        present, total = att[(pk, s["semester"])]
        if (total and present * 100 < THRESHOLD * total) or (
            (pk, s["semester"]) in failed
        ):
            counts[s[group] if group else None] += 1
    return dict(counts)


def figure_as_dict(figure):
    if not figure.rows:
        if figure.metric.unit == "%":
            return (
                {None: (figure.value, figure.numerator, figure.denominator)}
                if figure.denominator
                else {}
            )
        return {None: figure.value} if figure.value else {}
    if figure.metric.unit == "%":
        return {r.key: (r.value, r.numerator, r.denominator) for r in figure.rows}
    return {r.key: r.value for r in figure.rows}


GROUPS = {
    "students": ["", "department", "semester", "shift", "session", "status"],
    "active_students": ["", "department", "semester", "shift"],
    "at_risk_students": ["", "department", "semester", "shift"],
    "attendance_rate": ["", "department", "semester", "shift", "subject"],
    "pass_rate": ["", "department", "subject", "exam_type"],
    "marks": ["", "band", "exam_type"],
}


def oracle(key, f, departments, group):
    g = group or None
    if key == "students":
        return oracle_students(f, departments, g)
    if key == "active_students":
        return oracle_students(f, departments, g, status=StudentStatus.ACTIVE)
    if key == "at_risk_students":
        return oracle_at_risk(f, departments, g)
    if key == "attendance_rate":
        return oracle_attendance(f, departments, g)
    if key == "pass_rate":
        return oracle_marks(f, departments, g)
    if key == "marks":
        return {k: v[2] for k, v in oracle_marks(f, departments, g).items()}
    raise AssertionError(key)


class TestFiguresMatchRawRecords(TestCase):
    """Hypothesis generates records and filters; every figure matches the oracle."""

    @settings(max_examples=15, phases=[Phase.explicit, Phase.generate])
    @given(
        students=st.lists(student_spec, min_size=0, max_size=12),
        attendance=st.lists(attendance_spec, max_size=40),
        marks=st.lists(marks_spec, max_size=25),
        spec=filters_spec,
        as_registrar=st.booleans(),
    )
    def test_every_figure_equals_a_plain_count(
        self, students, attendance, marks, spec, as_registrar
    ):
        world = World()
        populate(world, students, attendance, marks)
        filters = make_filters(world, spec)
        user = world.registrar if as_registrar else world.head
        departments = {d.pk for d in world.departments[:2]} if as_registrar else None
        if (
            filters.date_from
            and filters.date_to
            and filters.date_from > filters.date_to
        ):
            filters = Filters(
                department=filters.department,
                semester=filters.semester,
                shift=filters.shift,
                session=filters.session,
                date_from=filters.date_to,
                date_to=filters.date_from,
            )
        ctx = Context(user=user, filters=filters, today=TODAY)
        memo: dict = {}
        for key, groups in GROUPS.items():
            metric = metrics.get_metric(key)
            for group in groups:
                expected = oracle(
                    key,
                    filters
                    if metric.applies("date")
                    else Filters(
                        **{**filters.__dict__, "date_from": None, "date_to": None}
                    ),
                    departments,
                    group,
                )
                got = figure_as_dict(metric.compute(ctx, group, with_urls=False))
                assert got == expected, (key, group, filters)
                # As on a dashboard page: items share one grouped query.
                shared = Context(user=user, filters=filters, today=TODAY, memo=memo)
                cube = figure_as_dict(metric.compute(shared, group, with_urls=False))
                assert cube == expected, ("page", key, group, filters)
                raw = figure_as_dict(
                    metric.compute(ctx, group, raw=True, with_urls=False)
                )
                assert raw == expected, ("raw", key, group, filters)


@pytest.mark.django_db
def test_registrar_figures_cover_only_their_departments():
    world = World()
    populate(
        world,
        [(0, 1, Shift.MORNING, 1, StudentStatus.ACTIVE)] * 2
        + [(2, 1, Shift.MORNING, 1, StudentStatus.ACTIVE)] * 3,
        [(n, 0, 1, n % 2 == 0) for n in range(5)],
        [],
    )
    students = metrics.get_metric("students")
    head = students.compute(Context(user=world.head, filters=Filters()))
    registrar = students.compute(Context(user=world.registrar, filters=Filters()))
    assert head.value == 5
    assert registrar.value == 2
    rate = metrics.get_metric("attendance_rate")
    assert (
        rate.compute(Context(user=world.registrar, filters=Filters())).denominator == 2
    )
    assert rate.compute(Context(user=world.head, filters=Filters())).denominator == 5


@pytest.mark.django_db
def test_a_saved_attendance_sheet_shows_at_once(head):
    """The summaries are written in the sheet's own transaction: no refresh needed."""
    from datetime import time

    from records.models import Weekday
    from tests.factories import ClassRoutineFactory, last_weekday

    department = DepartmentFactory()
    session = AcademicSessionFactory(is_current=True)
    subject = SubjectFactory(department=department, semester=1)
    students = [
        StudentFactory(department=department, session=session, semester=1)
        for _ in range(4)
    ]
    routine = ClassRoutineFactory(
        subject=subject,
        session=session,
        shift=Shift.MORNING,
        day_of_week=Weekday.SUNDAY,
        start_time=time(9),
        end_time=time(9, 45),
    )
    rate = metrics.get_metric("attendance_rate")
    ctx = Context(user=head, filters=Filters(department=department.pk))
    assert rate.compute(ctx).denominator == 0
    services.attendance_sheet_save(
        routine=routine,
        day=last_weekday(Weekday.SUNDAY),
        present={s.pk: n != 0 for n, s in enumerate(students)},
    )
    figure = rate.compute(ctx, "department")
    assert (figure.numerator, figure.denominator, figure.value) == (
        3,
        4,
        Decimal("75.0"),
    )
    assert figure.rows[0].url.endswith(f"department={department.pk}")


@pytest.mark.django_db
def test_item_filter_conflicting_with_the_dashboard_filter_counts_nothing(head):
    first, second = DepartmentFactory(), DepartmentFactory()
    StudentFactory(department=first)
    students = metrics.get_metric("students")
    dashboard = Filters(department=first.pk)
    fixed = Filters(department=second.pk)
    figure = students.compute(Context(user=head, filters=dashboard.narrowed(fixed)))
    assert figure.value == 0
    figure = students.compute(Context(user=head, filters=dashboard.narrowed(Filters())))
    assert figure.value == 1


def test_windows_are_calendar_ranges():
    today = date(2026, 11, 25)  # a Wednesday
    assert metrics.window_filters("this_week", today) == Filters(
        date_from=date(2026, 11, 23), date_to=date(2026, 11, 29)
    )
    assert metrics.window_filters("this_month", today) == Filters(
        date_from=date(2026, 11, 1), date_to=date(2026, 11, 30)
    )
    assert metrics.window_filters("last_7_days", today).date_from == date(2026, 11, 19)


@pytest.mark.django_db
def test_weekly_trend_buckets_and_links(head):
    world = World()
    populate(
        world,
        [(0, 1, Shift.MORNING, 1, StudentStatus.ACTIVE)],
        [(0, 0, d, True) for d in range(0, 14)],
        [],
    )
    rate = metrics.get_metric("attendance_rate")
    figure = rate.compute(Context(user=head, filters=Filters()), "week")
    assert sum(r.denominator for r in figure.rows) == 14
    assert all(r.key.weekday() == 0 for r in figure.rows)
    first = figure.rows[0]
    assert f"date_from={first.key.isoformat()}" in first.url
    assert f"date_to={(first.key + timedelta(days=6)).isoformat()}" in first.url
