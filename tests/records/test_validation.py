"""Validation holds for every way in (Properties 15 and 16)."""

import re
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from records import services
from records.models import ClassRoutine, ExamType, MarksRecord, Student
from records.validators import (
    validate_bd_mobile,
    validate_gpa,
    validate_nid,
)
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
)

MOBILE_OK = re.compile(r"^01[3-9][0-9]{8}$")
digits = st.text(alphabet="0123456789", min_size=0, max_size=20)


@given(
    value=st.one_of(
        digits, st.text(max_size=15), st.from_regex(r"01[0-9]\d{8}", fullmatch=True)
    )
)
@example("01712345678")
@example("0171234567")
@example("+8801712345678")
def test_property_16_mobile_numbers(value):
    # Feature: full-stack-integration, Property 16: Range and format validation
    if MOBILE_OK.match(value):
        validate_bd_mobile(value)
    else:
        with pytest.raises(ValidationError):
            validate_bd_mobile(value)


def test_mobile_error_names_the_digit_count():
    with pytest.raises(ValidationError) as info:
        validate_bd_mobile("0171234567")
    assert info.value.messages == [
        "0171234567 has 10 digits, a Bangladeshi mobile number has 11."
    ]


@given(value=digits)
def test_property_16_nid_has_10_13_or_17_digits(value):
    if len(value) in (10, 13, 17):
        validate_nid(value)
    else:
        with pytest.raises(ValidationError):
            validate_nid(value)


@given(value=st.decimals(min_value=-10, max_value=10, places=2))
def test_property_16_gpa_range(value):
    if Decimal(0) <= value <= Decimal(5):
        validate_gpa(value)
    else:
        with pytest.raises(ValidationError, match="between 0.00 and 5.00"):
            validate_gpa(value)


REQUIRED_STUDENT_FIELDS = [
    "full_name_english",
    "full_name_bangla",
    "father_name",
    "mother_name",
    "date_of_birth",
    "gender",
    "guardian_mobile",
    "shift",
]


class TestProperty15RequiredFields(HypothesisTestCase):
    # Feature: full-stack-integration, Property 15: Required field validation
    @given(missing=st.sets(st.sampled_from(REQUIRED_STUDENT_FIELDS), min_size=1))
    def test_student_without_required_fields_is_refused_per_field(self, missing):
        template = StudentFactory.build(
            department=DepartmentFactory(), session=AcademicSessionFactory()
        )
        fields = {
            "full_name_english": template.full_name_english,
            "full_name_bangla": template.full_name_bangla,
            "father_name": template.father_name,
            "mother_name": template.mother_name,
            "date_of_birth": template.date_of_birth,
            "gender": template.gender,
            "guardian_mobile": template.guardian_mobile,
            "shift": template.shift,
            "department": template.department,
            "session": template.session,
        }
        for name in missing:
            fields[name] = None if name == "date_of_birth" else ""
        before = Student.objects.count()
        with pytest.raises(ValidationError) as info:
            services.student_create(**fields)
        assert missing <= set(info.value.message_dict)
        assert Student.objects.count() == before


class TestProperty16MarksRange(HypothesisTestCase):
    @given(
        obtained=st.decimals(min_value=-50, max_value=250, places=2),
        total=st.decimals(min_value=-10, max_value=200, places=2),
    )
    def test_marks_within_zero_and_total(self, obtained, total):
        student = StudentFactory()
        subject = SubjectFactory(department=student.department)
        record = MarksRecord(
            student=student,
            subject=subject,
            semester=1,
            exam_type=ExamType.MIDTERM,
            marks_obtained=obtained,
            total_marks=total,
        )
        valid = total > 0 and 0 <= obtained <= total
        if valid:
            services.marks_record_save(record=record)
            assert MarksRecord.objects.filter(pk=record.pk).exists()
        else:
            with pytest.raises(ValidationError):
                services.marks_record_save(record=record)
            assert not MarksRecord.objects.exists()


class TestProperty16TimeSlots(HypothesisTestCase):
    @given(start=st.times(), end=st.times())
    def test_a_class_starts_before_it_ends(self, start, end):
        start, end = start.replace(microsecond=0), end.replace(microsecond=0)
        subject = SubjectFactory()
        fields = {
            "subject": subject,
            "department": subject.department,
            "semester": subject.semester,
            "shift": "morning",
            "session": AcademicSessionFactory(),
            "day_of_week": 0,
            "start_time": start,
            "end_time": end,
            "room_number": "301",
        }
        if start < end:
            services.routine_create(**fields)
            assert ClassRoutine.objects.count() == 1
        else:
            with pytest.raises(ValidationError) as info:
                services.routine_create(**fields)
            assert "end_time" in info.value.message_dict
            assert ClassRoutine.objects.count() == 0


def test_date_of_birth_cannot_be_in_the_future(db):
    with pytest.raises(ValidationError) as info:
        StudentFactory(date_of_birth=timezone.localdate() + timedelta(days=1))
    assert "date_of_birth" in info.value.message_dict


def test_gpa_and_nid_on_the_student(db):
    with pytest.raises(ValidationError) as info:
        StudentFactory(previous_exam_gpa=Decimal("5.01"), father_nid="12345")
    assert {"previous_exam_gpa", "father_nid"} <= set(info.value.message_dict)


def test_routine_subject_must_belong_to_the_class_group(db):
    subject = SubjectFactory(semester=2)
    with pytest.raises(ValidationError) as info:
        ClassRoutineFactory(subject=subject, semester=3)
    assert "subject" in info.value.message_dict
    with pytest.raises(ValidationError):
        ClassRoutineFactory(subject=subject, department=DepartmentFactory())


def test_valid_time_slot_example(db):
    routine = ClassRoutineFactory(start_time=time(8, 0), end_time=time(8, 45))
    assert routine.time_label == "08:00–08:45"
