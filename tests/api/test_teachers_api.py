"""Teachers through the API: list, detail, add, edit, delete, each role's rights."""

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records.models import (
    ActivityAction,
    ActivityLog,
    ClassRoutine,
    Teacher,
    TeacherStatus,
)
from records.permissions import forget_scope
from records.viewsets import SCOPE_REFUSED
from tests.api.conftest import assert_error
from tests.factories import ClassRoutineFactory, SubjectFactory, TeacherFactory

TEACHERS = "/api/v1/teachers/"


def url(teacher) -> str:
    return f"{TEACHERS}{teacher.pk}/"


@dataclass
class Staff:
    own: Teacher  # the institute's teacher account's profile (department A)
    colleague: Teacher  # department A
    other: Teacher  # department B


@pytest.fixture
def staff(institute) -> Staff:
    colleague = TeacherFactory(
        full_name_english="Bashir Colleague",
        designation="Lecturer",
        department=institute.department_a,
        mobile_number="01811111111",
        email="bashir@example.edu.bd",
    )
    other = TeacherFactory(
        full_name_english="Champa Other",
        designation="Instructor",
        department=institute.department_b,
        mobile_number="01922222222",
        email="champa@example.edu.bd",
    )
    return Staff(
        own=institute.teacher.teacher_profile, colleague=colleague, other=other
    )


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["full_name_english"] for row in response.json()["results"]}


EVERYONE = {"Api Teacher", "Bashir Colleague", "Champa Other"}


def new_teacher(department, **extra) -> dict:
    return {
        "full_name_english": "Dilruba New",
        "full_name_bangla": "দিলরুবা",
        "designation": "Instructor",
        "department": department.pk,
        "mobile_number": "01712345678",
        "email": "dilruba@example.edu.bd",
        **extra,
    }


# --- Reading -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_401_everywhere(api, institute, staff):
    assert_error(api.get(TEACHERS), 401)
    assert_error(api.get(url(staff.other)), 401)
    assert_error(api.post(TEACHERS, new_teacher(institute.department_a)), 401)
    assert_error(api.patch(url(staff.other), {"designation": "X"}), 401)
    assert_error(api.delete(url(staff.other)), 401)


@pytest.mark.django_db
def test_list_filters_search_and_ordering(api, institute, staff):
    api.force_login(institute.head)
    assert names(api.get(TEACHERS)) == EVERYONE
    b = institute.department_b.pk
    assert names(api.get(TEACHERS, {"department": b})) == {"Champa Other"}
    assert names(api.get(TEACHERS, {"designation": "lecturer"})) == {"Bashir Colleague"}
    on_leave = TeacherStatus.ON_LEAVE
    api.patch(url(staff.other), {"status": on_leave})
    assert names(api.get(TEACHERS, {"status": on_leave})) == {"Champa Other"}
    assert names(api.get(TEACHERS, {"status": "active", "department": b})) == set()
    assert names(api.get(TEACHERS, {"search": "bashir"})) == {"Bashir Colleague"}
    assert names(api.get(TEACHERS, {"search": "0192222"})) == {"Champa Other"}
    assert names(api.get(TEACHERS, {"search": "champa@example"})) == {"Champa Other"}
    listed = [
        row["full_name_english"]
        for row in api.get(TEACHERS, {"ordering": "-full_name_english"}).json()[
            "results"
        ]
    ]
    assert listed == sorted(EVERYONE, reverse=True)
    body = assert_error(api.get(TEACHERS, {"status": "sleeping"}), 400)
    assert "status" in body["field_errors"]


@pytest.mark.django_db
def test_detail_is_the_full_record(api, institute, staff):
    api.force_login(institute.head)
    detail = api.get(url(staff.colleague)).json()
    assert detail == {
        "id": staff.colleague.pk,
        "full_name_english": "Bashir Colleague",
        "full_name_bangla": "",
        "designation": "Lecturer",
        "department": {
            "id": institute.department_a.pk,
            "code": "APA",
            "name": "Applied A",
        },
        "status": "active",
        "joining_date": None,
        "mobile_number": "01811111111",
        "email": "bashir@example.edu.bd",
        "qualifications": "",
        "specializations": "",
        "user": None,
    }
    assert_error(api.get(f"{TEACHERS}999999/"), 404)


@pytest.mark.django_db
def test_registrar_sees_the_teachers_of_their_departments(api, institute, staff):
    api.force_login(institute.registrar_a)
    assert names(api.get(TEACHERS)) == {"Api Teacher", "Bashir Colleague"}
    assert_error(api.get(url(staff.other)), 404)
    api.force_login(institute.registrar_all)
    assert names(api.get(TEACHERS)) == EVERYONE


@pytest.mark.django_db
def test_teacher_sees_the_teachers_of_the_departments_they_teach_in(
    api, institute, staff
):
    api.force_login(institute.teacher)
    assert names(api.get(TEACHERS)) == {"Api Teacher", "Bashir Colleague"}
    assert api.get(url(staff.own)).status_code == 200
    assert_error(api.get(url(staff.other)), 404)


@pytest.mark.django_db
def test_student_sees_no_teacher(api, institute, staff):
    """Students have no right on teacher records: an empty list, every detail 404."""
    api.force_login(institute.student_user)
    assert api.get(TEACHERS).json()["count"] == 0
    for teacher in (staff.own, staff.colleague, staff.other):
        assert_error(api.get(url(teacher)), 404)


@pytest.mark.django_db
def test_list_query_count_is_constant(api, institute, staff, django_assert_num_queries):
    api.force_login(institute.registrar_a)
    api.get(TEACHERS)  # warm the caches

    def count_queries(**params) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(TEACHERS, params).status_code == 200
        return len(queries)

    few = count_queries()
    small_page = count_queries(page_size=2)
    for _ in range(25):
        TeacherFactory(department=institute.department_a)
    assert count_queries() == few
    assert count_queries(page_size=2) == small_page
    assert count_queries(page_size=100) == few
    with django_assert_num_queries(few):
        assert len(api.get(TEACHERS, {"page": 2}).json()["results"]) == 7


# --- Writing -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_head_adds_a_teacher(api, institute):
    api.force_login(institute.head)
    response = api.post(
        TEACHERS, new_teacher(institute.department_b, status=TeacherStatus.ON_LEAVE)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    teacher = Teacher.objects.get(pk=body["id"])
    assert body["department"]["code"] == "APB"
    assert teacher.status == TeacherStatus.ON_LEAVE == body["status"]
    assert teacher.history.earliest().history_user == institute.head
    assert ActivityLog.objects.filter(
        action_type=ActivityAction.CREATE,
        entity_type="teacher",
        entity_id=str(teacher.pk),
        user=institute.head,
    ).exists()


@pytest.mark.django_db
def test_add_validation_errors(api, institute, staff):
    api.force_login(institute.head)
    before = Teacher.objects.count()
    body = assert_error(api.post(TEACHERS, {}), 400)
    assert {"full_name_english", "designation", "department", "email"} <= set(
        body["field_errors"]
    )
    body = assert_error(
        api.post(
            TEACHERS,
            new_teacher(
                institute.department_a,
                mobile_number="02123",
                email=staff.other.email,
                joining_date="not a date",
                status="sleeping",
            ),
        ),
        400,
    )
    assert {"mobile_number", "email", "joining_date", "status"} <= set(
        body["field_errors"]
    )
    body = assert_error(
        api.post(TEACHERS, {**new_teacher(institute.department_a), "department": 0}),
        400,
    )
    assert "department" in body["field_errors"]
    body = assert_error(
        api.post(
            TEACHERS, new_teacher(institute.department_a, full_name_english="a\x00b")
        ),
        400,
    )
    assert "full_name_english" in body["field_errors"]
    assert Teacher.objects.count() == before


@pytest.mark.django_db
def test_registrar_adds_only_in_their_departments(api, institute):
    api.force_login(institute.registrar_a)
    body = assert_error(api.post(TEACHERS, new_teacher(institute.department_b)), 400)
    assert body["field_errors"] == {"department": [str(SCOPE_REFUSED)]}
    response = api.post(TEACHERS, new_teacher(institute.department_a))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("who", ["teacher", "student_user"])
@pytest.mark.django_db
def test_teachers_and_students_may_not_add_or_delete(api, institute, staff, who):
    api.force_login(getattr(institute, who))
    body = assert_error(api.post(TEACHERS, new_teacher(institute.department_a)), 403)
    assert "add" in body["details"]
    assert_error(api.delete(url(staff.own)), 403)
    assert_error(api.delete(url(staff.colleague)), 403)
    assert Teacher.objects.filter(pk=staff.colleague.pk).exists()


@pytest.mark.django_db
def test_head_updates_with_put_and_patch(api, institute, staff):
    api.force_login(institute.head)
    payload = new_teacher(
        institute.department_b,
        full_name_english="Bashir Moved",
        email="bashir@example.edu.bd",
        qualifications="MSc",
    )
    response = api.put(url(staff.colleague), payload)
    assert response.status_code == 200, response.content
    assert response.json()["department"]["code"] == "APB"
    response = api.patch(url(staff.colleague), {"designation": "Chief Instructor"})
    assert response.status_code == 200, response.content
    staff.colleague.refresh_from_db()
    assert staff.colleague.designation == "Chief Instructor"
    assert staff.colleague.full_name_english == "Bashir Moved"
    latest = staff.colleague.history.latest()
    assert latest.history_user == institute.head
    entry = ActivityLog.objects.filter(
        action_type=ActivityAction.UPDATE, entity_id=str(staff.colleague.pk)
    ).latest("timestamp")
    assert entry.user == institute.head
    assert "designation" in entry.changes
    # PUT needs every required field.
    body = assert_error(api.put(url(staff.colleague), {"designation": "X"}), 400)
    assert "full_name_english" in body["field_errors"]


@pytest.mark.django_db
def test_update_validation_errors(api, institute, staff):
    api.force_login(institute.head)
    body = assert_error(
        api.patch(
            url(staff.colleague),
            {"mobile_number": "01212345678", "email": staff.other.email},
        ),
        400,
    )
    assert {"mobile_number", "email"} <= set(body["field_errors"])
    staff.colleague.refresh_from_db()
    assert staff.colleague.mobile_number == "01811111111"
    # Its own email is no clash.
    response = api.patch(url(staff.colleague), {"email": staff.colleague.email})
    assert response.status_code == 200


@pytest.mark.django_db
def test_registrar_updates_only_in_scope(api, institute, staff):
    api.force_login(institute.registrar_a)
    assert_error(api.patch(url(staff.other), {"designation": "X"}), 404)
    body = assert_error(
        api.patch(url(staff.colleague), {"department": institute.department_b.pk}),
        400,
    )
    assert "department" in body["field_errors"]
    response = api.patch(url(staff.colleague), {"designation": "Senior Lecturer"})
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_teacher_changes_only_their_own_profile(api, institute, staff):
    api.force_login(institute.teacher)
    response = api.patch(
        url(staff.own), {"mobile_number": "01333333333", "qualifications": "BSc"}
    )
    assert response.status_code == 200, response.content
    staff.own.refresh_from_db()
    assert staff.own.mobile_number == "01333333333"
    assert staff.own.history.latest().history_user == institute.teacher
    # A colleague they can see, but not change: as if it did not exist.
    assert_error(api.patch(url(staff.colleague), {"designation": "X"}), 404)
    assert_error(api.patch(url(staff.other), {"designation": "X"}), 404)
    # Their own profile stays in its department.
    body = assert_error(
        api.patch(url(staff.own), {"department": institute.department_b.pk}), 400
    )
    assert body["field_errors"] == {"department": [str(SCOPE_REFUSED)]}
    staff.own.refresh_from_db()
    assert staff.own.department == institute.department_a


@pytest.mark.django_db
def test_student_may_not_change_teachers(api, institute, staff):
    api.force_login(institute.student_user)
    assert_error(api.patch(url(staff.own), {"designation": "X"}), 403)
    assert_error(api.put(url(staff.own), new_teacher(institute.department_a)), 403)


# --- Deleting ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_head_deletes_a_teacher_and_their_slots_lose_them(api, institute, staff):
    routine = ClassRoutineFactory(
        subject=SubjectFactory(department=institute.department_a),
        session=institute.session,
        teacher=staff.own,
    )
    teacher_user = institute.teacher
    assert teacher_user.has_perm("records.take_attendance", routine)
    api.force_login(institute.head)
    response = api.delete(url(staff.own))
    assert response.status_code == 204, response.content
    assert not Teacher.objects.filter(pk=staff.own.pk).exists()
    routine = ClassRoutine.objects.get(pk=routine.pk)
    assert routine.teacher is None
    teacher_user = type(teacher_user).objects.get(pk=teacher_user.pk)
    forget_scope(teacher_user)
    assert not teacher_user.has_perm("records.take_attendance", routine)
    assert ActivityLog.objects.filter(
        action_type=ActivityAction.DELETE,
        entity_type="teacher",
        entity_id=str(staff.own.pk),
        user=institute.head,
    ).exists()
    assert_error(api.get(url(staff.own)), 404)


@pytest.mark.django_db
def test_department_head_teacher_can_be_deleted(api, institute, staff):
    api.force_login(institute.head)
    assert (
        api.patch(
            f"/api/v1/departments/{institute.department_b.pk}/",
            {"head": staff.other.pk},
        ).status_code
        == 200
    )
    assert api.delete(url(staff.other)).status_code == 204
    institute.department_b.refresh_from_db()
    assert institute.department_b.head is None


@pytest.mark.django_db
def test_registrar_deletes_only_in_scope(api, institute, staff):
    api.force_login(institute.registrar_a)
    assert_error(api.delete(url(staff.other)), 404)
    assert api.delete(url(staff.colleague)).status_code == 204


def test_numeric_ids_leave_sibling_routes_alone():
    """teachers/requests/ and the like belong to other views, not to a teacher id."""
    from django.urls import Resolver404, resolve

    from records.api_people import TeacherViewSet

    assert resolve("/api/v1/teachers/12/").func.cls is TeacherViewSet
    for path in ("/api/v1/teachers/requests/", "/api/v1/teachers/signup-request/"):
        try:
            view = resolve(path).func
        except Resolver404:  # pragma: no cover - the catch-all answers every path
            continue
        assert getattr(view, "cls", None) is not TeacherViewSet
