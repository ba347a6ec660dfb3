"""Seed 000 §9: dashboard and analytics endpoints.

Every figure must equal what the metric catalogue (``dashboards.metrics``)
computes for the same viewer and filters, i.e. what the admin dashboard shows
(Properties 21 and 22); who may is the dashboard pages' rule.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dashboards import metrics
from dashboards.models import Dashboard
from dashboards.teacher import teacher_dashboard
from dashboards.views import build_panel
from records import selectors
from records.models import Shift, Weekday
from records.roles import Role
from tests.api.conftest import assert_error
from tests.factories import ClassRoutineFactory, SubjectFactory, UserFactory
from tests.factories.admin import attendance_for, final_mark_for
from workflows import services as flow

STATS = "/api/v1/dashboard/stats/"
ADMIN = "/api/v1/dashboard/admin/"
STUDENT = "/api/v1/dashboard/student/"
TEACHER = "/api/v1/dashboard/teacher/"
TREND = "/api/v1/analytics/admissions-trend/"
DISTRIBUTION = "/api/v1/analytics/department-distribution/"
ATTENDANCE = "/api/v1/analytics/attendance-summary/"
PERFORMANCE = "/api/v1/analytics/performance-metrics/"
HEAD_ENDPOINTS = [STATS, ADMIN, TREND, DISTRIBUTION, ATTENDANCE, PERFORMANCE]


@pytest.fixture(autouse=True)
def shipped_dashboards(db):
    from django.apps import apps
    from django.db import connection

    from dashboards.migrations import _defaults

    _defaults.create(apps, connection.alias)


def _application(n, department, session, submitted_at):
    return flow.admission_submit(
        full_name_english=f"Applicant {n}",
        full_name_bangla="আবেদনকারী",
        father_name="Abdul Karim",
        mother_name="Rokeya Begum",
        date_of_birth=date(2008, 3, 14),
        birth_certificate_no=f"2008123456789{n:04d}",
        gender="female",
        guardian_mobile="01712345678",
        mobile_student=f"0181234{n:04d}",
        email=f"applicant{n}@example.com",
        previous_exam="ssc",
        previous_exam_gpa="4.75",
        desired_department=department,
        desired_shift="morning",
        session=session,
        submitted_at=submitted_at,
    )


@dataclass
class Figures:
    institute: object
    subject_a: object
    subject_b: object
    correction: object


@pytest.fixture
def figures(institute) -> Figures:
    """Attendance, marks, admissions and a correction across both departments."""
    own, rahim = institute.students_a[0], institute.students_a[1]
    bina = institute.students_b[0]
    subject_a = attendance_for(own, present=3, absent=1)
    attendance_for(rahim, present=1, absent=3, subject=subject_a)
    subject_b = attendance_for(bina, present=2, absent=0)
    final_mark_for(own, subject=subject_a, obtained=35)
    final_mark_for(rahim, subject=subject_a, obtained=72)
    final_mark_for(bina, subject=subject_b, obtained=80)
    now = timezone.now()
    _application(1, institute.department_a, institute.session, now)
    _application(2, institute.department_a, institute.session, now - timedelta(40))
    _application(3, institute.department_b, institute.session, now - timedelta(80))
    correction = flow.correction_submit(
        student=own,
        field_name="father_name",
        requested_value="Abdul Karim Mia",
        reason="As on the certificate",
        acting_user=institute.student_user,
    )
    return Figures(institute, subject_a, subject_b, correction)


def expected(user, key, group_by="", **filters):
    """The figure straight from the catalogue (no API code involved)."""
    figure = metrics.get_metric(key).compute(
        metrics.Context(user=user, filters=metrics.Filters(**filters)), group_by
    )
    return {
        "value": _num(figure.value),
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "rows": [
            (
                None
                if r.key is None
                else (r.key.isoformat() if hasattr(r.key, "isoformat") else str(r.key)),
                str(r.label),
                _num(r.value),
            )
            for r in figure.rows
        ],
    }


def _num(value):
    return float(value) if isinstance(value, Decimal) else value


def got(body):
    return {
        "value": body["value"],
        "numerator": body["numerator"],
        "denominator": body["denominator"],
        "rows": [(r["key"], r["label"], r["value"]) for r in body["rows"]],
    }


def ok(response):
    assert response.status_code == 200, response.content
    return response.json()


STAT_FIGURES = [
    ("students", "students", "status"),
    ("active_students", "active_students", ""),
    ("at_risk_students", "at_risk_students", ""),
    ("teachers", "teachers", "status"),
    ("admissions", "admissions", "status"),
    ("corrections", "corrections", "status"),
    ("awaiting", "awaiting", "kind"),
    ("attendance_rate", "attendance_rate", ""),
    ("pass_rate", "pass_rate", ""),
]


# --- Who may ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", HEAD_ENDPOINTS)
def test_head_endpoints_refuse_others(api, institute, url):
    assert_error(api.get(url), 401)
    for user in (institute.teacher, institute.student_user):
        api.force_authenticate(user=user)
        body = assert_error(api.get(url), 403)
        assert "institute head and registrars" in body["details"]
    for user in (institute.head, institute.registrar_a, institute.registrar_all):
        api.force_authenticate(user=user)
        ok(api.get(url))


@pytest.mark.django_db
def test_teacher_and_student_endpoints_refuse_other_roles(api, institute):
    assert_error(api.get(TEACHER), 401)
    assert_error(api.get(STUDENT), 401)
    for user in (institute.head, institute.registrar_a, institute.student_user):
        api.force_authenticate(user=user)
        assert_error(api.get(TEACHER), 403)
    for user in (institute.head, institute.registrar_a, institute.teacher):
        api.force_authenticate(user=user)
        assert_error(api.get(STUDENT), 403)


@pytest.mark.django_db
def test_methods_other_than_get_are_405(api, institute):
    api.force_authenticate(user=institute.head)
    assert_error(api.post(STATS, {}), 405)


@pytest.mark.django_db
def test_an_api_token_acts_as_its_owner(api, institute):
    from records.api_auth import api_token_create

    _token, key = api_token_create(user=institute.registrar_a, name="script")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert ok(api.get(STATS))["departments"] == [institute.department_a.pk]
    _token, key = api_token_create(user=institute.teacher, name="script")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert_error(api.get(STATS), 403)
    assert ok(api.get(TEACHER))["today"]


# --- Figures equal the catalogue's (Property 21) ---------------------------------------


@pytest.mark.django_db
def test_stats_equal_the_metrics(api, figures):
    head = figures.institute.head
    api.force_authenticate(user=head)
    body = ok(api.get(STATS))
    assert body["departments"] is None
    assert body["filters"]["department"] is None
    for field, key, group_by in STAT_FIGURES:
        assert body[field]["metric"] == key
        assert got(body[field]) == expected(head, key, group_by), field
    assert body["students"]["value"] == 6
    assert body["attendance_rate"]["value"] == pytest.approx(60.0)  # 6 of 10
    assert body["attendance_rate"]["numerator"] == 6
    assert body["pass_rate"]["value"] == pytest.approx(66.7)  # 2 of 3
    assert body["admissions"]["value"] == 3
    assert body["corrections"]["value"] == 1


@pytest.mark.django_db
def test_stats_with_every_filter_equal_the_metrics(api, figures):
    inst = figures.institute
    api.force_authenticate(user=inst.head)
    today = timezone.localdate()
    filters = {
        "date_from": today - timedelta(days=60),
        "date_to": today,
        "department": inst.department_a.pk,
        "session": inst.session.pk,
        "semester": 1,
        "shift": Shift.MORNING,
    }
    query = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items()
    }
    body = ok(api.get(STATS, query))
    assert body["filters"]["department"] == inst.department_a.pk
    assert body["filters"]["date_from"] == query["date_from"]
    for field, key, group_by in STAT_FIGURES:
        assert got(body[field]) == expected(inst.head, key, group_by, **filters), field
    # Department A, semester 1, morning: Nusrat and Rahim (Salma is another session).
    assert body["students"]["value"] == 2
    assert body["admissions"]["value"] == 2  # the third is department B's
    # Teachers have no date, session, semester or shift: the answer says so.
    assert body["teachers"]["ignored_filters"] == [
        "date range",
        "session",
        "semester",
        "shift",
    ]


@pytest.mark.django_db
def test_registrar_figures_cover_their_departments(api, figures):
    inst = figures.institute
    api.force_authenticate(user=inst.registrar_a)
    body = ok(api.get(STATS))
    assert body["departments"] == [inst.department_a.pk]
    for field, key, group_by in STAT_FIGURES:
        assert got(body[field]) == expected(inst.registrar_a, key, group_by), field
    assert body["students"]["value"] == 4
    assert body["admissions"]["value"] == 2
    distribution = ok(api.get(DISTRIBUTION))
    assert [r["key"] for r in distribution["students"]["rows"]] == [
        str(inst.department_a.pk)
    ]
    # A department outside their scope is not a choice: 400, as on the page.
    body = assert_error(api.get(STATS, {"department": inst.department_b.pk}), 400)
    assert "department" in body["field_errors"]
    # The institute-wide registrar sees both.
    api.force_authenticate(user=inst.registrar_all)
    assert ok(api.get(STATS))["students"]["value"] == 6


@pytest.mark.django_db
@pytest.mark.parametrize("url", HEAD_ENDPOINTS)
def test_bad_filters_are_400_with_field_errors(api, institute, url):
    api.force_authenticate(user=institute.head)
    body = assert_error(
        api.get(url, {"date_from": "2025-03-10", "date_to": "2025-03-01"}), 400
    )
    assert body["field_errors"] == {
        "date_to": ["The end of the range is before its start."]
    }
    body = assert_error(api.get(url, {"semester": 99, "date_from": "soon"}), 400)
    assert set(body["field_errors"]) == {"semester", "date_from"}
    body = assert_error(api.get(url, {"department": 999999}), 400)
    assert set(body["field_errors"]) == {"department"}


@pytest.mark.django_db
def test_admin_dashboard_equals_the_page_panels(api, figures):
    inst = figures.institute
    api.force_authenticate(user=inst.head)
    query = {"department": inst.department_a.pk}
    body = ok(api.get(ADMIN, query))
    dashboard = Dashboard.objects.get(is_default=True, owner__isnull=True)
    assert body["dashboard"]["id"] == dashboard.pk
    assert dashboard.pk in [d["id"] for d in body["dashboards"]]
    filters = metrics.Filters(department=inst.department_a.pk)
    today = timezone.localdate()
    memo: dict = {}
    panels = [
        p
        for item in dashboard.items.all()
        if (p := build_panel(item, inst.head, filters, today, "", memo)) is not None
    ]
    assert len(body["panels"]) == len(panels) > 10
    for mine, page in zip(body["panels"], panels, strict=True):
        assert mine["item_id"] == page.item_id
        assert mine["title"] == page.title
        assert mine["total"] == _num(page.total)
        assert mine["total_display"] == page.total_display
        assert [(r["label"], r["value"]) for r in mine["rows"]] == [
            (r.label, _num(r.value)) for r in page.rows
        ]
    # The download links carry the filters, as on the page.
    assert f"department={inst.department_a.pk}" in body["panels"][0]["csv_url"]
    # Another dashboard by id; one that is not visible is 404.
    own = Dashboard.objects.create(name="Mine", owner=inst.registrar_a)
    assert_error(api.get(ADMIN, {"dashboard": "x"}), 400)
    assert ok(api.get(ADMIN, {"dashboard": own.pk}))["panels"] == []
    api.force_authenticate(user=inst.registrar_all)
    assert_error(api.get(ADMIN, {"dashboard": own.pk}), 404)
    assert ok(api.get(ADMIN))["dashboard"]["id"] == dashboard.pk


# --- Analytics ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_admissions_trend(api, figures):
    head = figures.institute.head
    api.force_authenticate(user=head)
    body = ok(api.get(TREND))
    assert body["period"] == "month"
    assert got(body["admissions"]) == expected(head, "admissions", "month")
    assert sum(r["value"] for r in body["admissions"]["rows"]) == 3
    today = timezone.localdate()
    query = {"period": "week", "date_from": (today - timedelta(50)).isoformat()}
    body = ok(api.get(TREND, query))
    assert got(body["admissions"]) == expected(
        head, "admissions", "week", date_from=today - timedelta(50)
    )
    assert body["admissions"]["value"] == 2
    week_start = datetime.fromisoformat(body["admissions"]["rows"][0]["key"]).date()
    assert week_start.weekday() == 0
    body = assert_error(api.get(TREND, {"period": "year"}), 400)
    assert set(body["field_errors"]) == {"period"}


@pytest.mark.django_db
def test_department_distribution(api, figures):
    inst = figures.institute
    api.force_authenticate(user=inst.head)
    body = ok(api.get(DISTRIBUTION))
    for key in ("students", "active_students"):
        assert got(body[key]) == expected(inst.head, key, "department")
    rows = {r["key"]: r["value"] for r in body["students"]["rows"]}
    assert rows == {str(inst.department_a.pk): 4, str(inst.department_b.pk): 2}
    active = {r["key"]: r["value"] for r in body["active_students"]["rows"]}
    assert active[str(inst.department_b.pk)] == 1  # the leaver is discontinued
    body = ok(api.get(DISTRIBUTION, {"session": inst.other_session.pk}))
    assert [r["value"] for r in body["students"]["rows"]] == [1]


@pytest.mark.django_db
def test_attendance_summary(api, figures):
    inst = figures.institute
    api.force_authenticate(user=inst.head)
    body = ok(api.get(ATTENDANCE))
    assert body["attendance_rate"]["group_by"] == "department"
    assert got(body["attendance_rate"]) == expected(
        inst.head, "attendance_rate", "department"
    )
    assert got(body["at_risk_students"]) == expected(inst.head, "at_risk_students")
    by_department = {r["key"]: r for r in body["attendance_rate"]["rows"]}
    a = by_department[str(inst.department_a.pk)]
    assert (a["numerator"], a["denominator"], a["value"]) == (4, 8, 50.0)
    # Rahim: 1 of 4, and Nusrat failed a mark: both at risk.
    assert body["at_risk_students"]["value"] == 2
    for group_by in ("subject", "semester", "week"):
        body = ok(api.get(ATTENDANCE, {"group_by": group_by}))
        assert got(body["attendance_rate"]) == expected(
            inst.head, "attendance_rate", group_by
        )
    body = ok(api.get(ATTENDANCE, {"department": inst.department_b.pk}))
    assert body["attendance_rate"]["value"] == 100.0
    body = assert_error(api.get(ATTENDANCE, {"group_by": "band"}), 400)
    assert set(body["field_errors"]) == {"group_by"}


@pytest.mark.django_db
def test_performance_metrics(api, figures):
    inst = figures.institute
    api.force_authenticate(user=inst.head)
    body = ok(api.get(PERFORMANCE))
    assert got(body["pass_rate"]) == expected(inst.head, "pass_rate", "department")
    assert got(body["marks_distribution"]) == expected(inst.head, "marks", "band")
    assert got(body["at_risk_students"]) == expected(inst.head, "at_risk_students")
    assert body["pass_rate"]["value"] == pytest.approx(66.7)
    body = ok(api.get(PERFORMANCE, {"group_by": "exam_type", "exam_type": "final"}))
    assert got(body["pass_rate"]) == expected(
        inst.head, "pass_rate", "exam_type", exam_type="final"
    )
    assert got(body["pass_rate"]) == expected(inst.head, "pass_rate", "exam_type")
    body = ok(api.get(PERFORMANCE, {"exam_type": "midterm"}))
    assert body["pass_rate"]["denominator"] == 0
    assert body["pass_rate"]["value"] is None
    body = assert_error(api.get(PERFORMANCE, {"exam_type": "quiz9"}), 400)
    assert set(body["field_errors"]) == {"exam_type"}


# --- The teacher's dashboard -----------------------------------------------------------


@pytest.mark.django_db
def test_teacher_dashboard_is_the_home_page_data(api, figures):
    inst = figures.institute
    teacher = inst.teacher.teacher_profile
    today = timezone.localdate()
    weekday = Weekday.of(today) or Weekday.SUNDAY
    subject = SubjectFactory(department=inst.department_a, semester=1)
    ClassRoutineFactory(
        subject=subject,
        session=inst.session,
        teacher=teacher,
        day_of_week=weekday,
        start_time=datetime.min.time(),
        end_time=datetime.min.time().replace(hour=0, minute=45),
    )
    api.force_authenticate(user=inst.teacher)
    body = ok(api.get(TEACHER))
    board = teacher_dashboard(user=inst.teacher)
    assert body["today"] == board.today.isoformat()
    assert body["session"] == (
        {"id": board.session.pk, "name": board.session.name} if board.session else None
    )
    assert [
        (s["routine"]["id"], s["date"], s["taken"]) for s in body["today_classes"]
    ] == [(s.routine.pk, s.day.isoformat(), s.taken) for s in board.today_classes]
    assert [(s["routine"]["id"], s["date"]) for s in body["attendance_missing"]] == [
        (s.routine.pk, s.day.isoformat()) for s in board.attendance_missing
    ]
    assert [
        (m["routine"]["id"], m["exam_type"], m["missing"])
        for m in body["marks_missing"]
    ] == [(m.routine.pk, m.exam_type, m.missing) for m in board.marks_missing]
    assert body["marks_missing"], "the class has students without marks"
    assert body["marks_missing"][0]["routine"]["subject"]["code"] == subject.code
    assert len(body["low_attendance"]) == len(board.low_attendance)
    # Property 12: only their own classes (not the routines of attendance_for).
    assert {s["routine"]["subject"]["id"] for s in body["marks_missing"]} == {
        subject.pk
    }


# --- The student's dashboard -----------------------------------------------------------


@pytest.mark.django_db
def test_student_dashboard_is_their_own(api, figures):
    inst = figures.institute
    own = inst.own_student
    api.force_authenticate(user=inst.student_user)
    body = ok(api.get(STUDENT))
    assert body["student"]["id"] == own.pk
    assert body["student"]["department"]["code"] == "APA"
    attendance = body["attendance"]
    assert (attendance["present"], attendance["total"], attendance["rate"]) == (
        3,
        4,
        "75.00",
    )
    summary = selectors.student_attendance_summary(student=own)
    assert [s["average_percentage"] for s in attendance["semesters"]] == [
        str(s.average_percentage) for s in summary
    ]
    [semester] = body["results"]
    [result] = selectors.student_semester_results(student=own)
    assert semester["gpa"] == (str(result.gpa) if result.gpa is not None else None)
    assert semester["subjects"][0]["grade"] == "F"
    assert semester["subjects"][0]["exams"] == [
        {"exam_type": "final", "obtained": "35.00", "total": "100.00"}
    ]
    [pending] = body["pending_corrections"]
    assert pending["id"] == figures.correction.pk
    assert pending["status"] == "pending"
    # Property 12: another student sees only their own (none of Nusrat's).
    other_user = UserFactory(role=Role.STUDENT, username="other_student")
    rahim = inst.students_a[1]
    rahim.user = other_user
    rahim.save(update_fields=["user"])
    api.force_authenticate(user=other_user)
    body = ok(api.get(STUDENT))
    assert body["student"]["id"] == rahim.pk
    assert body["attendance"]["rate"] == "25.00"
    assert body["pending_corrections"] == []
    # A student account with no record yet: 404 that says so.
    api.force_authenticate(user=UserFactory(role=Role.STUDENT, username="no_record"))
    body = assert_error(api.get(STUDENT), 404)
    assert "no student record" in body["details"]


@pytest.mark.django_db
def test_captain_has_the_student_dashboard(api, figures):
    inst = figures.institute
    inst.student_user.role = Role.CAPTAIN
    inst.student_user.save(update_fields=["role"])
    api.force_authenticate(user=inst.student_user)
    assert ok(api.get(STUDENT))["student"]["id"] == inst.own_student.pk
    # Captains also have the teacher's home page data (attendance sections only),
    # as in the admin (``user_has_teacher_dashboard``).
    body = ok(api.get(TEACHER))
    assert body["marks_missing"] == []
    assert body["shows_low_attendance"] is False
