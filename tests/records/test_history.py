"""Record history: who/when/where/why, the diff in human terms, revert, restore."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from records import history, services
from records.models import ActivityLog, AttendanceRecord, Student, Subject, Teacher
from records.roles import AccountStatus, Role
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    TeacherFactory,
    last_weekday,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cst():
    return DepartmentFactory(code="CST", name="Computer Science")


@pytest.fixture
def eee():
    return DepartmentFactory(code="EEE", name="Electrical Engineering")


@pytest.fixture
def a_student(cst):
    return StudentFactory(department=cst, full_name_english="Rahim Uddin")


@pytest.fixture
def head_client(client, head):
    client.force_login(head)
    return client


def registrar_of(make_user, department, username):
    user = make_user(Role.REGISTRAR, username=username)
    return services.registrar_set_departments(
        user=user, departments=[department], all_departments=False
    )


def edit(client, student, **values):
    """Edit a student through the service as an admin request would."""
    return services.student_update(student=student, acting_user=None, **values)


# --- Reasons, users, IP addresses ---------------------------------------------------


def test_admin_edit_fills_ip_user_and_default_reason(head_client, head, cst):
    subject = SubjectFactory(department=cst, name="Physics")
    data = {
        "code": subject.code,
        "name": "Applied Physics",
        "name_bangla": "",
        "credits": "3.0",
        "department": cst.pk,
        "semester": "1",
        "is_active": "on",
    }
    response = head_client.post(
        reverse("subjects:edit", args=[subject.pk]), data, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302, response.content[:2000]
    row = subject.history.order_by("-history_id").first()
    assert row.name == "Applied Physics"
    assert row.history_ip_address == "10.1.2.3"
    assert row.history_user == head
    assert row.history_change_reason == history.REASON_ADMIN


def test_rows_written_without_a_request_say_system(cst):
    subject = SubjectFactory(department=cst)
    row = subject.history.get()
    assert row.history_change_reason == history.REASON_SYSTEM
    assert row.history_ip_address is None


def test_service_reasons_are_kept(a_student, head):
    services.student_discontinue(
        student=a_student, reason="moved away", acting_user=head
    )
    row = a_student.history.order_by("-history_id").first()
    assert row.history_change_reason == "discontinued"


def test_bulk_attendance_sheet_writes_history_with_its_reason(head):
    session = AcademicSessionFactory(is_current=True)
    department = DepartmentFactory(code="CST", name="Computer Science")
    subject = SubjectFactory(department=department, semester=3, code="CST-301")
    routine = ClassRoutineFactory(subject=subject, session=session)
    pupils = StudentFactory.create_batch(
        3, department=department, semester=3, session=session
    )
    day = last_weekday(routine.day_of_week)
    services.attendance_sheet_save(
        routine=routine, day=day, present={pupils[0].pk: False}, acting_user=head
    )
    rows = AttendanceRecord.history.all()
    assert rows.count() == 3
    assert {r.history_change_reason for r in rows} == {"attendance sheet"}
    assert {r.history_user_id for r in rows} == {head.pk}


def test_rolled_back_operation_leaves_no_history(a_student):
    before = a_student.history.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.student_update(student=a_student, full_name_english="Changed")
        raise RuntimeError("boom")
    assert a_student.history.count() == before
    with pytest.raises(ValidationError):
        services.student_update(student=a_student, guardian_mobile="123")
    assert a_student.history.count() == before


# --- The history screen ----------------------------------------------------------------


def test_history_screen_shows_changes_in_human_terms(head_client, a_student, eee):
    services.student_update(
        student=a_student, department=eee, gender="female", full_name_english="Rahima"
    )
    response = head_client.get(reverse("students:history", args=[a_student.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Electrical Engineering" in html and "Computer Science" in html
    assert "Female" in html  # choice label, not "female"
    assert "Full name (English)" in html  # field label, not full_name_english
    assert "full_name_english" not in html.replace('data-field="full_name_english"', "")
    assert "Revert to this version" in html


def test_describe_versions_uses_labels_names_and_yes_no(cst, eee):
    subject = SubjectFactory(department=cst)
    Subject.objects.filter(pk=subject.pk)  # noqa: B018 - keep the row
    subject.department = eee
    subject.is_active = False
    subject.save()
    versions = history.describe_versions(
        Subject, subject.history.order_by("-history_date", "-history_id")
    )
    changes = {
        c.label: (c.before_display, c.after_display) for c in versions[0].changes
    }
    assert changes["Department"] == ("Computer Science", "Electrical Engineering")
    assert changes["Active"] == ("Yes", "No")


def test_history_screen_query_count_is_bounded(head_client, a_student, eee, cst):
    url = reverse("students:history", args=[a_student.pk])
    head_client.get(url)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert head_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for index in range(30):
        services.student_update(
            student=a_student,
            department=eee if index % 2 else cst,
            full_name_english=f"Name {index}",
        )
    many = count()
    assert many <= few + 3, (few, many)
    response = head_client.get(url + "?p=2")
    assert response.status_code == 200


# --- Revert ------------------------------------------------------------------------------


def test_revert_round_trip(head, a_student):
    first = a_student.history.get()
    services.student_update(student=a_student, full_name_english="Second")
    services.student_update(student=a_student, full_name_english="Third", semester=2)
    history.record_revert(
        instance=a_student, history_id=first.history_id, acting_user=head
    )
    student = Student.objects.get(pk=a_student.pk)
    assert student.full_name_english == "Rahim Uddin"
    assert student.semester == 1
    assert student.current_roll_number == first.current_roll_number
    rows = list(student.history.order_by("history_id"))
    assert len(rows) == 4
    assert rows[-1].history_change_reason.startswith("reverted to version of ")
    assert rows[-1].history_change_reason.endswith(f"by {head.get_username()}") or (
        head.get_full_name() in rows[-1].history_change_reason
    )
    assert ActivityLog.objects.filter(
        action_type="revert", entity_id=str(student.pk)
    ).exists()


def test_revert_through_the_admin(head_client, a_student):
    first = a_student.history.get()
    services.student_update(student=a_student, full_name_english="Changed")
    url = reverse("students:revert", args=[a_student.pk, first.history_id])
    page = head_client.get(url)
    assert page.status_code == 200
    assert "Changed" in page.content.decode() and "Rahim Uddin" in page.content.decode()
    response = head_client.post(url)
    assert response.status_code == 302
    assert Student.objects.get(pk=a_student.pk).full_name_english == "Rahim Uddin"


def test_revert_that_fails_validation_changes_nothing(head, cst):
    subject = SubjectFactory(department=cst, code="CST-101")
    first = subject.history.get()
    subject = services_subject_rename(subject, "CST-102")
    SubjectFactory(department=cst, code="CST-101")  # takes the old code
    before = subject.history.count()
    with pytest.raises(ValidationError):
        history.record_revert(
            instance=subject, history_id=first.history_id, acting_user=head
        )
    subject.refresh_from_db()
    assert subject.code == "CST-102"
    assert subject.history.count() == before
    assert not ActivityLog.objects.filter(action_type="revert").exists()


def services_subject_rename(subject, code):
    subject.code = code
    subject.full_clean()
    subject.save()
    return subject


def test_revert_screen_shows_the_validation_error(head_client, cst):
    subject = SubjectFactory(department=cst, code="CST-101")
    first = subject.history.get()
    services_subject_rename(subject, "CST-102")
    SubjectFactory(department=cst, code="CST-101")
    response = head_client.post(
        reverse("subjects:revert", args=[subject.pk, first.history_id])
    )
    assert response.status_code == 400
    assert "data-revert-error" in response.content.decode()
    assert Subject.objects.get(pk=subject.pk).code == "CST-102"


def test_other_department_registrar_gets_404(client, make_user, a_student, eee):
    first = a_student.history.get()
    client.force_login(registrar_of(make_user, eee, "eee-registrar"))
    assert (
        client.get(reverse("students:history", args=[a_student.pk])).status_code == 404
    )
    url = reverse("students:revert", args=[a_student.pk, first.history_id])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_own_department_registrar_may_revert(client, make_user, a_student, cst):
    first = a_student.history.get()
    services.student_update(student=a_student, full_name_english="Changed")
    client.force_login(registrar_of(make_user, cst, "cst-registrar"))
    url = reverse("students:revert", args=[a_student.pk, first.history_id])
    assert client.post(url).status_code == 302
    assert Student.objects.get(pk=a_student.pk).full_name_english == "Rahim Uddin"


def test_teacher_cannot_revert(client, make_user, a_student, cst):
    first = a_student.history.get()
    services.student_update(student=a_student, full_name_english="Changed")
    user = make_user(
        Role.TEACHER, username="teacher-x", account_status=AccountStatus.ACTIVE
    )
    TeacherFactory(department=cst, user=user)
    client.force_login(user)
    url = reverse("students:revert", args=[a_student.pk, first.history_id])
    assert client.post(url).status_code == 403
    assert Student.objects.get(pk=a_student.pk).full_name_english == "Changed"


# --- Deleted records and restore ------------------------------------------------------


def test_restore_a_deleted_subject(head_client, head, cst):
    subject = SubjectFactory(department=cst, name="Chemistry")
    pk = subject.pk
    subject.delete()
    listing = head_client.get(reverse("subjects:deleted"))
    assert listing.status_code == 200
    assert "Chemistry" in listing.content.decode()
    row = Subject.history.get(id=pk, history_type="-")
    response = head_client.post(reverse("subjects:restore", args=[row.history_id]))
    assert response.status_code == 302
    restored = Subject.objects.get(pk=pk)
    assert restored.name == "Chemistry"
    last = restored.history.order_by("-history_id").first()
    assert last.history_change_reason == history.REASON_RESTORED
    assert ActivityLog.objects.filter(action_type="restore", entity_id=str(pk)).exists()
    listing = head_client.get(reverse("subjects:deleted")).content.decode()
    assert f'data-deleted-row="{row.history_id}"' not in listing


def test_restore_a_deleted_teacher_by_function(head, cst):
    teacher = TeacherFactory(department=cst, full_name_english="Karim Sir")
    pk = teacher.pk
    teacher.delete()
    row = Teacher.history.get(id=pk, history_type="-")
    history.record_restore(model=Teacher, history_id=row.history_id, acting_user=head)
    assert Teacher.objects.get(pk=pk).full_name_english == "Karim Sir"


def test_deleted_records_are_scoped_by_department(client, make_user, cst, eee):
    ours = SubjectFactory(department=cst, name="Ours")
    theirs = SubjectFactory(department=eee, name="Theirs")
    theirs_pk = theirs.pk
    ours.delete()
    theirs.delete()
    client.force_login(registrar_of(make_user, cst, "cst-registrar"))
    html = client.get(reverse("subjects:deleted")).content.decode()
    assert "Ours" in html and "Theirs" not in html
    row = Subject.history.get(id=theirs_pk, history_type="-")
    url = reverse("subjects:restore", args=[row.history_id])
    assert client.post(url).status_code == 404
    assert not Subject.objects.filter(pk=theirs_pk).exists()


def test_teacher_cannot_restore(client, make_user, cst):
    subject = SubjectFactory(department=cst, name="Gone")
    pk = subject.pk
    subject.delete()
    user = make_user(
        Role.TEACHER, username="teacher-y", account_status=AccountStatus.ACTIVE
    )
    TeacherFactory(department=cst, user=user)
    client.force_login(user)
    row = Subject.history.get(id=pk, history_type="-")
    response = client.post(reverse("subjects:restore", args=[row.history_id]))
    assert response.status_code in (403, 404)
    assert not Subject.objects.filter(pk=pk).exists()


def test_restore_refuses_a_record_that_exists(head, cst):
    subject = SubjectFactory(department=cst)
    row = subject.history.get()
    with pytest.raises(history.BusinessRuleError):
        history.record_restore(
            model=Subject, history_id=row.history_id, acting_user=head
        )


def test_dates_are_formatted(cst):
    session = AcademicSessionFactory()
    f = type(session)._meta.get_field("start_date")
    assert history.display_value(f, date(2024, 7, 1)) not in ("", "2024-07-01")
