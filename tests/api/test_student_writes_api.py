"""Writes to students and departments through the API, with the admin's rules."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from records import services
from records.api_people import STUDENT_HAS_DOCUMENTS
from records.models import (
    ActivityAction,
    ActivityLog,
    Department,
    Student,
    StudentStatus,
)
from records.viewsets import SCOPE_REFUSED
from tests.api.conftest import assert_error
from tests.factories import TeacherFactory

STUDENTS = "/api/v1/students/"
DEPARTMENTS = "/api/v1/departments/"


def url(student, suffix: str = "") -> str:
    return f"{STUDENTS}{student.pk}/{suffix}"


def new_student(institute, department=None, **extra) -> dict:
    return {
        "full_name_english": "Tania Akter",
        "full_name_bangla": "তানিয়া আক্তার",
        "father_name": "Abdul Hai",
        "mother_name": "Hasina Begum",
        "father_nid": "1234567890",
        "date_of_birth": "2007-05-01",
        "gender": "female",
        "guardian_mobile": "01712345678",
        "mobile_student": "01812345678",
        "present_district": "Dhaka",
        "present_division": "dhaka",
        "department": (department or institute.department_a).pk,
        "session": institute.session.pk,
        "semester": 1,
        "shift": "morning",
        **extra,
    }


def pdf_file() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "ssc.pdf",
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    )


# --- Students: create --------------------------------------------------------------------


@pytest.mark.django_db
def test_head_admits_a_student_with_generated_numbers(api, institute):
    api.force_login(institute.head)
    response = api.post(
        STUDENTS,
        new_student(
            institute,
            status=StudentStatus.DISCONTINUED,  # not the client's to set: ignored
            current_roll_number="X-1",
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    student = Student.objects.get(pk=body["id"])
    assert body["current_roll_number"] == student.current_roll_number != "X-1"
    assert student.current_registration_number
    assert body["status"] == StudentStatus.ACTIVE
    assert body["department"]["code"] == "APA"
    assert body["present_district"] == "Dhaka"
    created = student.history.earliest()
    assert created.history_user == institute.head
    assert created.history_change_reason == "api create"
    assert ActivityLog.objects.filter(
        action_type=ActivityAction.CREATE,
        entity_type="student",
        entity_id=str(student.pk),
        user=institute.head,
    ).exists()


@pytest.mark.django_db
def test_create_validation_errors_write_nothing(api, institute):
    api.force_login(institute.head)
    before = Student.objects.count()
    body = assert_error(api.post(STUDENTS, {}), 400)
    assert {
        "full_name_english",
        "full_name_bangla",
        "father_name",
        "date_of_birth",
        "gender",
        "guardian_mobile",
        "department",
        "session",
        "shift",
    } <= set(body["field_errors"])
    body = assert_error(
        api.post(
            STUDENTS,
            new_student(
                institute,
                guardian_mobile="0171234567",
                mobile_student="02123456789",
                father_nid="123",
                birth_certificate_no="12",
                present_division="atlantis",
                date_of_birth="2999-01-01",
                previous_exam_gpa="7.50",
                semester=9,
                shift="night",
                email="not-an-email",
            ),
        ),
        400,
    )
    assert {
        "guardian_mobile",
        "mobile_student",
        "father_nid",
        "birth_certificate_no",
        "present_division",
        "date_of_birth",
        "previous_exam_gpa",
        "semester",
        "shift",
        "email",
    } <= set(body["field_errors"])
    assert body["details"] == "Correct the fields listed in field_errors."
    body = assert_error(
        api.post(STUDENTS, new_student(institute, present_village="Road\x00 1")), 400
    )
    assert "present_village" in body["field_errors"]
    assert Student.objects.count() == before


@pytest.mark.django_db
def test_registrar_admits_only_into_their_departments(api, institute):
    api.force_login(institute.registrar_a)
    before = Student.objects.count()
    body = assert_error(
        api.post(STUDENTS, new_student(institute, institute.department_b)), 400
    )
    assert body["field_errors"] == {"department": [str(SCOPE_REFUSED)]}
    assert Student.objects.count() == before
    response = api.post(STUDENTS, new_student(institute))
    assert response.status_code == 201, response.content
    api.force_login(institute.registrar_all)
    response = api.post(STUDENTS, new_student(institute, institute.department_b))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("who", ["teacher", "student_user"])
@pytest.mark.django_db
def test_teachers_and_students_may_not_write_students(api, institute, who):
    api.force_login(getattr(institute, who))
    own = institute.own_student
    body = assert_error(api.post(STUDENTS, new_student(institute)), 403)
    assert body["details"]
    assert_error(api.patch(url(own), {"full_name_english": "Hacked"}), 403)
    assert_error(api.put(url(own), new_student(institute)), 403)
    assert_error(api.delete(url(own)), 403)
    assert_error(api.post(url(own, "discontinue/"), {"reason": "x"}), 403)
    assert_error(api.post(url(own, "reinstate/")), 403)
    own.refresh_from_db()
    assert own.full_name_english == "Nusrat Own"


@pytest.mark.django_db
def test_anonymous_is_401(api, institute):
    own = institute.own_student
    assert_error(api.post(STUDENTS, new_student(institute)), 401)
    assert_error(api.patch(url(own), {"semester": 2}), 401)
    assert_error(api.delete(url(own)), 401)
    assert_error(api.post(url(own, "discontinue/"), {"reason": "x"}), 401)
    assert_error(api.post(DEPARTMENTS, {"code": "NEW", "name": "New"}), 401)


# --- Students: update --------------------------------------------------------------------


@pytest.mark.django_db
def test_update_moves_class_group_and_writes_history(api, institute):
    student = institute.students_a[1]
    api.force_login(institute.registrar_a)
    response = api.patch(url(student), {"semester": 2, "shift": "day"})
    assert response.status_code == 200, response.content
    assert response.json()["semester"] == 2
    student.refresh_from_db()
    assert (student.semester, student.shift) == (2, "day")
    latest = student.history.latest()
    assert latest.history_user == institute.registrar_a
    assert latest.history_change_reason == "api edit"
    entry = ActivityLog.objects.filter(
        action_type=ActivityAction.UPDATE, entity_id=str(student.pk)
    ).latest("timestamp")
    assert entry.user == institute.registrar_a
    assert {"semester", "shift"} <= set(entry.changes)


@pytest.mark.django_db
def test_put_replaces_the_editable_fields(api, institute):
    student = institute.students_a[2]
    roll = student.current_roll_number
    api.force_login(institute.head)
    response = api.put(url(student), new_student(institute, full_name_english="Karim"))
    assert response.status_code == 200, response.content
    student.refresh_from_db()
    assert student.full_name_english == "Karim"
    assert student.current_roll_number == roll  # numbers stay
    body = assert_error(api.put(url(student), {"full_name_english": "X"}), 400)
    assert "guardian_mobile" in body["field_errors"]


@pytest.mark.django_db
def test_update_validation_errors(api, institute):
    student = institute.students_a[1]
    api.force_login(institute.head)
    body = assert_error(
        api.patch(
            url(student),
            {"guardian_mobile": "12345", "mother_nid": "12", "session": 999999},
        ),
        400,
    )
    assert {"guardian_mobile", "mother_nid", "session"} <= set(body["field_errors"])
    student.refresh_from_db()
    assert student.guardian_mobile == "01712345678"


@pytest.mark.django_db
def test_registrar_updates_only_in_scope(api, institute):
    api.force_login(institute.registrar_a)
    other = institute.students_b[0]
    assert_error(api.patch(url(other), {"semester": 2}), 404)
    mine = institute.students_a[1]
    body = assert_error(
        api.patch(url(mine), {"department": institute.department_b.pk}), 400
    )
    assert body["field_errors"] == {"department": [str(SCOPE_REFUSED)]}
    mine.refresh_from_db()
    assert mine.department == institute.department_a


# --- Students: delete, discontinue, reinstate ------------------------------------------


@pytest.mark.django_db
def test_delete_as_the_admin_does(api, institute):
    student = institute.students_a[3]
    api.force_login(institute.registrar_a)
    assert_error(api.delete(url(institute.students_b[0])), 404)
    response = api.delete(url(student))
    assert response.status_code == 204, response.content
    assert not Student.objects.filter(pk=student.pk).exists()
    assert ActivityLog.objects.filter(
        action_type=ActivityAction.DELETE,
        entity_type="student",
        entity_id=str(student.pk),
        user=institute.registrar_a,
    ).exists()
    assert_error(api.delete(url(student)), 404)


@pytest.mark.django_db
def test_student_with_documents_is_not_deleted(api, institute):
    student = institute.students_a[1]
    services.document_upload(
        student=student, kind="ssc_certificate", uploaded_file=pdf_file()
    )
    api.force_login(institute.head)
    body = assert_error(api.delete(url(student)), 409)
    assert body["details"] == str(STUDENT_HAS_DOCUMENTS % {"student": student})
    assert Student.objects.filter(pk=student.pk).exists()


@pytest.mark.django_db
def test_discontinue_and_reinstate(api, institute):
    student = institute.students_a[1]
    api.force_login(institute.registrar_a)
    body = assert_error(api.post(url(student, "discontinue/"), {}), 400)
    assert "reason" in body["field_errors"]
    body = assert_error(api.post(url(student, "discontinue/"), {"reason": "  "}), 400)
    assert "reason" in body["field_errors"]
    response = api.post(url(student, "discontinue/"), {"reason": "Moved to Sylhet"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == StudentStatus.DISCONTINUED
    assert response.json()["discontinued_reason"] == "Moved to Sylhet"
    student.refresh_from_db()
    assert student.history.latest().history_user == institute.registrar_a
    # Property 9: in the discontinued list.
    listed = api.get(STUDENTS, {"status": "discontinued"}).json()["results"]
    assert student.pk in {row["id"] for row in listed}
    body = assert_error(api.post(url(student, "discontinue/"), {"reason": "x"}), 409)
    assert "already discontinued" in body["details"]

    response = api.post(url(student, "reinstate/"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == StudentStatus.ACTIVE
    assert response.json()["discontinued_reason"] == ""
    body = assert_error(api.post(url(student, "reinstate/")), 409)
    assert "not discontinued" in body["details"]


@pytest.mark.django_db
def test_discontinue_out_of_scope_is_404(api, institute):
    api.force_login(institute.registrar_a)
    other = institute.students_b[0]
    assert_error(api.post(url(other, "discontinue/"), {"reason": "x"}), 404)
    assert_error(api.post(url(institute.students_b[1], "reinstate/")), 404)
    other.refresh_from_db()
    assert other.status == StudentStatus.ACTIVE


@pytest.mark.django_db
def test_get_is_not_allowed_on_actions(api, institute):
    api.force_login(institute.head)
    assert_error(api.get(url(institute.students_a[1], "discontinue/")), 405)


# --- Departments -------------------------------------------------------------------------


@pytest.mark.django_db
def test_head_creates_updates_and_deletes_a_department(api, institute):
    api.force_login(institute.head)
    head_teacher = TeacherFactory(department=institute.department_a)
    response = api.post(
        DEPARTMENTS,
        {
            "code": "CST",
            "name": "Computer Science and Technology",
            "name_bangla": "কম্পিউটার",
            "short_name": "CST",
            "head": head_teacher.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["head"] == {
        "id": head_teacher.pk,
        "full_name_english": head_teacher.full_name_english,
    }
    department = Department.objects.get(pk=body["id"])
    assert department.history.latest().history_user == institute.head
    assert ActivityLog.objects.filter(
        action_type=ActivityAction.CREATE,
        entity_type="department",
        entity_id=str(department.pk),
        user=institute.head,
    ).exists()

    response = api.patch(f"{DEPARTMENTS}{department.pk}/", {"short_name": "Computer"})
    assert response.status_code == 200, response.content
    department.refresh_from_db()
    assert department.short_name == "Computer"
    assert department.history.latest().history_user == institute.head
    entry = ActivityLog.objects.filter(
        action_type=ActivityAction.UPDATE, entity_type="department"
    ).latest("timestamp")
    assert "short_name" in entry.changes

    response = api.put(
        f"{DEPARTMENTS}{department.pk}/",
        {"code": "CST", "name": "Computer Technology", "head": None},
    )
    assert response.status_code == 200, response.content
    assert response.json()["head"] is None

    assert api.delete(f"{DEPARTMENTS}{department.pk}/").status_code == 204
    assert not Department.objects.filter(pk=department.pk).exists()
    assert ActivityLog.objects.filter(
        action_type=ActivityAction.DELETE, entity_id=str(department.pk)
    ).exists()


@pytest.mark.django_db
def test_department_validation_errors(api, institute):
    api.force_login(institute.head)
    before = Department.objects.count()
    body = assert_error(api.post(DEPARTMENTS, {}), 400)
    assert {"code", "name"} <= set(body["field_errors"])
    body = assert_error(
        api.post(DEPARTMENTS, {"code": "apa", "name": "Applied A", "head": 999999}),
        400,
    )
    assert {"code", "name", "head"} <= set(body["field_errors"])
    body = assert_error(api.post(DEPARTMENTS, {"code": "APA", "name": "Fresh"}), 400)
    assert "code" in body["field_errors"]
    body = assert_error(
        api.patch(
            f"{DEPARTMENTS}{institute.department_a.pk}/",
            {"name": institute.department_b.name},
        ),
        400,
    )
    assert "name" in body["field_errors"]
    assert Department.objects.count() == before


@pytest.mark.django_db
def test_department_with_students_is_not_deleted(api, institute):
    api.force_login(institute.head)
    body = assert_error(api.delete(f"{DEPARTMENTS}{institute.department_a.pk}/"), 409)
    assert "cannot be deleted" in body["details"]
    assert Department.objects.filter(pk=institute.department_a.pk).exists()
    assert not ActivityLog.objects.filter(
        action_type=ActivityAction.DELETE, entity_type="department"
    ).exists()


@pytest.mark.parametrize("who", ["registrar_a", "registrar_all", "teacher"])
@pytest.mark.django_db
def test_only_the_head_writes_departments(api, institute, who):
    api.force_login(getattr(institute, who))
    a = f"{DEPARTMENTS}{institute.department_a.pk}/"
    assert_error(api.post(DEPARTMENTS, {"code": "NEW", "name": "New"}), 403)
    assert_error(api.patch(a, {"short_name": "X"}), 403)
    assert_error(api.delete(a), 403)
    institute.department_a.refresh_from_db()
    assert institute.department_a.short_name == ""


@pytest.mark.django_db
def test_student_may_not_write_departments(api, institute):
    api.force_login(institute.student_user)
    assert_error(api.post(DEPARTMENTS, {"code": "NEW", "name": "New"}), 403)
    assert_error(api.patch(f"{DEPARTMENTS}{institute.department_a.pk}/", {}), 403)


@pytest.mark.django_db
def test_empty_department_can_be_deleted_without_leftovers(api, institute):
    empty = services.department_create(code="EMP", name="Empty")
    api.force_login(institute.head)
    assert api.delete(f"{DEPARTMENTS}{empty.pk}/").status_code == 204
    assert_error(api.get(f"{DEPARTMENTS}{empty.pk}/"), 404)
