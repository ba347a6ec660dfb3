"""Students: generated numbers (Property 8), discontinuing (Property 9), alumni (Property 18)."""

import re
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from records import selectors, services
from records.errors import BusinessRuleError
from records.models import ExamType, Shift, Student, StudentStatus
from tests.factories import (
    AcademicSessionFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
)

REGISTRATION_RE = re.compile(r"^\d{4}-[A-Z][A-Z0-9]{1,9}-\d{5,}$")
ROLL_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}-\d{2}[MD]-\d{3,}$")


class TestProperty8UniqueNumbers(HypothesisTestCase):
    # Feature: full-stack-integration, Property 8: Unique identifier generation
    @given(
        plan=st.lists(
            st.tuples(st.integers(0, 2), st.sampled_from([Shift.MORNING, Shift.DAY])),
            min_size=1,
            max_size=12,
        )
    )
    def test_new_students_get_unique_readable_numbers(self, plan):
        session = AcademicSessionFactory()
        departments = [DepartmentFactory() for _ in range(3)]
        students = [
            StudentFactory(department=departments[d], shift=shift, session=session)
            for d, shift in plan
        ]
        rolls = [s.current_roll_number for s in students]
        registrations = [s.current_registration_number for s in students]
        assert len(set(rolls)) == len(rolls)
        assert len(set(registrations)) == len(registrations)
        for student in students:
            assert REGISTRATION_RE.match(student.current_registration_number)
            assert ROLL_RE.match(student.current_roll_number)
            assert student.department.code in student.current_roll_number
            assert str(session.start_date.year) in student.current_registration_number
        # No clash with anything stored either.
        assert Student.objects.values("current_roll_number").distinct().count() == (
            Student.objects.count()
        )


def test_numbers_skip_values_already_taken(db):
    first = StudentFactory()
    # A number can already be taken (e.g. by an import): the next one skips it.
    Student.objects.filter(pk=first.pk).update(
        current_registration_number=first.current_registration_number.replace(
            "00001", "00002"
        )
    )
    second = StudentFactory(department=first.department, session=first.session)
    assert second.current_registration_number.endswith("00003")


def test_numbers_cannot_be_typed_in(db):
    with pytest.raises(BusinessRuleError):
        StudentFactory(current_roll_number="X-1")


@pytest.mark.django_db(transaction=True)
def test_twenty_students_created_at_the_same_moment_never_collide(on_postgres):
    """Property 8 under concurrency: 20 threads, 20 connections, one instant."""
    if not on_postgres:
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race")
    department = DepartmentFactory(code="CST")
    session = AcademicSessionFactory()
    template = StudentFactory.build(department=department, session=session)
    fields = {
        f.name: getattr(template, f.name)
        for f in Student._meta.concrete_fields
        if f.name not in services.STUDENT_READ_ONLY and not f.primary_key
    }
    fields["department"], fields["session"] = department, session
    fields.pop("department_id", None)
    barrier = threading.Barrier(20)
    errors, created = [], []

    def admit(n):
        try:
            barrier.wait(timeout=30)
            student = services.student_create(
                **{**fields, "full_name_english": f"Concurrent {n}"}
            )
            created.append(student.pk)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=admit, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    students = Student.objects.filter(pk__in=created)
    assert students.count() == 20
    assert len({s.current_roll_number for s in students}) == 20
    assert len({s.current_registration_number for s in students}) == 20
    assert sorted(int(s.current_registration_number[-5:]) for s in students) == list(
        range(1, 21)
    )


class TestProperty9Discontinue(HypothesisTestCase):
    # Feature: full-stack-integration, Property 9: Status transition with required data
    @given(reason=st.text(max_size=200))
    def test_discontinued_needs_a_reason_and_is_listed(self, reason):
        student = StudentFactory()
        if not reason.strip() or "\x00" in reason:
            # Blank, or with a NUL byte (PostgreSQL cannot store it): a field error.
            with pytest.raises(ValidationError) as info:
                services.student_discontinue(student=student, reason=reason)
            assert "discontinued_reason" in info.value.message_dict
            student.refresh_from_db()
            assert student.status == StudentStatus.ACTIVE
            assert student not in Student.objects.discontinued()
        else:
            services.student_discontinue(student=student, reason=reason)
            student.refresh_from_db()
            assert student.status == StudentStatus.DISCONTINUED
            assert student.discontinued_reason == reason.strip()
            assert student.discontinued_at is not None
            assert student in Student.objects.discontinued()
            assert student not in Student.objects.active()


def test_discontinuing_twice_is_refused_with_a_clear_message(db):
    student = StudentFactory(full_name_english="Rakib Hasan")
    services.student_discontinue(student=student, reason="Moved abroad")
    with pytest.raises(BusinessRuleError, match="already discontinued"):
        services.student_discontinue(student=student, reason="Again")
    student.refresh_from_db()
    assert student.discontinued_reason == "Moved abroad"


def test_database_refuses_discontinued_without_reason(db):
    student = StudentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Student.objects.filter(pk=student.pk).update(
            status=StudentStatus.DISCONTINUED, discontinued_reason=""
        )


def test_reinstate_clears_the_reason(db):
    student = StudentFactory()
    services.student_discontinue(student=student, reason="Financial hardship")
    services.student_reinstate(student=student)
    student.refresh_from_db()
    assert (student.status, student.discontinued_reason) == (StudentStatus.ACTIVE, "")


def _give_final_results(student, semesters, subjects_by_semester):
    for semester in semesters:
        for subject in subjects_by_semester[semester]:
            services.marks_grid_save(
                subject=subject,
                exam_type=ExamType.FINAL,
                shift=student.shift,
                session=student.session,
                total_marks=Decimal(100),
                entries={student.pk: "72"},
            )


class TestProperty18AlumniEligibility(HypothesisTestCase):
    # Feature: full-stack-integration, Property 18: Alumni eligibility check
    @given(with_results=st.sets(st.integers(1, 8)))
    def test_conversion_only_with_all_eight_semesters(self, with_results):
        department = DepartmentFactory()
        session = AcademicSessionFactory()
        subjects = {
            n: [SubjectFactory(department=department, semester=n) for _ in range(2)]
            for n in range(1, 9)
        }
        student = StudentFactory(department=department, session=session)
        for semester in sorted(with_results):
            # marks_grid_save takes the class group of the subject's semester.
            Student.objects.filter(pk=student.pk).update(semester=semester)
            _give_final_results(student, [semester], subjects)
        missing = sorted(set(range(1, 9)) - with_results)
        assert selectors.student_semesters_missing_results(student=student) == missing
        if missing:
            with pytest.raises(BusinessRuleError) as info:
                services.student_convert_to_alumni(
                    student=student, graduation_year=2026
                )
            assert ", ".join(map(str, missing)) in str(info.value)
            student.refresh_from_db()
            assert student.status != StudentStatus.ALUMNI
        else:
            alumni = services.student_convert_to_alumni(
                student=student, graduation_year=2026, current_occupation="Engineer"
            )
            student.refresh_from_db()
            assert student.status == StudentStatus.ALUMNI
            assert alumni.student_id == student.pk


def test_a_semester_with_a_subject_missing_its_final_is_not_complete(db):
    department = DepartmentFactory()
    first, second = (
        SubjectFactory(department=department, semester=1) for _ in range(2)
    )
    student = StudentFactory(department=department)
    _give_final_results(student, [1], {1: [first]})
    assert 1 in selectors.student_semesters_missing_results(student=student)
    _give_final_results(student, [1], {1: [second]})
    assert 1 not in selectors.student_semesters_missing_results(student=student)
