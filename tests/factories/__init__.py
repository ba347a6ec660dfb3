"""factory_boy factories that build data through the real services."""

import factory

from records import services
from records.models import Department, Teacher, User
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
