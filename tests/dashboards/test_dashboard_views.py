"""The head's dashboard pages: rendering, filters, drill-down, downloads, access."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from dashboards.models import Dashboard, DashboardItem
from records import services
from records.models import AttendanceRecord, MarksRecord
from records.roles import Role
from tests.factories import (
    AcademicSessionFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def institute():
    """Two departments with students, attendance and marks."""
    session = AcademicSessionFactory(
        start_date=date.today() - timedelta(days=100),
        end_date=date.today() + timedelta(days=200),
        is_current=True,
    )
    cse, eee = DepartmentFactory(code="CST"), DepartmentFactory(code="EEE")
    data = {"session": session, "cse": cse, "eee": eee}
    for department, count in ((cse, 3), (eee, 2)):
        subject = SubjectFactory(department=department, semester=1)
        students = [
            StudentFactory(department=department, session=session, semester=1)
            for _ in range(count)
        ]
        for n, student in enumerate(students):
            for day in range(4):
                AttendanceRecord.objects.create(
                    student=student,
                    subject=subject,
                    semester=1,
                    date=date.today() - timedelta(days=day),
                    is_present=(n + day) % 3 != 0,
                )
            MarksRecord.objects.create(
                student=student,
                subject=subject,
                semester=1,
                exam_type="final",
                marks_obtained=Decimal(30 + 20 * n),
                total_marks=Decimal(100),
            )
        data[department.code] = students
    call_command("rebuild_summaries", verbosity=0)
    return data


def default_dashboard() -> Dashboard:
    return Dashboard.objects.get(owner__isnull=True, is_default=True)


def listing_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    context = response.context
    if "page_obj" in context and context["page_obj"] is not None:
        return context["page_obj"].paginator.count
    return context["total"]


def test_the_menu_opens_the_default_dashboard(client, head, institute):
    client.force_login(head)
    response = client.get(reverse("dashboards_view:default"))
    assert response.status_code == 302
    assert response.url == reverse(
        "dashboards_view:show", args=[default_dashboard().pk]
    )


def test_the_default_dashboard_renders_every_item(client, head, institute):
    client.force_login(head)
    dashboard = default_dashboard()
    response = client.get(reverse("dashboards_view:show", args=[dashboard.pk]))
    assert response.status_code == 200
    panels = response.context["panels"]
    assert len(panels) == dashboard.items.count()
    by_title = {p.title: p for p in panels}
    assert by_title["Students by status"].total == 5
    assert by_title["Attendance by department"].denominator == 20
    html = response.content.decode()
    assert "chart.umd.min.js" in html
    assert "cdn" not in html.lower()
    # Every chart has its numbers as a table too.
    assert html.count("<table") >= len(
        [p for p in panels if p.display != "card" and not p.empty]
    )


def test_a_department_filter_narrows_every_figure(client, head, institute):
    client.force_login(head)
    dashboard = default_dashboard()
    url = reverse("dashboards_view:show", args=[dashboard.pk])
    response = client.get(url, {"department": institute["eee"].pk})
    by_title = {p.title: p for p in response.context["panels"]}
    assert by_title["Students by status"].total == 2
    assert by_title["Attendance by department"].denominator == 8
    assert [r.label for r in by_title["Attendance by department"].rows] == ["EEE"]


def test_a_bad_date_range_is_explained_and_ignored(client, head, institute):
    client.force_login(head)
    url = reverse("dashboards_view:show", args=[default_dashboard().pk])
    response = client.get(url, {"date_from": "2026-05-01", "date_to": "2026-01-01"})
    assert response.status_code == 200
    assert "The end of the range is before its start." in response.content.decode()
    response = client.get(url, {"department": "999999", "semester": "x"})
    assert response.status_code == 200


def test_every_number_and_bar_drills_down_to_its_listing(client, head, institute):
    """Following a bar's link lands on the listing that shows what it counts."""
    client.force_login(head)
    dashboard = default_dashboard()
    url = reverse("dashboards_view:show", args=[dashboard.pk])
    response = client.get(url, {"department": institute["cse"].pk})
    checked = 0
    for panel in response.context["panels"]:
        metric = panel.figure.metric
        if metric.key == "awaiting":
            continue
        expected_rows = [
            (row.url, row.denominator if panel.unit == "%" else row.value)
            for row in panel.rows
            if row.url
        ]
        if panel.total_url and panel.figure.value is not None:
            expected_rows.append(
                (
                    panel.total_url,
                    panel.denominator if panel.unit == "%" else panel.total,
                )
            )
        for link, expected in expected_rows:
            if expected is None:
                continue
            assert listing_count(client, link) == expected, (panel.title, link)
            checked += 1
    assert checked >= 15


def test_registrar_sees_only_their_departments(client, institute):
    registrar = services.registrar_set_departments(
        user=UserFactory(role=Role.REGISTRAR),
        departments=[institute["eee"]],
        all_departments=False,
    )
    client.force_login(registrar)
    url = reverse("dashboards_view:show", args=[default_dashboard().pk])
    response = client.get(url)
    assert response.status_code == 200
    by_title = {p.title: p for p in response.context["panels"]}
    assert by_title["Students by status"].total == 2
    form = response.context["form"]
    assert list(form.fields["department"].queryset) == [institute["eee"]]
    # A department outside their scope is not a valid choice.
    response = client.get(url, {"department": institute["cse"].pk})
    assert response.context["form"].errors
    by_title = {p.title: p for p in response.context["panels"]}
    assert by_title["Students by status"].total == 2


@pytest.mark.parametrize("role", [Role.TEACHER, Role.STUDENT, Role.CAPTAIN])
def test_other_roles_are_refused(client, make_user, role, institute):
    from records.roles import AccountStatus

    client.force_login(make_user(role, account_status=AccountStatus.ACTIVE))
    dashboard = default_dashboard()
    for url in (
        reverse("dashboards_view:show", args=[dashboard.pk]),
        reverse(
            "dashboards_view:panel_data",
            args=[dashboard.pk, dashboard.items.first().pk, "csv"],
        ),
    ):
        assert client.get(url).status_code == 403
    assert client.get(reverse("dashboards:add")).status_code in (302, 403)


def test_panel_data_downloads_as_csv_and_xlsx(client, head, institute):
    client.force_login(head)
    dashboard = default_dashboard()
    item = dashboard.items.get(title="Attendance by department")
    url = reverse("dashboards_view:panel_data", args=[dashboard.pk, item.pk, "csv"])
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [
        "Department",
        "Attendance by department (%)",
        "Counted",
        "Out of",
    ]
    assert [r[0] for r in rows[1:]] == ["CST", "EEE", "Total"]
    assert rows[-1][3] == "20"
    xlsx = client.get(url[: -len("csv")] + "xlsx")
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    sheet = book.active
    assert [c.value for c in sheet[1]][:2] == [
        "Department",
        "Attendance by department (%)",
    ]
    assert client.get(url[: -len("csv")] + "exe").status_code == 404


def test_downloads_escape_formulas(client, head):
    from tests.factories import TeacherFactory

    TeacherFactory(department=DepartmentFactory(code="BAD"))
    dashboard = Dashboard.objects.create(name="Mine", owner=head)
    item = DashboardItem.objects.create(
        dashboard=dashboard,
        metric="teachers",
        group_by="department",
        display="bar",
        title="=HYPERLINK(1)",
    )
    client.force_login(head)
    url = reverse("dashboards_view:panel_data", args=[dashboard.pk, item.pk, "csv"])
    body = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][1] == "'=HYPERLINK(1)"
    assert rows[1] == ["BAD", "1"]


def test_personal_dashboards_are_private(client, institute):
    first = services.registrar_set_departments(
        user=UserFactory(role=Role.REGISTRAR), departments=[], all_departments=True
    )
    second = services.registrar_set_departments(
        user=UserFactory(role=Role.REGISTRAR), departments=[], all_departments=True
    )
    mine = Dashboard.objects.create(name="First's", owner=first)
    client.force_login(second)
    assert (
        client.get(reverse("dashboards_view:show", args=[mine.pk])).status_code == 403
    )
    assert client.get(reverse("dashboards:edit", args=[mine.pk])).status_code == 404
    shipped = default_dashboard()
    assert client.get(reverse("dashboards:edit", args=[shipped.pk])).status_code == 404
    assert (
        client.get(reverse("dashboards_view:show", args=[shipped.pk])).status_code
        == 200
    )


def _item_form(prefix: str, n: int, **fields) -> dict:
    data = {
        f"{prefix}-{n}-metric": "",
        f"{prefix}-{n}-title": "",
        f"{prefix}-{n}-display": "card",
        f"{prefix}-{n}-group_by": "",
        f"{prefix}-{n}-window": "",
        f"{prefix}-{n}-width": "small",
        f"{prefix}-{n}-department": "",
        f"{prefix}-{n}-session": "",
        f"{prefix}-{n}-semester": "",
        f"{prefix}-{n}-shift": "",
        f"{prefix}-{n}-exam_type": "",
        f"{prefix}-{n}-ORDER": str(n + 1),
        f"{prefix}-{n}-DELETE": "",
        f"{prefix}-{n}-id": "",
    }
    data.update({f"{prefix}-{n}-{k}": v for k, v in fields.items()})
    return data


def _dashboard_form(name: str, items: list[dict], **extra) -> dict:
    data = {
        "name": name,
        "description": "",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for n, item in enumerate(items):
        data.update(_item_form("items", n, **item))
    return data


def test_a_registrar_composes_a_personal_dashboard(client, institute):
    from django.contrib.auth.models import Group

    registrar = services.registrar_set_departments(
        user=UserFactory(role=Role.REGISTRAR),
        departments=[institute["cse"]],
        all_departments=False,
    )
    group = Group.objects.create(name="Everyone")
    client.force_login(registrar)
    response = client.post(
        reverse("dashboards:add"),
        _dashboard_form(
            "My department",
            [
                {"metric": "active_students", "display": "bar", "group_by": "semester"},
                {"metric": "attendance_rate", "window": "this_week"},
            ],
            shared_with=[group.pk],
            is_default="on",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    dashboard = Dashboard.objects.get(name="My department")
    assert dashboard.owner == registrar
    assert not dashboard.is_default
    assert not dashboard.shared_with.exists()
    assert [i.metric for i in dashboard.items.all()] == [
        "active_students",
        "attendance_rate",
    ]
    page = client.get(reverse("dashboards_view:show", args=[dashboard.pk]))
    panels = page.context["panels"]
    assert panels[0].total == 3  # their department's students only
    assert panels[1].subtitle.startswith("This week")


def test_an_impossible_item_is_refused_with_reasons(client, head):
    client.force_login(head)
    response = client.post(
        reverse("dashboards:add"),
        _dashboard_form(
            "Broken",
            [
                {"metric": "teachers", "display": "line", "group_by": "subject"},
                {"metric": "students", "window": "this_week"},
            ],
        ),
    )
    assert response.status_code == 200
    assert not Dashboard.objects.filter(name="Broken").exists()
    html = response.content.decode()
    assert "can be grouped by" in html
    assert "is not dated" in html


def test_the_head_shares_a_dashboard_with_a_group(client, head, make_user):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Deans")
    client.force_login(head)
    response = client.post(
        reverse("dashboards:add"),
        _dashboard_form(
            "Deans' view",
            [{"metric": "students", "group_by": "status"}],
            shared_with=[group.pk],
        ),
    )
    assert response.status_code == 302
    dashboard = Dashboard.objects.get(name="Deans' view")
    assert list(dashboard.shared_with.all()) == [group]
    registrar = make_user(Role.REGISTRAR)
    client.force_login(registrar)
    url = reverse("dashboards_view:show", args=[dashboard.pk])
    # The head's dashboards are visible to the groups they share them with.
    assert dashboard.owner == head
    assert client.get(url).status_code == 403
    registrar.groups.add(group)
    assert client.get(url).status_code == 200


def test_students_at_risk_link_to_the_filtered_student_listing(client, head, institute):
    from dashboards import metrics

    client.force_login(head)
    figure = metrics.get_metric("at_risk_students").compute(
        metrics.Context(user=head, filters=metrics.Filters()), "department"
    )
    assert figure.value == sum(r.value for r in figure.rows) > 0
    for row in figure.rows:
        query = parse_qs(urlparse(row.url).query)
        assert query["at_risk"] == ["true"]
        assert listing_count(client, row.url) == row.value


def test_the_admin_home_shows_the_default_dashboards_cards(client, head, institute):
    client.force_login(head)
    response = client.get(reverse("wagtailadmin_home"))
    html = response.content.decode()
    assert f'data-key-figures="{default_dashboard().pk}"' in html
    assert "Students by status" in html
    assert "dashboards/css/dashboard.css" in html
    # Charts stay on the dashboard itself.
    assert "Attendance by subject" not in html


def test_the_admin_home_has_no_key_figures_for_a_teacher(client, active_teacher):
    client.force_login(active_teacher)
    response = client.get(reverse("wagtailadmin_home"))
    assert "data-key-figures" not in response.content.decode()


def test_a_chart_of_many_bars_shows_the_lowest_rates_and_downloads_all(client, head):
    from dashboards import views

    session = AcademicSessionFactory(is_current=True)
    department = DepartmentFactory()
    student = StudentFactory(department=department, session=session, semester=1)
    subjects = [
        SubjectFactory(department=department, semester=1)
        for _ in range(views.MAX_CHART_ROWS + 5)
    ]
    for n, subject in enumerate(subjects):
        for day in range(4):
            AttendanceRecord.objects.create(
                student=student,
                subject=subject,
                semester=1,
                date=date.today() - timedelta(days=day),
                is_present=day < (n % 4) + 1,
            )
    call_command("rebuild_summaries", verbosity=0)
    dashboard = Dashboard.objects.create(name="Subjects", owner=head)
    item = DashboardItem.objects.create(
        dashboard=dashboard,
        metric="attendance_rate",
        group_by="subject",
        display="hbar",
        width="large",
    )
    client.force_login(head)
    response = client.get(reverse("dashboards_view:show", args=[dashboard.pk]))
    (panel,) = response.context["panels"]
    assert len(panel.rows) == views.MAX_CHART_ROWS
    values = [row.value for row in panel.rows]
    assert values == sorted(values)
    assert values[0] == Decimal("25.0")
    assert f"of {len(subjects)}" in panel.note
    url = reverse("dashboards_view:panel_data", args=[dashboard.pk, item.pk, "csv"])
    body = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == len(subjects) + 2


def test_imports_figure_links_to_the_filtered_imports_listing(client, head, registrar):
    from django.utils import timezone

    from dashboards import metrics
    from records.models import ImportBatch, ImportStatus

    now = timezone.now()
    for user, status, days in (
        (head, ImportStatus.IMPORTED, 1),
        (head, ImportStatus.IMPORTED, 20),
        (registrar, ImportStatus.HAS_ERRORS, 2),
        (registrar, ImportStatus.IMPORTED, 3),
    ):
        batch = ImportBatch.objects.create(
            record_type="students",
            original_name="students.xlsx",
            created_by=user,
            status=status,
        )
        ImportBatch.objects.filter(pk=batch.pk).update(
            created_at=now - timedelta(days=days)
        )
    imports = metrics.get_metric("imports")
    week = metrics.window_filters("last_7_days")
    for user, expected in (
        (head, {"imported": 2, "has_errors": 1}),
        (registrar, {"imported": 1, "has_errors": 1}),
    ):
        figure = imports.compute(metrics.Context(user=user, filters=week), "status")
        assert {r.key: r.value for r in figure.rows} == expected
        client.force_login(user)
        for row in figure.rows:
            assert listing_count(client, row.url) == row.value
        assert listing_count(client, figure.url) == figure.value
