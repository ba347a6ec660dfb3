"""The back-office listings: menus, filters, search, export, constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from records import services
from records.models import Shift, StudentStatus
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    TeacherFactory,
)
from tests.factories.admin import (
    attendance_for,
    document_for,
    final_mark_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def registrar_client(client, registrar):
    client.force_login(registrar)
    return client


VIEWSETS = [
    "students",
    "teachers",
    "alumni",
    "documents",
    "departments",
    "sessions",
    "subjects",
    "routines",
    "attendance",
    "marks",
]


@pytest.mark.parametrize("name", VIEWSETS)
def test_every_listing_opens_for_the_registrar(registrar_client, name):
    response = registrar_client.get(reverse(f"{name}:index"))
    assert response.status_code == 200


def test_menu_groups_and_their_items(registrar_client):
    from wagtail.admin.menu import admin_menu

    response = registrar_client.get(reverse("wagtailadmin_home"))
    request = response.wsgi_request
    items = {item.label: item for item in admin_menu.menu_items_for_request(request)}
    assert {"People", "Academics", "Attendance and marks"} <= set(items)
    people = [i.label for i in items["People"].menu.menu_items_for_request(request)]
    assert people == [
        "Students",
        "Discontinued students",
        "Teachers",
        "Alumni",
        "Documents",
    ]
    academics = items["Academics"].menu.menu_items_for_request(request)
    assert [i.label for i in academics] == [
        "Departments",
        "Sessions",
        "Subjects",
        "Class routine",
    ]
    entry = items["Attendance and marks"].menu.menu_items_for_request(request)
    assert [i.label for i in entry] == [
        "Take attendance",
        "Marks entry",
        "Attendance records",
        "Marks records",
    ]


def test_entry_viewsets_join_the_group_once_they_have_views():
    """A plain ViewSet is a valid group item; its menu links to its first view."""
    from django.urls import path
    from wagtail.admin.viewsets.base import ViewSet

    from records.viewsets import RecordsViewSetGroup

    class WithViews(ViewSet):
        name = "students"  # reuse an existing namespace for reverse()
        menu_label = "With views"

        def get_urlpatterns(self):
            return [path("", lambda request: None, name="index")]

    class WithoutViews(ViewSet):
        name = "nothing_yet"
        menu_label = "Without views"

        def get_urlpatterns(self):
            return []

    class Group(RecordsViewSetGroup):
        menu_label = "Group"
        items = (WithViews, WithoutViews)

    labels = [item.label for item in Group().get_submenu_items()]
    assert labels == ["With views"]


def test_student_filters(registrar_client):
    cst = DepartmentFactory(code="CST", name="Computer")
    civil = DepartmentFactory(code="CT", name="Civil")
    session = AcademicSessionFactory()
    a = StudentFactory(department=cst, session=session, semester=1)
    b = StudentFactory(department=civil, session=session, semester=3, shift=Shift.DAY)
    services.student_discontinue(student=b, reason="Left")
    url = reverse("students:index")

    def listed(params):
        return set(registrar_client.get(url, params).context["object_list"])

    assert listed({"department": cst.pk}) == {a}
    assert listed({"semester": "3"}) == {b}
    assert listed({"shift": "day"}) == {b}
    assert listed({"session": session.pk}) == {a, b}
    assert listed({"status": StudentStatus.DISCONTINUED}) == {b}
    assert listed({"department": cst.pk, "status": "discontinued"}) == set()


def test_student_search_by_either_script_roll_and_mobile(registrar_client):
    rahim = StudentFactory(
        full_name_english="Rahim Uddin",
        full_name_bangla="রহিম উদ্দিন",
        mobile_student="01898765432",
    )
    karim = StudentFactory(full_name_english="Karim Mia", full_name_bangla="করিম মিয়া")
    url = reverse("students:index")

    def found(q):
        return set(registrar_client.get(url, {"q": q}).context["object_list"])

    assert found("rahim") == {rahim}
    assert found("রহিম") == {rahim}
    assert found("করিম") == {karim}
    assert found(karim.current_roll_number) == {karim}
    assert found(rahim.current_registration_number) == {rahim}
    assert found("01898765432") == {rahim}


def test_discontinued_students_link_on_the_listing(registrar_client):
    response = registrar_client.get(reverse("students:index"))
    assert "?status=discontinued" in response.content.decode()


def test_student_listing_columns(registrar_client):
    student = StudentFactory(full_name_bangla="রহিম")
    content = registrar_client.get(reverse("students:index")).content.decode()
    for value in (
        student.current_roll_number,
        student.current_registration_number,
        student.full_name_english,
        "রহিম",
        student.department.code,
        "1st semester",
        "Morning",
        str(student.session),
        "Active",
    ):
        assert value in content
    # The row opens the student's inspect page.
    assert reverse("students:inspect", args=[student.pk]) in content


def test_student_export_csv(registrar_client):
    student = StudentFactory(full_name_bangla="রহিম")
    response = registrar_client.get(reverse("students:index"), {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "Roll number" in body.splitlines()[0]
    assert student.current_roll_number in body
    assert "রহিম" in body


@pytest.mark.parametrize("name", ["students", "attendance", "marks", "routines"])
def test_export_xlsx(registrar_client, name):
    response = registrar_client.get(reverse(f"{name}:index"), {"export": "xlsx"})
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]


def _count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx), len(response.context["object_list"])


def _make_students(n, **kwargs):
    department = DepartmentFactory()
    session = AcademicSessionFactory()
    return [
        StudentFactory(department=department, session=session, **kwargs)
        for _ in range(n)
    ]


def test_student_listing_queries_do_not_grow(registrar_client):
    url = reverse("students:index")
    _make_students(5)
    few, rows = _count_queries(registrar_client, url)
    assert rows == 5
    _make_students(55)
    many, rows = _count_queries(registrar_client, url)
    assert rows == 50  # one page
    assert many <= few


def test_routine_listing_queries_do_not_grow(registrar_client):
    url = reverse("routines:index")
    session = AcademicSessionFactory()
    teacher = TeacherFactory()

    def slots(n, start):
        for i in range(n):
            ClassRoutineFactory(session=session, teacher=None, day_of_week=i % 5)
        return start + n

    slots(5, 0)
    few, _ = _count_queries(registrar_client, url)
    subject = SubjectFactory()
    ClassRoutineFactory(session=session, teacher=teacher, subject=subject)
    slots(55, 5)
    many, rows = _count_queries(registrar_client, url)
    assert rows == 50
    assert many <= few


def test_attendance_marks_documents_alumni_listings_do_not_grow(registrar_client):
    student = StudentFactory()
    subject = attendance_for(student, present=3, absent=2)
    final_mark_for(student, subject=subject, obtained=50)
    document_for(student)
    for _ in range(5):
        TeacherFactory()
    counts = {
        name: _count_queries(registrar_client, reverse(f"{name}:index"))[0]
        for name in ("attendance", "marks", "documents", "teachers", "subjects")
    }
    for other in _make_students(12):
        s = attendance_for(other, present=4, absent=1)
        final_mark_for(other, subject=s, obtained=70)
        document_for(other)
        TeacherFactory()
    for name, few in counts.items():
        many, rows = _count_queries(registrar_client, reverse(f"{name}:index"))
        assert rows > 5, name
        assert many <= few, name


def test_attendance_filters(registrar_client):
    student = StudentFactory()
    subject = attendance_for(student, present=2, absent=1)
    url = reverse("attendance:index")
    absent = registrar_client.get(url, {"is_present": "false"}).context["object_list"]
    assert len(absent) == 1
    by_subject = registrar_client.get(url, {"subject": subject.pk})
    assert len(by_subject.context["object_list"]) == 3
    dates = sorted(r.date for r in by_subject.context["object_list"])
    in_range = registrar_client.get(
        url,
        {"date_from": dates[1].isoformat(), "date_to": dates[2].isoformat()},
    ).context["object_list"]
    assert len(in_range) == 2
    by_roll = registrar_client.get(url, {"roll": student.current_roll_number})
    assert len(by_roll.context["object_list"]) == 3


def test_marks_filters(registrar_client):
    student = StudentFactory()
    subject = SubjectFactory(department=student.department)
    final_mark_for(student, subject=subject, obtained=60)
    url = reverse("marks:index")
    assert (
        len(registrar_client.get(url, {"exam_type": "final"}).context["object_list"])
        == 1
    )
    assert not registrar_client.get(url, {"exam_type": "midterm"}).context[
        "object_list"
    ]
    assert (
        len(
            registrar_client.get(url, {"department": student.department.pk}).context[
                "object_list"
            ]
        )
        == 1
    )


def test_routine_filters_by_day_and_teacher(registrar_client):
    teacher = TeacherFactory()
    monday = ClassRoutineFactory(day_of_week=1, teacher=teacher)
    ClassRoutineFactory(day_of_week=2)
    url = reverse("routines:index")
    assert list(
        registrar_client.get(url, {"day_of_week": "1"}).context["object_list"]
    ) == [monday]
    assert list(
        registrar_client.get(url, {"teacher": teacher.pk}).context["object_list"]
    ) == [monday]
