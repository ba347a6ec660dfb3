"""Writes to the institute's records. Each function is one transaction."""

from datetime import date

from django.contrib.auth.models import Group
from django.db import transaction

from .models import AcademicSession, Department, Teacher, User
from .roles import ROLE_GROUP_NAMES, AccountStatus, Role


def user_sync_role_groups(*, user: User) -> None:
    """Put the user in exactly the group of their role (other groups stay)."""
    role_groups = Group.objects.filter(name__in=ROLE_GROUP_NAMES.values())
    wanted = ROLE_GROUP_NAMES[user.role]
    user.groups.remove(*[g for g in role_groups if g.name != wanted])
    group, _created = Group.objects.get_or_create(name=wanted)
    user.groups.add(group)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    acting_user: User | None = None,
) -> User:
    """Create an account; its starting status follows its role (Property 1)."""
    user = User.objects.create_user(
        username=username,
        email=email,
        password=password,
        role=Role(role),
        first_name=first_name,
        last_name=last_name,
    )
    user_sync_role_groups(user=user)
    return user


@transaction.atomic
def user_change_role(*, user: User, role: str, acting_user: User | None = None) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.role = Role(role)
    user.save(update_fields=["role"])
    user_sync_role_groups(user=user)
    return user


@transaction.atomic
def user_set_account_status(
    *, user: User, account_status: str, acting_user: User | None = None
) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.account_status = AccountStatus(account_status)
    user.save(update_fields=["account_status"])
    return user


@transaction.atomic
def department_create(
    *,
    code: str,
    name: str,
    name_bangla: str = "",
    short_name: str = "",
    acting_user: User | None = None,
) -> Department:
    department = Department(
        code=code, name=name, name_bangla=name_bangla, short_name=short_name
    )
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def academic_session_create(
    *,
    name: str,
    start_date: date,
    end_date: date,
    is_current: bool = False,
    acting_user: User | None = None,
) -> AcademicSession:
    if is_current:
        # One current session: the new one takes the flag from the old one.
        AcademicSession.objects.select_for_update().filter(is_current=True).update(
            is_current=False
        )
    session = AcademicSession(
        name=name, start_date=start_date, end_date=end_date, is_current=is_current
    )
    session.full_clean()
    session.save()
    return session


@transaction.atomic
def teacher_create(
    *,
    full_name_english: str,
    designation: str,
    department: Department,
    email: str,
    full_name_bangla: str = "",
    mobile_number: str = "",
    qualifications: str = "",
    specializations: str = "",
    joining_date: date | None = None,
    user: User | None = None,
    acting_user: User | None = None,
) -> Teacher:
    teacher = Teacher(
        full_name_english=full_name_english,
        full_name_bangla=full_name_bangla,
        designation=designation,
        department=department,
        email=email,
        mobile_number=mobile_number,
        qualifications=qualifications,
        specializations=specializations,
        joining_date=joining_date,
        user=user,
    )
    teacher.full_clean()
    teacher.save()
    return teacher
