"""Attendance: only scheduled classes, never the future; percentages (Property 17)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from records import selectors, services
from records.models import AttendanceRecord, Weekday
from tests.factories import ClassRoutineFactory, StudentFactory, last_weekday


@pytest.fixture
def routine(db):
    return ClassRoutineFactory(day_of_week=Weekday.SUNDAY)


@pytest.fixture
def students(routine):
    return [
        StudentFactory(department=routine.department, session=routine.session)
        for _ in range(4)
    ]


def test_sheet_saves_everyone_and_reopening_edits(routine, students):
    day = last_weekday(Weekday.SUNDAY)
    result = services.attendance_sheet_save(
        routine=routine, day=day, present={students[0].pk: False}
    )
    assert (result.created, result.present, result.absent) == (4, 3, 1)
    result = services.attendance_sheet_save(
        routine=routine, day=day, present={students[0].pk: True, students[1].pk: False}
    )
    assert (result.created, result.updated, result.unchanged) == (0, 2, 2)
    assert AttendanceRecord.objects.count() == 4
    assert set(
        AttendanceRecord.objects.filter(is_present=False).values_list(
            "student", flat=True
        )
    ) == {students[1].pk}


def test_not_for_a_day_without_that_class(routine, students):
    monday = last_weekday(Weekday.MONDAY)
    with pytest.raises(
        ValidationError, match="is a Monday, but this class is on Sunday"
    ):
        services.attendance_sheet_save(routine=routine, day=monday, present={})
    assert not AttendanceRecord.objects.exists()


def test_not_for_the_future(routine, students):
    future = last_weekday(Weekday.SUNDAY) + timedelta(days=7)
    with pytest.raises(ValidationError, match="future date"):
        services.attendance_sheet_save(routine=routine, day=future, present={})
    assert not AttendanceRecord.objects.exists()


def test_single_record_for_a_subject_not_in_the_routine_is_refused(routine, students):
    """Frappe Education issue #47: attendance for a class the group does not have."""
    record = AttendanceRecord(
        student=students[0],
        subject=routine.subject,
        semester=routine.semester,
        date=last_weekday(Weekday.MONDAY),
        is_present=True,
    )
    with pytest.raises(ValidationError) as info:
        services.attendance_record_save(record=record)
    assert "has no" in info.value.message_dict["date"][0]
    assert not AttendanceRecord.objects.exists()


def test_forged_student_ids_change_nothing(routine, students):
    outsider = StudentFactory()
    with pytest.raises(ValidationError, match="not in this class"):
        services.attendance_sheet_save(
            routine=routine,
            day=last_weekday(Weekday.SUNDAY),
            present={students[0].pk: False, outsider.pk: False},
        )
    assert not AttendanceRecord.objects.exists()


def test_discontinued_students_are_not_on_the_sheet(routine, students):
    services.student_discontinue(student=students[0], reason="Left the institute")
    result = services.attendance_sheet_save(
        routine=routine, day=last_weekday(Weekday.SUNDAY), present={}
    )
    assert result.created == 3


class TestProperty17AttendancePercentage(HypothesisTestCase):
    # Feature: full-stack-integration, Property 17: Attendance percentage calculation
    @given(marks=st.lists(st.booleans(), min_size=1, max_size=12))
    def test_percentage_is_present_over_total(self, marks):
        routine = ClassRoutineFactory(day_of_week=Weekday.SUNDAY)
        student = StudentFactory(department=routine.department, session=routine.session)
        day = last_weekday(Weekday.SUNDAY)
        for week, is_present in enumerate(marks):
            services.attendance_sheet_save(
                routine=routine,
                day=day - timedelta(weeks=week),
                present={student.pk: is_present},
            )
        summary = selectors.student_attendance_summary(student=student)
        subject = summary[0].subjects[0]
        assert (subject.present, subject.total) == (sum(marks), len(marks))
        expected = (Decimal(sum(marks)) * 100 / len(marks)).quantize(Decimal("0.01"))
        assert subject.percentage == expected
        assert abs(float(subject.percentage) - sum(marks) / len(marks) * 100) < 0.01


def test_today_is_allowed_when_it_is_a_class_day(db):
    today = timezone.localdate()
    weekday = Weekday.of(today)
    if weekday is None:
        pytest.skip("today is a weekend day")
    routine = ClassRoutineFactory(day_of_week=weekday)
    StudentFactory(department=routine.department, session=routine.session)
    assert (
        services.attendance_sheet_save(routine=routine, day=today, present={}).created
        == 1
    )
