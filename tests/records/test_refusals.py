"""A refused admin request answers 403 with a clear page, not a redirect."""

import pytest
from django.urls import reverse

from records.roles import AccountStatus, Role
from tests.factories import StudentFactory


@pytest.fixture
def teacher_client(client, make_user, password):
    user = make_user(Role.TEACHER, account_status=AccountStatus.ACTIVE)
    client.login(username=user.username, password=password)
    return client


@pytest.mark.parametrize(
    "url_name", ["students:add", "departments:add", "routines:add"]
)
def test_an_action_the_role_lacks_is_a_403_page(teacher_client, url_name):
    response = teacher_client.get(reverse(url_name))
    assert response.status_code == 403
    assert b"Your role may not do this here" in response.content


def test_a_record_outside_the_scope_is_404(client, make_user, password, db):
    from records import services
    from tests.factories import DepartmentFactory

    mine, other = DepartmentFactory(), DepartmentFactory()
    user = make_user(Role.REGISTRAR)
    services.registrar_set_departments(user=user, departments=[mine])
    client.login(username=user.username, password=password)
    outside = StudentFactory(department=other)
    inside = StudentFactory(department=mine)
    assert client.get(reverse("students:edit", args=[outside.pk])).status_code == 404
    assert client.get(reverse("students:edit", args=[inside.pk])).status_code == 200
