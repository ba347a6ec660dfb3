"""A registrar takes attendance in a real browser."""

import pytest
from django.urls import reverse
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
def test_registrar_takes_attendance_with_one_student_absent(
    live_server, page, make_user, password
):
    registrar = make_user(Role.REGISTRAR, username="registrar")
    services.registrar_set_departments(
        user=registrar, departments=[], all_departments=True
    )
    session = AcademicSessionFactory(is_current=True)
    department = DepartmentFactory(code="CST", name="Computer Science")
    subject = SubjectFactory(
        code="CST-301", name="Programming", department=department, semester=3
    )
    routine = ClassRoutineFactory(
        subject=subject, session=session, day_of_week=Weekday.SUNDAY
    )
    students = StudentFactory.create_batch(
        4, department=department, semester=3, shift=routine.shift, session=session
    )
    absent = students[2]
    day = last_weekday(Weekday.SUNDAY)

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "registrar")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}{reverse('attendance_sheet:index')}")
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
    # The sheet re-opens on the stored values.
    expect(page.locator(f"#status-{absent.pk}-absent")).to_be_checked()
