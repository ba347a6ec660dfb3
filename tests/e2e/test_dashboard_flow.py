"""The head opens the dashboard, filters by a department, clicks a bar and lands
on the student listing with that filter and that count."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.db import connection
from playwright.sync_api import expect

from dashboards.migrations import _defaults
from dashboards.models import Dashboard
from records.roles import Role
from tests.factories import (
    AcademicSessionFactory,
    DepartmentFactory,
    StudentFactory,
)

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_head_filters_the_dashboard_and_drills_into_a_bar(
    live_server, page, make_user, password
):
    _defaults.create(apps, connection.alias)
    session = AcademicSessionFactory(
        start_date=date.today() - timedelta(days=90),
        end_date=date.today() + timedelta(days=270),
        is_current=True,
    )
    cst = DepartmentFactory(code="CST", name="Computer Science and Technology")
    eee = DepartmentFactory(code="EEE", name="Electrical and Electronic")
    for department, count in ((cst, 3), (eee, 2)):
        for _ in range(count):
            StudentFactory(department=department, session=session, semester=1)
    make_user(Role.INSTITUTE_HEAD, username="head", first_name="Anwar")
    dashboard = Dashboard.objects.get(owner__isnull=True, is_default=True)
    item = dashboard.items.get(title="Students by department")

    page.goto(f"{live_server.url}/admin/login/?next=/admin/dashboard/")
    page.fill("input[name=username]", "head")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/dashboard/{dashboard.pk}/")
    expect(page.get_by_role("heading", name="Students by department")).to_be_visible()

    page.select_option("#id_department", str(eee.pk))
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(f"**/admin/dashboard/{dashboard.pk}/?*department={eee.pk}*")

    canvas_id = f"panel-{item.pk}-chart"
    page.wait_for_function(
        "id => window.campusdeskCharts && window.campusdeskCharts.byId[id]",
        arg=canvas_id,
    )
    labels = page.evaluate(
        "id => window.campusdeskCharts.byId[id].data.labels", canvas_id
    )
    assert labels == ["EEE"]
    # The table under the chart says the same.
    table = page.locator(f"#{canvas_id}").locator("xpath=ancestor::section[1]//table")
    expect(table.locator("tbody tr")).to_have_count(1)

    canvas = page.locator(f"#{canvas_id}")
    canvas.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # let the chart's entry animation settle
    bars = page.evaluate(
        """id => window.campusdeskCharts.byId[id].getDatasetMeta(0).data.map(
            bar => ({x: bar.x, y: bar.y, base: bar.base}))""",
        canvas_id,
    )
    box = canvas.bounding_box()
    bar = bars[0]
    page.mouse.click(box["x"] + bar["x"], box["y"] + (bar["y"] + bar["base"]) / 2)
    page.wait_for_url("**/admin/students/?*")
    assert f"department={eee.pk}" in page.url
    rows = page.locator("table.listing tbody tr")
    expect(rows).to_have_count(2)
    # The listing's own filter shows the department chosen.
    assert page.locator("select[name=department]").input_value() == str(eee.pk)
