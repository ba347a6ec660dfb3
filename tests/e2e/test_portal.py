"""A class captain takes attendance in the portal, in a real browser."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from records import services
from records.models import AttendanceRecord, Weekday
from records.roles import Role
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    last_weekday,
)

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_captain_takes_attendance_with_one_student_absent(live_server, page, password):
    session = AcademicSessionFactory(is_current=True)
    department = DepartmentFactory(code="CST", name="Computer Science")
    subject = SubjectFactory(
        code="CST-301", name="Programming", department=department, semester=3
    )
    # A class today when today is a class day, else last Sunday's.
    weekday = Weekday.of(timezone.localdate())
    routine = ClassRoutineFactory(
        subject=subject,
        session=session,
        day_of_week=Weekday.SUNDAY if weekday is None else weekday,
    )
    group = {
        "department": department,
        "semester": 3,
        "shift": routine.shift,
        "session": session,
    }
    classmates = StudentFactory.create_batch(3, **group)
    user = services.user_create(
        username="captain", password=password, role=Role.STUDENT
    )
    captain = StudentFactory(user=user, full_name_english="Rafiq Captain", **group)
    services.captain_appoint(student=captain)
    absent = classmates[1]
    day = last_weekday(routine.day_of_week)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "captain")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/profile/")

    page.get_by_role("link", name="Take attendance").first.click()
    expect(page.get_by_role("heading", name="Take attendance")).to_be_visible()
    if day != timezone.localdate():
        page.fill("input[name=date]", day.isoformat())
        page.get_by_role("button", name="Show classes").click()
    page.get_by_role("link", name=f"Take attendance for CST-301 on {day}").click()
    expect(page.get_by_text("4 present, 0 absent")).to_be_visible()
    page.locator(f"label[for='status-{absent.pk}-absent']").click()
    expect(page.get_by_text("3 present, 1 absent")).to_be_visible()
    page.get_by_role("button", name="Save attendance").click()

    expect(
        page.get_by_text(
            f"Saved attendance for CST 3rd semester Morning, CST-301, {day}: "
            "3 present, 1 absent (4 new, 0 changed)."
        )
    ).to_be_visible()
    records = AttendanceRecord.objects.filter(subject=subject, date=day)
    assert records.count() == 4
    assert list(records.filter(is_present=False).values_list("student", flat=True)) == [
        absent.pk
    ]
    expect(page.locator(f"#status-{absent.pk}-absent")).to_be_checked()
