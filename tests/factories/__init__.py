"""factory_boy factories that build data through the real services."""

from datetime import date, time
from decimal import Decimal

import factory

from records import services
from records.models import (
    AcademicSession,
    ClassRoutine,
    Department,
    Gender,
    Shift,
    Student,
    Subject,
    Teacher,
    User,
    Weekday,
)
from records.roles import Role

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.edu.bd")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person {n}")
    role = Role.STUDENT
    password = TEST_PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        account_status = kwargs.pop("account_status", None)
        user = services.user_create(**kwargs)
        if account_status is not None:
            user = services.user_set_account_status(
                user=user, account_status=account_status
            )
        return user


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"D{n}")
    name = factory.Sequence(lambda n: f"Department {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.department_create(**kwargs)


class AcademicSessionFactory(factory.django.DjangoModelFactory):
    """Sessions 2000-01, 2001-02, ...; pass is_current=True for the current one."""

    class Meta:
        model = AcademicSession

    start_date = factory.Sequence(lambda n: date(2000 + n, 7, 1))
    end_date = factory.LazyAttribute(lambda o: date(o.start_date.year + 1, 6, 30))
    name = factory.LazyAttribute(
        lambda o: f"{o.start_date.year}-{(o.start_date.year + 1) % 100:02d}"
    )
    is_current = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.academic_session_create(**kwargs)


class TeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Teacher

    full_name_english = factory.Sequence(lambda n: f"Teacher {n}")
    designation = "Instructor"
    department = factory.SubFactory(DepartmentFactory)
    email = factory.Sequence(lambda n: f"teacher{n}@example.edu.bd")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.teacher_create(**kwargs)


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"Subject {n}")
    department = factory.SubFactory(DepartmentFactory)
    semester = 1
    credits = Decimal("3.0")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.subject_create(**kwargs)


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    full_name_english = factory.Sequence(lambda n: f"Student {n}")
    full_name_bangla = factory.Sequence(lambda n: f"ছাত্র {n}")
    father_name = "Abdul Karim"
    mother_name = "Rokeya Begum"
    date_of_birth = date(2008, 1, 15)
    gender = Gender.MALE
    guardian_mobile = "01712345678"
    department = factory.SubFactory(DepartmentFactory)
    semester = 1
    shift = Shift.MORNING
    session = factory.SubFactory(AcademicSessionFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.student_create(**kwargs)


class ClassRoutineFactory(factory.django.DjangoModelFactory):
    """A slot for a subject's class group; rooms are unique per slot by default."""

    class Meta:
        model = ClassRoutine

    subject = factory.SubFactory(SubjectFactory)
    department = factory.SelfAttribute("subject.department")
    semester = factory.SelfAttribute("subject.semester")
    shift = Shift.MORNING
    session = factory.SubFactory(AcademicSessionFactory)
    day_of_week = Weekday.SUNDAY
    start_time = time(9, 0)
    end_time = time(9, 45)
    room_number = factory.Sequence(lambda n: f"R{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.routine_create(**kwargs)


def last_weekday(day_of_week: int, *, before: date | None = None) -> date:
    """The most recent date (today included) that falls on a class day."""
    from datetime import timedelta

    from django.utils import timezone

    day = before or timezone.localdate()
    while Weekday.of(day) != day_of_week:
        day -= timedelta(days=1)
    return day
