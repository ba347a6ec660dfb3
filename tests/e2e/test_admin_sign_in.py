import pytest
from playwright.sync_api import expect

from records.roles import Role

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_demo_registrar_signs_in_to_the_admin(live_server, page, make_user, password):
    make_user(
        Role.REGISTRAR, username="registrar", first_name="Rahima", last_name="Khatun"
    )
    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", "registrar")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    expect(page.get_by_text("Rahima", exact=False).first).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_pending_teacher_is_told_why_in_the_browser(
    live_server, page, make_user, password
):
    make_user(Role.TEACHER, username="newteacher")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "newteacher")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.get_by_text("waiting for approval")).to_be_visible()
    assert page.url.startswith(f"{live_server.url}/admin/login/")
