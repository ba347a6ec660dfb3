"""Time windows of dashboard items: "this semester" is half of the current session."""

from datetime import date

import pytest

from dashboards.metrics import Filters, semester_bounds, window_filters
from tests.factories import AcademicSessionFactory

JULY_SESSION = (date(2026, 7, 1), date(2027, 6, 30))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 7, 1), (date(2026, 7, 1), date(2026, 12, 31))),
        (date(2026, 11, 24), (date(2026, 7, 1), date(2026, 12, 31))),
        (date(2026, 12, 31), (date(2026, 7, 1), date(2026, 12, 31))),
        (date(2027, 1, 1), (date(2027, 1, 1), date(2027, 6, 30))),
        (date(2027, 6, 30), (date(2027, 1, 1), date(2027, 6, 30))),
        # Outside the session: its nearest semester.
        (date(2026, 6, 1), (date(2026, 7, 1), date(2026, 12, 31))),
        (date(2027, 8, 1), (date(2027, 1, 1), date(2027, 6, 30))),
    ],
)
def test_a_july_session_has_two_semesters_of_six_months(today, expected):
    assert semester_bounds(*JULY_SESSION, today) == expected


def test_a_session_starting_late_in_a_month_keeps_whole_days():
    # 31 August + 6 months is the end of February: the second semester starts then.
    assert semester_bounds(date(2026, 8, 31), date(2027, 8, 30), date(2027, 3, 1)) == (
        date(2027, 2, 28),
        date(2027, 8, 30),
    )


@pytest.mark.django_db
def test_the_current_semester_window_reads_the_current_session():
    AcademicSessionFactory(
        name="2026-27",
        start_date=JULY_SESSION[0],
        end_date=JULY_SESSION[1],
        is_current=True,
    )
    assert window_filters("current_semester", date(2027, 2, 10)) == Filters(
        date_from=date(2027, 1, 1), date_to=date(2027, 6, 30)
    )


@pytest.mark.django_db
def test_without_a_current_session_the_window_is_open():
    assert window_filters("current_semester", date(2027, 2, 10)) == Filters()


@pytest.mark.django_db
def test_the_shipped_overview_shows_attendance_this_week_and_this_semester():
    from dashboards.models import DashboardItem

    windows = set(
        DashboardItem.objects.filter(
            dashboard__owner__isnull=True, metric="attendance_rate", display="card"
        ).values_list("title", "window")
    )
    assert windows == {
        ("Attendance this week", "this_week"),
        ("Attendance this semester", "current_semester"),
    }
