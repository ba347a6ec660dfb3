"""History cost: a 60-student attendance sheet saved with and without history.

Both runs call the real ``services.attendance_sheet_save`` (validation, the
activity-log entry, one transaction) for fresh class sittings; the baseline
swaps simple-history's ``bulk_*_with_history`` for plain ``bulk_create`` /
``bulk_update``. The ratio is (time without history) / (time with history):
the goal is history costing under 1.5x, i.e. ratio >= 0.67.

Importing 20,000 rows with history on and off arrives with the import issue.
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta
from datetime import time as clock
from unittest import mock

from django.db import transaction
from django.utils import timezone

from records import services
from records.models import Shift, Weekday
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
)

PREFIX = "history_"
SITTINGS = 40  # per variant; each is a new date, so every save creates 60 rows


def _class_of_60():
    department = DepartmentFactory(code="HIS")
    session = AcademicSessionFactory(start_date=date(1990, 7, 1))
    subject = SubjectFactory(department=department, semester=1)
    routine = ClassRoutineFactory(
        subject=subject,
        session=session,
        shift=Shift.MORNING,
        day_of_week=Weekday.SUNDAY,
        start_time=clock(8, 0),
        end_time=clock(8, 45),
    )
    students = [
        StudentFactory(department=department, session=session, semester=1)
        for _ in range(60)
    ]
    return routine, students


def _sundays(count: int, *, skip: int = 0):
    day = timezone.localdate()
    while Weekday.of(day) != Weekday.SUNDAY:
        day -= timedelta(days=1)
    return [day - timedelta(weeks=skip + n) for n in range(count)]


def _time_sheets(routine, students, days) -> list[float]:
    times = []
    for n, day in enumerate(days):
        present = {s.pk: (i + n) % 9 != 0 for i, s in enumerate(students)}
        start = time.perf_counter()
        with transaction.atomic():
            services.attendance_sheet_save(routine=routine, day=day, present=present)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _without_history():
    """Patch out the history rows of the sheet's bulk write (the records still go in)."""

    def no_history(*args, **kwargs):
        return None

    return (mock.patch.object(services, "write_history", no_history),)


def _p95(values):
    ordered = sorted(values)
    return ordered[int(round(0.95 * (len(ordered) - 1)))]


def run(report) -> None:
    routine, students = _class_of_60()
    _time_sheets(routine, students, _sundays(3, skip=200))  # warm-up
    with_history = _time_sheets(routine, students, _sundays(SITTINGS))
    (history_patch,) = _without_history()
    with history_patch:
        without = _time_sheets(routine, students, _sundays(SITTINGS, skip=SITTINGS))
    base_median, base_p95 = statistics.median(without), _p95(without)
    report("history_off_attendance_sheet_60_median", base_median, "ms")
    report(
        "history_on_attendance_sheet_60_median",
        statistics.median(with_history),
        "ms",
        baseline_name="history_off",
        baseline_value=base_median,
    )
    report(
        "history_on_attendance_sheet_60_p95",
        _p95(with_history),
        "ms",
        baseline_name="history_off",
        baseline_value=base_p95,
    )
