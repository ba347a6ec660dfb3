"""Accounts and roles (issue 2; seed 000 §1 and Property 1)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from records import services
from records.auth import ACCOUNT_STATUS_MESSAGES
from records.models import User
from records.roles import ROLE_GROUP_NAMES, AccountStatus, Role, initial_account_status

usernames = st.from_regex(r"[a-z][a-z0-9_.]{2,20}", fullmatch=True)


class TestProperty1RoleBasedActivation(HypothesisTestCase):
    # Feature: full-stack-integration, Property 1: Role-based account activation
    @given(role=st.sampled_from(list(Role)), username=usernames, email=st.emails())
    def test_status_follows_role_and_group_matches(self, role, username, email):
        user = services.user_create(
            username=username, email=email, password="x-Pass-12345", role=role
        )
        user.refresh_from_db()
        if role in (Role.STUDENT, Role.CAPTAIN):
            assert user.account_status == AccountStatus.ACTIVE
        elif role == Role.TEACHER:
            assert user.account_status == AccountStatus.PENDING
        else:
            assert user.account_status == AccountStatus.ACTIVE
        role_groups = set(
            user.groups.filter(name__in=ROLE_GROUP_NAMES.values()).values_list(
                "name", flat=True
            )
        )
        assert role_groups == {ROLE_GROUP_NAMES[role]}

    @given(role=st.sampled_from(list(Role)), username=usernames)
    def test_manager_create_user_applies_the_same_rule(self, role, username):
        user = User.objects.create_user(username=username, password="x", role=role)
        assert user.account_status == initial_account_status(role)


@pytest.mark.django_db
def test_role_groups_exist_on_a_fresh_database():
    names = set(Group.objects.values_list("name", flat=True))
    assert set(ROLE_GROUP_NAMES.values()) <= names
    registrar = Group.objects.get(name=ROLE_GROUP_NAMES[Role.REGISTRAR])
    codenames = set(registrar.permissions.values_list("codename", flat=True))
    assert {"access_admin", "add_teacher", "change_teacher"} <= codenames
    students = Group.objects.get(name=ROLE_GROUP_NAMES[Role.STUDENT])
    assert not students.permissions.filter(codename="access_admin").exists()


@pytest.mark.parametrize("role", [Role.STUDENT, Role.CAPTAIN])
def test_students_and_captains_cannot_reach_the_admin(
    client, make_user, password, role
):
    user = make_user(role)
    assert client.login(username=user.username, password=password)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert b"The back office is for the institute" in response.content
    assert not user.has_perm("wagtailadmin.access_admin")


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.INSTITUTE_HEAD, Role.TEACHER])
def test_staff_roles_reach_the_admin(client, make_user, password, role):
    user = make_user(role, account_status=AccountStatus.ACTIVE)
    assert client.login(username=user.username, password=password)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert b"Dashboard" in response.content


def test_role_change_moves_the_user_between_groups(make_user):
    user = make_user(Role.STUDENT)
    other = Group.objects.create(name="Library volunteers")
    user.groups.add(other)
    user = services.user_change_role(user=user, role=Role.CAPTAIN)
    names = set(user.groups.values_list("name", flat=True))
    assert names == {ROLE_GROUP_NAMES[Role.CAPTAIN], "Library volunteers"}
    user = services.user_change_role(user=user, role=Role.REGISTRAR)
    assert user.has_perm("wagtailadmin.access_admin") or User.objects.get(
        pk=user.pk
    ).has_perm("wagtailadmin.access_admin")
    assert set(user.groups.values_list("name", flat=True)) == {
        ROLE_GROUP_NAMES[Role.REGISTRAR],
        "Library volunteers",
    }


@pytest.mark.parametrize(
    ("status", "login_url"),
    [
        (AccountStatus.PENDING, "accounts:login"),
        (AccountStatus.SUSPENDED, "accounts:login"),
        (AccountStatus.PENDING, "wagtailadmin_login"),
        (AccountStatus.SUSPENDED, "wagtailadmin_login"),
    ],
)
def test_blocked_accounts_are_told_why(client, make_user, password, status, login_url):
    user = make_user(Role.TEACHER, account_status=status)
    response = client.post(
        reverse(login_url), {"username": user.username, "password": password}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    message = escape(str(ACCOUNT_STATUS_MESSAGES[status]))
    assert message in response.content.decode()


def test_wrong_password_of_a_pending_account_reveals_nothing(client, make_user):
    user = make_user(Role.TEACHER)
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": "wrong"}
    )
    body = response.content.decode()
    assert str(ACCOUNT_STATUS_MESSAGES[AccountStatus.PENDING]) not in body
    assert "correct username and password" in body


def test_public_sign_in_and_out(client, student, password):
    response = client.post(
        reverse("accounts:login"), {"username": student.username, "password": password}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:profile")
    profile = client.get(reverse("accounts:profile"))
    assert b"Student" in profile.content
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_suspending_ends_existing_sessions(client, registrar, password):
    assert client.login(username=registrar.username, password=password)
    assert client.get("/admin/").status_code == 200
    services.user_set_account_status(
        user=registrar, account_status=AccountStatus.SUSPENDED
    )
    response = client.get("/admin/")
    assert response.status_code == 302
    assert reverse("wagtailadmin_login") in response.url


def test_password_change(client, student, password):
    client.login(username=student.username, password=password)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": password,
            "new_password1": "a-new-Passphrase-2026",
            "new_password2": "a-new-Passphrase-2026",
        },
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.check_password("a-new-Passphrase-2026")


def test_head_creates_a_teacher_in_the_admin_pending_with_group(client, head, password):
    client.login(username=head.username, password=password)
    response = client.post(
        reverse("wagtailusers_users:add"),
        {
            "username": "newteacher",
            "email": "newteacher@example.edu.bd",
            "first_name": "Nusrat",
            "last_name": "Jahan",
            "role": Role.TEACHER,
            "password1": "a-strong-Passphrase-1",
            "password2": "a-strong-Passphrase-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newteacher")
    assert user.account_status == AccountStatus.PENDING
    assert ROLE_GROUP_NAMES[Role.TEACHER] in set(
        user.groups.values_list("name", flat=True)
    )


def test_head_changes_role_in_the_admin_and_groups_follow(
    client, head, password, make_user
):
    user = make_user(Role.STUDENT, username="rakib")
    client.login(username=head.username, password=password)
    response = client.post(
        reverse("wagtailusers_users:edit", args=[user.pk]),
        {
            "username": "rakib",
            "email": "rakib@example.edu.bd",
            "first_name": "Rakibul",
            "last_name": "Hasan",
            "role": Role.REGISTRAR,
            "account_status": AccountStatus.ACTIVE,
            "admission_status": "not_started",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.role == Role.REGISTRAR
    assert set(user.groups.values_list("name", flat=True)) == {
        ROLE_GROUP_NAMES[Role.REGISTRAR]
    }
