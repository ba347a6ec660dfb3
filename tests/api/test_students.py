"""Students and departments: filters, search, pages, and Property 12 isolation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory

from records.api_support import PageNumberPagination
from records.models import Shift, StudentStatus
from tests.api.conftest import assert_error
from tests.factories import StudentFactory

STUDENTS = "/api/v1/students/"


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["full_name_english"] for row in response.json()["results"]}


def all_names(students) -> set[str]:
    return {s.full_name_english for s in students}


@pytest.mark.django_db
def test_student_list_filters_and_search(api, institute):
    api.force_login(institute.head)
    everyone = all_names(institute.students_a + institute.students_b)
    assert names(api.get(STUDENTS)) == everyone
    assert names(
        api.get(STUDENTS, {"department": institute.department_b.pk})
    ) == all_names(institute.students_b)
    assert names(api.get(STUDENTS, {"semester": 3})) == {"Karim Day"}
    assert names(api.get(STUDENTS, {"shift": Shift.DAY})) == {"Karim Day"}
    assert names(api.get(STUDENTS, {"session": institute.other_session.pk})) == {
        "Salma Old Session"
    }
    assert names(api.get(STUDENTS, {"status": StudentStatus.DISCONTINUED})) == {
        "Jamal Leaver"
    }
    # Every filter at once: only records matching all of them (Property 11).
    assert names(
        api.get(
            STUDENTS,
            {
                "department": institute.department_a.pk,
                "semester": 1,
                "shift": Shift.MORNING,
                "session": institute.session.pk,
                "status": StudentStatus.ACTIVE,
            },
        )
    ) == {"Nusrat Own", "Rahim Morning"}
    assert names(api.get(STUDENTS, {"search": "rahim"})) == {"Rahim Morning"}
    karim = institute.students_a[2]
    assert names(api.get(STUDENTS, {"search": karim.current_roll_number})) == {
        "Karim Day"
    }
    assert names(api.get(STUDENTS, {"search": karim.current_registration_number})) == {
        "Karim Day"
    }


@pytest.mark.django_db
def test_student_list_ordering_and_detail(api, institute):
    api.force_login(institute.head)
    response = api.get(STUDENTS, {"ordering": "-full_name_english"})
    listed = [row["full_name_english"] for row in response.json()["results"]]
    assert listed == sorted(listed, reverse=True)
    student = institute.students_a[1]
    detail = api.get(f"{STUDENTS}{student.pk}/").json()
    assert detail["current_roll_number"] == student.current_roll_number
    assert detail["father_name"] == student.father_name
    assert detail["department"] == {
        "id": institute.department_a.pk,
        "code": "APA",
        "name": "Applied A",
    }
    assert detail["session"]["name"] == institute.session.name


@pytest.mark.django_db
def test_bad_filter_value_is_a_field_error(api, institute):
    api.force_login(institute.head)
    body = assert_error(api.get(STUDENTS, {"semester": 99}), 400)
    assert "semester" in body["field_errors"]


@pytest.mark.django_db
def test_pages_of_twenty_and_page_size(api, institute):
    department = institute.department_a
    for n in range(20):
        StudentFactory(
            full_name_english=f"Paged {n}",
            department=department,
            session=institute.session,
        )
    api.force_login(institute.head)
    body = api.get(STUDENTS).json()
    assert body["count"] == 26
    assert len(body["results"]) == 20
    assert body["next"]
    assert len(api.get(STUDENTS, {"page": 2}).json()["results"]) == 6
    assert len(api.get(STUDENTS, {"page_size": 5}).json()["results"]) == 5
    assert_error(api.get(STUDENTS, {"page": 9}), 404)


def test_page_size_is_capped_at_100():
    request = APIRequestFactory().get("/", {"page_size": 1000})
    from rest_framework.request import Request

    assert PageNumberPagination().get_page_size(Request(request)) == 100


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_page(api, institute):
    api.force_login(institute.registrar_a)
    api.get(STUDENTS)  # warm the caches (content types, ...)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(STUDENTS).status_code == 200
        return len(queries)

    few = count_queries()
    for n in range(15):
        StudentFactory(
            full_name_english=f"More {n}",
            department=institute.department_a,
            session=institute.session,
        )
    assert count_queries() == few


@pytest.mark.django_db
def test_list_page_query_budget(api, institute, django_assert_max_num_queries):
    api.force_login(institute.teacher)
    with django_assert_max_num_queries(12):
        assert api.get(STUDENTS).status_code == 200


# --- Property 12: each role sees only what the policy gives it ----------------------


@pytest.mark.django_db
def test_student_sees_only_themself(api, institute):
    api.force_login(institute.student_user)
    assert names(api.get(STUDENTS)) == {"Nusrat Own"}
    assert api.get(f"{STUDENTS}{institute.own_student.pk}/").status_code == 200
    for other in institute.students_a[1:] + institute.students_b:
        assert_error(api.get(f"{STUDENTS}{other.pk}/"), 404)
    assert api.get("/api/v1/departments/").json()["count"] == 0


@pytest.mark.django_db
def test_teacher_sees_the_departments_they_teach_in(api, institute):
    api.force_login(institute.teacher)
    assert names(api.get(STUDENTS)) == all_names(institute.students_a)
    for other in institute.students_b:
        assert_error(api.get(f"{STUDENTS}{other.pk}/"), 404)
    departments = api.get("/api/v1/departments/").json()["results"]
    assert [d["code"] for d in departments] == ["APA"]


@pytest.mark.django_db
def test_department_registrar_sees_their_department(api, institute):
    api.force_login(institute.registrar_a)
    assert names(api.get(STUDENTS)) == all_names(institute.students_a)
    assert names(api.get(STUDENTS, {"department": institute.department_b.pk})) == set()
    b = institute.department_b.pk
    assert_error(api.get(f"/api/v1/departments/{b}/"), 404)
    assert_error(api.get(f"/api/v1/departments/{b}/students/"), 404)


@pytest.mark.parametrize("who", ["head", "registrar_all"])
@pytest.mark.django_db
def test_head_and_institute_registrar_see_everyone(api, institute, who):
    api.force_login(getattr(institute, who))
    assert names(api.get(STUDENTS)) == all_names(
        institute.students_a + institute.students_b
    )
    assert api.get("/api/v1/departments/").json()["count"] == 2


@pytest.mark.django_db
def test_nested_department_students(api, institute):
    api.force_login(institute.head)
    b = institute.department_b.pk
    assert names(api.get(f"/api/v1/departments/{b}/students/")) == all_names(
        institute.students_b
    )
    assert names(
        api.get(f"/api/v1/departments/{b}/students/", {"status": "active"})
    ) == {"Bina Other"}
    detail = api.get(f"/api/v1/departments/{b}/").json()
    assert detail["code"] == "APB"
    assert_error(api.get("/api/v1/departments/999999/students/"), 404)
