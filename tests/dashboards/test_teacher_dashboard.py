"""The teacher's home page: today's classes, attendance not taken, low attendance,
marks not entered, for the classes the policy gives the user and no others.

"Now" is fixed (Tuesday 11 March 2025, 11:00 in the institute's time zone) and
passed to the selectors; the records are built through the real services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboards.teacher import teacher_dashboard
from dashboards.views_teacher import TeacherDashboardPanel
from dashboards.wagtail_hooks import add_teacher_dashboard_panel
from records import services
from records.models import AcademicSession, ExamType, Shift, User, Weekday
from records.roles import AccountStatus, Role
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    TeacherFactory,
    UserFactory,
)

TODAY = date(2025, 3, 11)  # a Tuesday
NOW = timezone.make_aware(datetime(2025, 3, 11, 11, 0))
LAST_TUESDAY = date(2025, 3, 4)
LAST_SUNDAY = date(2025, 3, 9)
SUNDAY_BEFORE = date(2025, 3, 2)
OLD_TUESDAY = date(2025, 2, 25)  # in the session, outside the 14-day window
BEFORE_SESSION = date(2024, 6, 30)  # a Sunday before the session starts


def sheet(routine, day):
    url = reverse("attendance_sheet:sheet", args=[routine.pk])
    return f"{url}?date={day.isoformat()}"


def listing(routine):
    query = {
        "subject": routine.subject_id,
        "department": routine.department_id,
        "semester": routine.semester,
        "shift": routine.shift,
        "session": routine.session_id,
    }
    return f"/admin/attendance/?{urlencode(query)}"


def grid(routine, exam_type):
    query = {
        "subject": routine.subject_id,
        "exam_type": exam_type,
        "shift": routine.shift,
        "session": routine.session_id,
    }
    return f"/admin/marks-entry/?{urlencode(query)}"


@dataclass
class Institute:
    session: object
    old_session: object
    user: object  # the teacher's account
    other_user: object  # another teacher of the same class group
    captain: object
    students: list
    tue_0900: object  # CST-301, taken today, not last Tuesday
    tue_1000: object  # CST-302, not taken today (started), taken last Tuesday
    tue_1200: object  # CST-304, not started yet today, taken last Tuesday
    sun_1000: object  # CST-303, taken 2 March, not 9 March
    others_slot: object  # CST-305, the other teacher's, Tuesday 11:00
    old_slot: object  # the teacher's slot in an old session


def take(routine, day, students, *, absent=0):
    """The sheet of one sitting, saved through the service: ``absent`` absentees."""
    services.attendance_sheet_save(
        routine=routine,
        day=day,
        present={s.pk: n >= absent for n, s in enumerate(students)},
    )


def enter_marks(routine, exam_type, students):
    services.marks_grid_save(
        subject=routine.subject,
        exam_type=exam_type,
        shift=routine.shift,
        session=routine.session,
        total_marks=Decimal(100),
        entries={s.pk: "60" for s in students},
    )


@pytest.fixture
def institute(db) -> Institute:
    session = AcademicSessionFactory(
        name="2024-25",
        start_date=date(2024, 7, 1),
        end_date=date(2025, 6, 30),
        is_current=True,
    )
    old_session = AcademicSessionFactory(
        name="2023-24", start_date=date(2023, 7, 1), end_date=date(2024, 6, 29)
    )
    cst = DepartmentFactory(code="CST", name="Computer Science")
    user = UserFactory(
        role=Role.TEACHER, username="t_rahman", account_status=AccountStatus.ACTIVE
    )
    other_user = UserFactory(
        role=Role.TEACHER, username="t_other", account_status=AccountStatus.ACTIVE
    )
    teacher = TeacherFactory(full_name_english="Rahman", department=cst, user=user)
    other = TeacherFactory(full_name_english="Other", department=cst, user=other_user)
    subjects = {
        code: SubjectFactory(
            code=f"CST-{code}", name=f"Subject {code}", department=cst, semester=3
        )
        for code in (301, 302, 303, 304, 305)
    }

    def slot(code, day, hour, who=teacher, sess=session):
        return ClassRoutineFactory(
            subject=subjects[code],
            session=sess,
            shift=Shift.MORNING,
            day_of_week=day,
            start_time=time(hour, 0),
            end_time=time(hour, 45),
            teacher=who,
            room_number=f"R-{code}-{sess.name}",
        )

    tue_0900 = slot(301, Weekday.TUESDAY, 9)
    tue_1000 = slot(302, Weekday.TUESDAY, 10)
    tue_1200 = slot(304, Weekday.TUESDAY, 12)
    sun_1000 = slot(303, Weekday.SUNDAY, 10)
    others_slot = slot(305, Weekday.TUESDAY, 11, who=other)
    old_slot = slot(301, Weekday.TUESDAY, 9, sess=old_session)

    students = StudentFactory.create_batch(
        4, department=cst, semester=3, shift=Shift.MORNING, session=session
    )
    # Another shift's students of the same subjects count in no class of the teacher.
    StudentFactory(department=cst, semester=3, shift=Shift.DAY, session=session)
    captain_user = UserFactory(role=Role.STUDENT, username="captain3")
    services.captain_appoint(
        student=StudentFactory(
            department=cst,
            semester=3,
            shift=Shift.MORNING,
            session=session,
            user=captain_user,
        )
    )
    captain_user.refresh_from_db()
    group = [*students]
    captain_student = captain_user.student_profile
    group.append(captain_student)

    # Attendance: CST-301 100% today and 1 of 5 on 25 Feb -> 6/10 = 60% (low);
    # CST-302 100%; CST-304 2 of 5 -> 40% (low); CST-303 4 of 5 on 2 March -> 80%,
    # plus a sheet before the session starts that must not count.
    take(tue_0900, TODAY, group)
    take(tue_0900, OLD_TUESDAY, group, absent=4)
    take(tue_1000, LAST_TUESDAY, group)
    take(tue_1200, LAST_TUESDAY, group, absent=3)
    take(sun_1000, SUNDAY_BEFORE, group, absent=1)
    take(sun_1000, BEFORE_SESSION, group, absent=5)

    # Marks: everything entered except CST-301's final (2 of 5 entered) and
    # assignment (none entered).
    for routine in (tue_1000, tue_1200, sun_1000, others_slot):
        for exam_type in ExamType.values:
            enter_marks(routine, exam_type, group)
    enter_marks(tue_0900, ExamType.MIDTERM, group)
    enter_marks(tue_0900, ExamType.PRACTICAL, group)
    enter_marks(tue_0900, ExamType.FINAL, group[:2])

    return Institute(
        session=session,
        old_session=old_session,
        user=user,
        other_user=other_user,
        captain=captain_user,
        students=group,
        tue_0900=tue_0900,
        tue_1000=tue_1000,
        tue_1200=tue_1200,
        sun_1000=sun_1000,
        others_slot=others_slot,
        old_slot=old_slot,
    )


def soup_of(html):
    return BeautifulSoup(html, "html.parser")


def render_panel(user, now=NOW):
    return soup_of(TeacherDashboardPanel(user, now=now).render_html())


def section(page, name):
    return page.select_one(f'[data-section="{name}"]')


def links(node):
    return [a["href"] for a in node.select("tbody a")]


# --- The selectors ---------------------------------------------------------------------


def test_todays_classes_are_the_users_slots_on_todays_weekday_by_start_time(
    institute,
):
    dashboard = teacher_dashboard(user=institute.user, now=NOW)

    assert dashboard.today == TODAY
    assert [(s.routine, s.day, s.taken) for s in dashboard.today_classes] == [
        (institute.tue_0900, TODAY, True),
        (institute.tue_1000, TODAY, False),
        (institute.tue_1200, TODAY, False),
    ]
    assert [s.sheet_url for s in dashboard.today_classes] == [
        sheet(institute.tue_0900, TODAY),
        sheet(institute.tue_1000, TODAY),
        sheet(institute.tue_1200, TODAY),
    ]
    first = dashboard.today_classes[0]
    assert first.group_label == "CST 3rd semester Morning"
    assert first.routine.room_number == "R-301-2024-25"


def test_attendance_not_taken_lists_past_sittings_of_two_weeks_newest_first(
    institute,
):
    dashboard = teacher_dashboard(user=institute.user, now=NOW)

    # CST-304 (12:00) has not started yet; 25 February is outside the window.
    assert [(s.routine, s.day) for s in dashboard.attendance_missing] == [
        (institute.tue_1000, TODAY),
        (institute.sun_1000, LAST_SUNDAY),
        (institute.tue_0900, LAST_TUESDAY),
    ]
    assert [s.sheet_url for s in dashboard.attendance_missing] == [
        sheet(institute.tue_1000, TODAY),
        sheet(institute.sun_1000, LAST_SUNDAY),
        sheet(institute.tue_0900, LAST_TUESDAY),
    ]


def test_todays_sitting_counts_as_missing_once_the_class_has_started(institute):
    at_noon = timezone.make_aware(datetime(2025, 3, 11, 12, 0))

    missing = teacher_dashboard(user=institute.user, now=at_noon).attendance_missing

    assert (institute.tue_1200, TODAY) in [(s.routine, s.day) for s in missing]


def test_sittings_before_the_session_starts_are_not_missing(institute):
    # Tuesday 2 July 2024: the session started on 1 July, so of the last two
    # weeks only today's sittings count (not 25 June, nor the Sundays before).
    early = timezone.make_aware(datetime(2024, 7, 2, 11, 0))

    missing = teacher_dashboard(user=institute.user, now=early).attendance_missing

    assert [(s.routine, s.day) for s in missing] == [
        (institute.tue_1000, date(2024, 7, 2)),
        (institute.tue_0900, date(2024, 7, 2)),
    ]


def test_on_a_friday_there_are_no_classes_and_the_weeks_sittings_are_due(
    institute,
):
    # Friday 14 March: no classes; all of Tuesday's sittings have now started.
    friday = timezone.make_aware(datetime(2025, 3, 14, 9, 0))

    dashboard = teacher_dashboard(user=institute.user, now=friday)

    assert dashboard.today_classes == []
    assert [(s.routine, s.day) for s in dashboard.attendance_missing] == [
        (institute.tue_1200, TODAY),
        (institute.tue_1000, TODAY),
        (institute.sun_1000, LAST_SUNDAY),
        (institute.tue_0900, LAST_TUESDAY),
    ]


def test_low_attendance_lists_classes_below_the_threshold_lowest_first(institute):
    dashboard = teacher_dashboard(user=institute.user, now=NOW)

    assert dashboard.threshold == Decimal(75)
    assert [
        (c.routine.subject.code, c.present, c.total, c.rate)
        for c in dashboard.low_attendance
    ] == [
        ("CST-304", 2, 5, Decimal("40.00")),
        ("CST-301", 6, 10, Decimal("60.00")),
    ]
    assert [c.listing_url for c in dashboard.low_attendance] == [
        listing(institute.tue_1200),
        listing(institute.tue_0900),
    ]


def test_the_threshold_comes_from_the_setting(institute, settings):
    settings.CAMPUSDESK_AT_RISK_ATTENDANCE = 81

    low = teacher_dashboard(user=institute.user, now=NOW).low_attendance

    # CST-303 is at 80% (the sheet before the session does not count).
    assert [c.routine.subject.code for c in low] == ["CST-304", "CST-301", "CST-303"]


def test_the_listing_link_opens_the_classs_records(institute, client, password):
    assert client.login(username=institute.user.username, password=password)

    response = client.get(listing(institute.tue_1200))

    assert response.status_code == 200
    # Five students, one sitting of CST-304 in the morning class group.
    rows = soup_of(response.content.decode()).select("table.listing tbody tr")
    assert len(rows) == 5


def test_marks_not_entered_lists_each_exam_with_students_missing(institute):
    dashboard = teacher_dashboard(user=institute.user, now=NOW)

    assert [
        (m.routine.subject.code, m.exam_type, m.missing, m.students)
        for m in dashboard.marks_missing
    ] == [
        ("CST-301", ExamType.FINAL, 3, 5),
        ("CST-301", ExamType.ASSIGNMENT, 5, 5),
    ]
    assert [m.grid_url for m in dashboard.marks_missing] == [
        grid(institute.tue_0900, ExamType.FINAL),
        grid(institute.tue_0900, ExamType.ASSIGNMENT),
    ]


def test_a_teacher_sees_nothing_of_another_teachers_classes(institute):
    mine = teacher_dashboard(user=institute.user, now=NOW)
    theirs = teacher_dashboard(user=institute.other_user, now=NOW)

    def routines(dashboard):
        return {
            *(s.routine for s in dashboard.today_classes),
            *(s.routine for s in dashboard.attendance_missing),
            *(c.routine for c in dashboard.low_attendance),
            *(m.routine for m in dashboard.marks_missing),
        }

    assert institute.others_slot not in routines(mine)
    assert institute.old_slot not in routines(mine)
    assert [s.routine for s in theirs.today_classes] == [institute.others_slot]
    assert [(s.routine, s.day) for s in theirs.attendance_missing] == [
        (institute.others_slot, TODAY),
        (institute.others_slot, LAST_TUESDAY),
    ]
    assert theirs.low_attendance == []  # no attendance taken, so no rate
    assert theirs.marks_missing == []


def test_a_captain_gets_the_attendance_sections_of_their_class_group(institute):
    dashboard = teacher_dashboard(user=institute.captain, now=NOW)

    assert [s.routine for s in dashboard.today_classes] == [
        institute.tue_0900,
        institute.tue_1000,
        institute.others_slot,
        institute.tue_1200,
    ]
    assert not dashboard.shows_low_attendance
    assert dashboard.low_attendance == []
    assert not dashboard.shows_marks
    assert dashboard.marks_missing == []


def test_no_current_session_means_no_classes(institute):
    # There is no service to unset the current session (one is always set in
    # practice); the dashboard must still cope.
    AcademicSession.objects.filter(pk=institute.session.pk).update(is_current=False)

    dashboard = teacher_dashboard(user=institute.user, now=NOW)

    assert dashboard.session is None
    assert dashboard.today_classes == []
    assert dashboard.attendance_missing == []
    assert dashboard.low_attendance == []
    assert dashboard.marks_missing == []
    assert "No academic session is marked as the current one" in (
        render_panel(institute.user).get_text()
    )


# --- Query count -------------------------------------------------------------------------


def _fresh(user):
    """The user as a new request loads it: no cached scope or permissions."""
    return User.objects.get(pk=user.pk)


def _count_queries(user) -> int:
    user = _fresh(user)
    with CaptureQueriesContext(connection) as queries:
        teacher_dashboard(user=user, now=NOW)
    return len(queries)


def test_the_query_count_does_not_grow_with_the_number_of_classes(
    institute, django_assert_max_num_queries
):
    # The first call of a process fills Django's content-type cache; after that
    # a request pays only for its own queries.
    _count_queries(institute.user)
    before = _count_queries(institute.user)
    teacher = institute.user.teacher_profile
    for hour in (13, 14, 15):
        subject = SubjectFactory(department=teacher.department, semester=3)
        for day in (Weekday.SUNDAY, Weekday.TUESDAY, Weekday.WEDNESDAY):
            ClassRoutineFactory(
                subject=subject,
                session=institute.session,
                day_of_week=day,
                start_time=time(hour, 0),
                end_time=time(hour, 45),
                teacher=teacher,
            )

    assert _count_queries(institute.user) == before
    user = _fresh(institute.user)
    with django_assert_max_num_queries(15):
        dashboard = teacher_dashboard(user=user, now=NOW)
    assert len(dashboard.today_classes) == 6


# --- The panel and who gets it ------------------------------------------------------------


def test_the_panel_lists_each_section_with_its_links(institute):
    page = render_panel(institute.user)

    assert page.select_one("#teacher-dashboard-section h2").get_text(strip=True) == (
        "Your classes"
    )
    headings = [h.get_text(strip=True) for h in page.select("section h3")]
    assert headings == [
        "Today's classes",
        "Attendance not yet taken",
        "Classes with low attendance",
        "Marks not yet entered",
    ]
    for name in ("today", "attendance-missing", "low-attendance", "marks-missing"):
        table = section(page, name).select_one("table")
        assert table.caption.get_text(strip=True)
        assert table.select("thead th[scope=col]")

    today = section(page, "today")
    assert [tr["data-taken"] for tr in today.select("tbody tr")] == ["yes", "no", "no"]
    assert links(today) == [
        sheet(institute.tue_0900, TODAY),
        sheet(institute.tue_1000, TODAY),
        sheet(institute.tue_1200, TODAY),
    ]
    assert "09:00–09:45" in today.get_text()
    assert "CST-301 Subject 301" in today.get_text()
    assert "R-301-2024-25" in today.get_text()
    assert links(section(page, "attendance-missing")) == [
        sheet(institute.tue_1000, TODAY),
        sheet(institute.sun_1000, LAST_SUNDAY),
        sheet(institute.tue_0900, LAST_TUESDAY),
    ]
    low = section(page, "low-attendance")
    assert [tr["data-rate"] for tr in low.select("tbody tr")] == ["40.00", "60.00"]
    assert links(low) == [listing(institute.tue_1200), listing(institute.tue_0900)]
    marks = section(page, "marks-missing")
    # One row per class, its exams listed in it.
    assert [tr["data-subject"] for tr in marks.select("tbody tr")] == [
        str(institute.tue_0900.subject_id)
    ]
    assert [(li["data-exam"], li["data-missing"]) for li in marks.select("li")] == [
        ("final", "3"),
        ("assignment", "5"),
    ]
    assert links(marks) == [
        grid(institute.tue_0900, ExamType.FINAL),
        grid(institute.tue_0900, ExamType.ASSIGNMENT),
    ]
    assert "Final: 3 of 5 students" in marks.get_text()


def test_the_panel_says_so_when_there_is_nothing_to_do(institute):
    # The other teacher's one class: marks all entered (the fixture), and now
    # both sittings of the last two weeks taken with everyone present.
    take(institute.others_slot, TODAY, institute.students)
    take(institute.others_slot, LAST_TUESDAY, institute.students)

    page = render_panel(institute.other_user)

    assert links(section(page, "today")) == [sheet(institute.others_slot, TODAY)]
    expected = {
        "attendance-missing": "Attendance is taken for every class of the last two "
        "weeks.",
        "low-attendance": "No class of yours is below 75% attendance.",
        "marks-missing": "Marks of every exam are entered for all your students.",
    }
    for name, message in expected.items():
        assert section(page, name).select_one("table") is None
        assert message in " ".join(section(page, name).get_text().split())


def test_on_a_day_without_classes_the_panel_says_so(institute):
    friday = timezone.make_aware(datetime(2025, 3, 14, 9, 0))

    today = section(render_panel(institute.user, now=friday), "today")

    assert today.select_one("table") is None
    assert "You have no classes today." in today.get_text()


def test_the_admin_home_shows_the_panel_to_a_teacher(institute, client, password):
    assert client.login(username=institute.user.username, password=password)

    page = soup_of(client.get(reverse("wagtailadmin_home")).content.decode())

    assert page.select_one("#teacher-dashboard-section") is not None


def test_the_admin_home_has_no_teacher_panel_for_a_registrar(
    institute, registrar, client, password
):
    assert client.login(username=registrar.username, password=password)

    response = client.get(reverse("wagtailadmin_home"))

    assert response.status_code == 200
    assert (
        soup_of(response.content.decode()).select_one("#teacher-dashboard-section")
        is None
    )


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.INSTITUTE_HEAD, Role.STUDENT])
def test_the_hook_adds_no_panel_for_other_roles(db, make_user, role):
    request = RequestFactory().get("/admin/")
    request.user = make_user(role)
    panels = []

    add_teacher_dashboard_panel(request, panels)

    assert panels == []


def test_the_hook_adds_the_panel_for_a_teacher(institute):
    request = RequestFactory().get("/admin/")
    request.user = institute.user
    panels = []

    add_teacher_dashboard_panel(request, panels)

    assert [type(p) for p in panels] == [TeacherDashboardPanel]


# --- My classes ---------------------------------------------------------------------------


def test_my_classes_page_shows_the_dashboard_and_a_menu_item(
    institute, client, password
):
    assert client.login(username=institute.user.username, password=password)

    response = client.get("/admin/my-classes/")

    assert response.status_code == 200
    page = soup_of(response.content.decode())
    assert page.select_one("#teacher-dashboard-section") is not None
    assert reverse("dashboards_my_classes") == "/admin/my-classes/"
    assert b"/admin/my-classes/" in client.get(reverse("wagtailadmin_home")).content


def test_my_classes_page_is_refused_to_a_registrar(registrar, client, password):
    assert client.login(username=registrar.username, password=password)

    response = client.get("/admin/my-classes/")

    assert response.status_code == 403
