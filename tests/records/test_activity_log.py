"""The activity log (seed 000 §8): Properties 19 and 20, the listing, pruning.

Property 19: every create, update, delete, approval, sign-in and export writes
one entry, in the same transaction as the change (a rolled-back change leaves
none). Property 20: an update's entry holds exactly the changed fields, each
with its value before and after.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from records import services
from records.activity import activity_record, snapshot
from records.errors import BusinessRuleError
from records.models import (
    ActivityAction,
    ActivityLog,
    AttendanceRecord,
    ExamType,
    MarksRecord,
    Shift,
    Student,
    Subject,
    Weekday,
)
from records.roles import AccountStatus, Role
from tests.factories import (
    TEST_PASSWORD,
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    UserFactory,
    last_weekday,
)
from tests.factories.admin import document_for

pytestmark = pytest.mark.django_db

AGENT = "Mozilla/5.0 (campusdesk tests)"
IP = "10.20.30.40"


def latest(**filters) -> ActivityLog:
    return ActivityLog.objects.filter(**filters).order_by("-pk").first()


def entries_after(mark: int, **filters):
    return ActivityLog.objects.filter(pk__gt=mark, **filters).order_by("pk")


def mark() -> int:
    return ActivityLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def cst():
    return DepartmentFactory(code="CST", name="Computer Science")


@pytest.fixture
def civ():
    return DepartmentFactory(code="CIV", name="Civil")


@pytest.fixture
def session():
    return AcademicSessionFactory(is_current=True)


@pytest.fixture
def cst_registrar(cst):
    user = UserFactory(role=Role.REGISTRAR, username="cst_registrar")
    return services.registrar_set_departments(user=user, departments=[cst])


def client_for(user) -> Client:
    client = Client(HTTP_USER_AGENT=AGENT, REMOTE_ADDR=IP)
    client.force_login(user)
    return client


# --- Property 19: direct service calls, every entity type --------------------------


def test_every_service_write_leaves_one_entry(head, cst, session):
    start = mark()
    subject = services.subject_create(
        code="CST-101", name="Programming", department=cst, semester=1, acting_user=head
    )
    teacher = services.teacher_create(
        full_name_english="Nasima Akter",
        designation="Instructor",
        department=cst,
        email="nasima@example.edu.bd",
        acting_user=head,
    )
    services.teacher_update(teacher=teacher, designation="Chief", acting_user=head)
    routine = services.routine_create(
        department=cst,
        semester=1,
        shift=Shift.MORNING,
        session=session,
        subject=subject,
        teacher=teacher,
        day_of_week=Weekday.SUNDAY,
        start_time="09:00",
        end_time="09:45",
        room_number="101",
        acting_user=head,
    )
    services.routine_update(routine=routine, room_number="102", acting_user=head)
    student = StudentFactory(department=cst, session=session, acting_user=head)
    services.student_update(student=student, father_name="New Name", acting_user=head)
    services.student_discontinue(student=student, reason="moved", acting_user=head)
    services.student_reinstate(student=student, acting_user=head)
    document = document_for(student)
    services.document_delete(document=document, acting_user=head)
    account = services.user_create(
        username="newclerk", password="x-Secret-123", role=Role.REGISTRAR
    )
    services.user_set_account_status(
        user=account, account_status=AccountStatus.SUSPENDED, acting_user=head
    )
    services.user_change_role(user=account, role=Role.TEACHER, acting_user=head)

    got = [
        (e.action_type, e.entity_type)
        for e in entries_after(start).exclude(
            entity_type__in=["department", "academicsession"]
        )
    ]
    assert got == [
        ("create", "subject"),
        ("create", "teacher"),
        ("update", "teacher"),
        ("create", "classroutine"),
        ("update", "classroutine"),
        ("create", "student"),
        ("update", "student"),
        ("update", "student"),
        ("update", "student"),
        ("create", "document"),
        ("delete", "document"),
        ("create", "user"),
        ("update", "user"),
        ("update", "user"),
    ]
    # Each entry names its record, its department, and who did it.
    routine_update = latest(entity_type="classroutine", action_type="update")
    assert routine_update.entity_id == str(routine.pk)
    assert routine_update.department_id == cst.pk
    assert routine_update.user == head
    assert routine_update.username == head.username
    assert routine_update.changes == {"room_number": {"before": "101", "after": "102"}}
    # A delete keeps the deleted values; a create the created ones.
    deleted = latest(action_type="delete")
    assert deleted.changes["original_name"]["before"] == document.original_name
    assert deleted.department_id == cst.pk
    created = latest(entity_type="student", action_type="create")
    assert created.changes["father_name"] == {"before": None, "after": "Abdul Karim"}
    # Accounts: never the password.
    account_entry = latest(entity_type="user", action_type="create")
    assert "password" not in account_entry.changes
    assert "x-Secret-123" not in str(account_entry.changes)


def test_structure_creates_are_logged(head):
    start = mark()
    department = services.department_create(
        code="EEE", name="Electrical", acting_user=head
    )
    services.academic_session_create(
        name="2030-31",
        start_date=timezone.localdate().replace(year=2030, month=7, day=1),
        end_date=timezone.localdate().replace(year=2031, month=6, day=30),
        acting_user=head,
    )
    entries = list(entries_after(start))
    assert [(e.action_type, e.entity_type) for e in entries] == [
        ("create", "department"),
        ("create", "academicsession"),
    ]
    assert entries[0].department_id == department.pk


def test_registrar_departments_and_captains_are_logged(head, cst, civ, session):
    registrar = UserFactory(role=Role.REGISTRAR, username="reg_x")
    start = mark()
    services.registrar_set_departments(
        user=registrar, departments=[cst, civ], acting_user=head
    )
    entry = entries_after(start).get()
    assert entry.changes == {"departments": {"before": [], "after": ["CIV", "CST"]}}

    pupil_user = UserFactory(role=Role.STUDENT, username="pupil_x")
    pupil = StudentFactory(department=cst, session=session, user=pupil_user)
    start = mark()
    services.captain_appoint(student=pupil, acting_user=head)
    services.captain_dismiss(student=pupil, acting_user=head)
    appointed, dismissed = entries_after(start)
    assert (appointed.entity_type, appointed.entity_id) == ("student", str(pupil.pk))
    assert appointed.department_id == cst.pk
    assert appointed.changes == {"role": {"before": "student", "after": "captain"}}
    assert dismissed.changes == {"role": {"before": "captain", "after": "student"}}


def test_single_attendance_and_marks_records_are_logged(head, cst, session):
    subject = SubjectFactory(department=cst, semester=1)
    ClassRoutineFactory(subject=subject, session=session)
    student = StudentFactory(department=cst, session=session, semester=1)
    start = mark()
    record = services.attendance_record_save(
        record=AttendanceRecord(
            student=student,
            subject=subject,
            semester=1,
            date=last_weekday(Weekday.SUNDAY),
            is_present=True,
        ),
        acting_user=head,
    )
    record.is_present = False
    services.attendance_record_save(record=record, acting_user=head)
    marks = services.marks_record_save(
        record=MarksRecord(
            student=student,
            subject=subject,
            semester=1,
            exam_type=ExamType.FINAL,
            marks_obtained=Decimal("50"),
            total_marks=Decimal("100"),
        ),
        acting_user=head,
    )
    marks.marks_obtained = Decimal("55")
    services.marks_record_save(record=marks, acting_user=head)
    got = [(e.action_type, e.entity_type) for e in entries_after(start)]
    assert got == [
        ("create", "attendancerecord"),
        ("update", "attendancerecord"),
        ("create", "marksrecord"),
        ("update", "marksrecord"),
    ]
    assert latest(entity_type="attendancerecord").changes == {
        "is_present": {"before": True, "after": False}
    }
    assert latest(entity_type="marksrecord").changes == {
        "marks_obtained": {"before": "50.00", "after": "55.00"}
    }


# --- Property 19: rolled back means no entry ----------------------------------------


def test_a_refused_service_call_leaves_no_entry(head, cst, session):
    student = StudentFactory(department=cst, session=session)
    start = mark()
    history = student.history.count()
    with pytest.raises(ValidationError):
        services.student_discontinue(student=student, reason="  ", acting_user=head)
    services.student_discontinue(student=student, reason="moved", acting_user=head)
    with pytest.raises(BusinessRuleError):
        services.student_discontinue(student=student, reason="again", acting_user=head)
    assert entries_after(start).count() == 1  # only the discontinue that worked
    assert student.history.count() == history + 1


def test_a_transaction_that_fails_after_the_service_leaves_nothing(head, cst, session):
    student = StudentFactory(department=cst, session=session)
    start = mark()
    history = student.history.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.student_update(
            student=student, father_name="Rolled Back", acting_user=head
        )
        assert entries_after(start).count() == 1
        raise RuntimeError("the caller's next step failed")
    assert entries_after(start).count() == 0
    assert student.history.count() == history
    student.refresh_from_db()
    assert student.father_name != "Rolled Back"


# --- Property 19: admin forms, admin actions, delete ---------------------------------


def test_admin_create_and_edit_as_registrar(cst_registrar, cst, session):
    client = client_for(cst_registrar)
    start = mark()
    response = client.post(
        reverse("subjects:add"),
        {
            "code": "CST-201",
            "credits": "3.0",
            "name": "Databases",
            "name_bangla": "",
            "department": cst.pk,
            "semester": "2",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = entries_after(start).get()
    assert (created.action_type, created.entity_type) == ("create", "subject")
    assert created.department_id == cst.pk
    assert (created.user, created.ip_address, created.user_agent) == (
        cst_registrar,
        IP,
        AGENT,
    )
    assert created.changes["code"] == {"before": None, "after": "CST-201"}

    subject = Subject.objects.get(code="CST-201")
    start = mark()
    response = client.post(
        reverse("subjects:edit", args=[subject.pk]),
        {
            "code": "CST-201",
            "credits": "4.0",
            "name": "Database Systems",
            "name_bangla": "",
            "department": cst.pk,
            "semester": "2",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    edited = entries_after(start).get()
    assert edited.action_type == "update"
    assert edited.changes == {
        "credits": {"before": "3.0", "after": "4.0"},
        "name": {"before": "Databases", "after": "Database Systems"},
    }


def test_admin_student_create_through_the_service_logs_once(
    cst_registrar, cst, session
):
    client = client_for(cst_registrar)
    start = mark()
    response = client.post(
        reverse("students:add"),
        {
            "full_name_english": "Rahim Uddin",
            "full_name_bangla": "রহিম উদ্দিন",
            "father_name": "Karim Uddin",
            "mother_name": "Salma Begum",
            "date_of_birth": "2008-03-01",
            "gender": "male",
            "guardian_mobile": "01712345678",
            "department": cst.pk,
            "semester": "1",
            "shift": "morning",
            "session": session.pk,
            "previous_exam": "ssc",
        },
    )
    assert response.status_code == 302
    entry = entries_after(start).get()
    assert (entry.action_type, entry.entity_type) == ("create", "student")
    assert entry.description == "admin create"


def test_admin_discontinue_action(cst_registrar, cst, session):
    student = StudentFactory(department=cst, session=session)
    client = client_for(cst_registrar)
    start = mark()
    response = client.post(
        reverse("students:discontinue", args=[student.pk]), {"reason": "Left town"}
    )
    assert response.status_code == 302
    entry = entries_after(start).get()
    assert entry.action_type == "update"
    assert entry.changes["status"] == {"before": "active", "after": "discontinued"}
    assert entry.changes["discontinued_reason"] == {"before": "", "after": "Left town"}
    assert entry.ip_address == IP


def test_admin_delete_logs_the_deleted_values_and_a_refused_delete_nothing(
    head, cst, session
):
    client = client_for(head)
    spare = SubjectFactory(code="CST-999", name="Spare", department=cst)
    start = mark()
    response = client.post(reverse("subjects:delete", args=[spare.pk]))
    assert response.status_code == 302
    entry = entries_after(start).get()
    assert (entry.action_type, entry.entity_id) == ("delete", str(spare.pk))
    assert entry.changes["code"] == {"before": "CST-999", "after": None}
    assert entry.department_id == cst.pk

    # A subject used by a routine is protected: no delete, no entry.
    used = SubjectFactory(department=cst)
    ClassRoutineFactory(subject=used, session=session)
    start = mark()
    client.post(reverse("subjects:delete", args=[used.pk]))
    assert entries_after(start, action_type="delete").count() == 0


def test_department_edit_through_wagtails_default_view(head, cst):
    client = client_for(head)
    start = mark()
    response = client.post(
        reverse("departments:edit", args=[cst.pk]),
        {
            "code": "CST",
            "short_name": "CS",
            "name": "Computer Science",
            "name_bangla": "",
            "head": "",
        },
    )
    assert response.status_code == 302
    entry = entries_after(start).get()
    assert entry.changes == {"short_name": {"before": "", "after": "CS"}}
    assert entry.department_id == cst.pk


# --- Bulk entry screens: one entry per sheet / grid ----------------------------------


@pytest.fixture
def routine(cst, session):
    subject = SubjectFactory(code="CST-301", department=cst, semester=3)
    return ClassRoutineFactory(
        subject=subject, session=session, day_of_week=Weekday.SUNDAY
    )


@pytest.fixture
def pupils(routine):
    return StudentFactory.create_batch(
        4,
        department=routine.department,
        semester=routine.semester,
        shift=routine.shift,
        session=routine.session,
    )


def test_attendance_sheet_post_writes_one_entry(registrar, routine, pupils):
    client = client_for(registrar)
    day = last_weekday(routine.day_of_week)
    url = reverse("attendance_sheet:sheet", args=[routine.pk])

    def post(absent):
        data = {"date": day.isoformat()}
        for pupil in pupils:
            data[f"status-{pupil.pk}"] = "absent" if pupil in absent else "present"
            data[f"note-{pupil.pk}"] = ""
        return client.post(url, data)

    start = mark()
    assert post(absent=[pupils[0]]).status_code == 302
    entry = entries_after(start).get()
    assert (entry.action_type, entry.entity_type) == ("create", "attendancesheet")
    assert entry.entity_id == f"{routine.pk}/{day.isoformat()}"
    assert entry.department_id == routine.department_id
    assert "3 present, 1 absent" in entry.description
    assert len(entry.changes) == 4

    start = mark()
    assert post(absent=[pupils[1]]).status_code == 302
    entry = entries_after(start).get()
    assert entry.action_type == "update"
    assert entry.changes == {
        pupils[0].current_roll_number: {"before": "absent", "after": "present"},
        pupils[1].current_roll_number: {"before": "present", "after": "absent"},
    }
    assert "2 changed, 2 unchanged" in entry.description


def test_marks_grid_post_writes_one_entry(registrar, cst, session):
    subject = SubjectFactory(code="CST-302", department=cst, semester=3)
    ClassRoutineFactory(subject=subject, session=session, shift=Shift.MORNING)
    pupils = StudentFactory.create_batch(
        3, department=cst, semester=3, shift=Shift.MORNING, session=session
    )
    client = client_for(registrar)
    data = {
        "subject": subject.pk,
        "exam_type": ExamType.FINAL,
        "shift": Shift.MORNING,
        "session": session.pk,
        "total_marks": "100",
    }
    for pupil, value in zip(pupils, ("40", "50", ""), strict=True):
        data[f"mark-{pupil.pk}"] = value
        data[f"remark-{pupil.pk}"] = ""
    start = mark()
    response = client.post(reverse("marks_entry:index"), data)
    assert response.status_code == 302
    entry = entries_after(start).get()
    assert (entry.action_type, entry.entity_type) == ("create", "marksgrid")
    assert entry.changes == {
        pupils[0].current_roll_number: {"before": None, "after": "40/100"},
        pupils[1].current_roll_number: {"before": None, "after": "50/100"},
    }
    assert "1 blank" in entry.description


# --- Sign-in, sign-out, failed sign-in ----------------------------------------------


def test_sign_in_sign_out_and_failed_sign_in(head):
    client = Client(HTTP_USER_AGENT=AGENT, REMOTE_ADDR=IP)
    start = mark()
    login = reverse("wagtailadmin_login")
    client.post(login, {"username": head.username, "password": "wrong-password"})
    client.post(login, {"username": head.username, "password": TEST_PASSWORD})
    client.post(reverse("wagtailadmin_logout"))
    failed, signed_in, signed_out = entries_after(start)

    assert failed.action_type == ActivityAction.LOGIN_FAILED
    assert (failed.username, failed.user) == (head.username, None)
    assert "wrong-password" not in f"{failed.description} {failed.changes}"
    assert signed_in.action_type == ActivityAction.LOGIN
    assert signed_in.user == head
    assert signed_out.action_type == ActivityAction.LOGOUT
    assert signed_out.user == head
    for entry in (failed, signed_in, signed_out):
        assert (entry.ip_address, entry.user_agent) == (IP, AGENT)


# --- Export --------------------------------------------------------------------------


def test_export_writes_an_entry_with_filters_and_rows(head, cst, civ, session):
    StudentFactory.create_batch(2, department=cst, session=session)
    StudentFactory(department=civ, session=session)
    client = client_for(head)
    start = mark()
    response = client.get(
        reverse("students:index"), {"export": "csv", "department": cst.pk}
    )
    assert response.status_code == 200
    b"".join(response.streaming_content)
    entry = entries_after(start).get()
    assert (entry.action_type, entry.entity_type) == ("export", "student")
    assert entry.changes == {
        "format": "csv",
        "filters": {"department": str(cst.pk)},
        "rows": 2,
    }
    assert (entry.user, entry.ip_address) == (head, IP)


# --- The listing: scope, filters, inspect, export; read-only --------------------------


def test_listing_scope(cst_registrar, registrar, head, active_teacher, cst, civ):
    mine = activity_record(action="update", instance=cst, description="log-cst")
    theirs = activity_record(action="update", instance=civ, description="log-civ")
    nowhere = activity_record(action="login", entity_type="user")
    index = reverse("activity_log:index")

    def shown(user):
        response = client_for(user).get(index)
        assert response.status_code == 200
        return {e.pk for e in response.context["object_list"]}

    assert {mine.pk} <= shown(cst_registrar)
    assert not {theirs.pk, nowhere.pk} & shown(cst_registrar)
    assert {mine.pk, theirs.pk, nowhere.pk} <= shown(registrar)
    assert {mine.pk, theirs.pk, nowhere.pk} <= shown(head)

    reg = client_for(cst_registrar)
    inspect = reverse("activity_log:inspect", args=[theirs.pk])
    assert reg.get(inspect).status_code == 404
    assert reg.get(reverse("activity_log:inspect", args=[mine.pk])).status_code == 200

    teacher = client_for(active_teacher)
    assert teacher.get(index).status_code == 403
    assert teacher.get(inspect).status_code in (403, 404)


def test_listing_filters_search_inspect_and_export(head, cst):
    entry = activity_record(
        action="update",
        instance=cst,
        user=head,
        description="renamed the department",
        changes={"name": {"before": "Old", "after": "New"}},
    )
    other = activity_record(action="login", entity_type="user", description="x")
    client = client_for(head)
    index = reverse("activity_log:index")

    def shown(**params):
        response = client.get(index, params)
        assert response.status_code == 200
        return {e.pk for e in response.context["object_list"]}

    assert entry.pk in shown(action_type="update")
    assert other.pk not in shown(action_type="update")
    assert entry.pk in shown(entity_type="department")
    assert entry.pk in shown(user=head.pk)
    assert other.pk not in shown(user=head.pk)
    today = timezone.localdate()
    assert entry.pk in shown(timestamp_from=today.isoformat())
    assert entry.pk not in shown(timestamp_to=(today - timedelta(days=2)).isoformat())
    assert shown(q="renamed the") == {entry.pk}

    page = client.get(reverse("activity_log:inspect", args=[entry.pk]))
    text = page.content.decode()
    assert "Old" in text and "New" in text and "→" in text

    csv_response = client.get(index, {"export": "csv", "q": "renamed"})
    content = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    assert "renamed the department" in content
    assert '""before"": ""Old""' in content
    xlsx = client.get(index, {"export": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_entries_cannot_be_edited_or_deleted_through_the_product(head, cst):
    entry = activity_record(action="update", instance=cst)
    for name in ("add", "edit", "delete", "history"):
        with pytest.raises(NoReverseMatch):
            reverse(f"activity_log:{name}", args=[] if name == "add" else [entry.pk])
    client = client_for(head)
    base = reverse("activity_log:index")
    for path in (f"edit/{entry.pk}/", f"delete/{entry.pk}/", "new/"):
        assert client.post(base + path, {"description": "x"}).status_code == 404
    entry.description = "tampered"
    with pytest.raises(ValueError, match="cannot be changed"):
        entry.save()
    with pytest.raises(ValueError, match="cannot be deleted"):
        entry.delete()
    assert ActivityLog.objects.get(pk=entry.pk).description != "tampered"
    # Nobody's group may add, change or delete entries.
    for role in Role:
        user = UserFactory(role=role)
        for action in ("add", "change", "delete"):
            assert not user.has_perm(f"records.{action}_activitylog"), (role, action)


# --- Pruning ---------------------------------------------------------------------------


def _aged(days: int) -> ActivityLog:
    entry = activity_record(action="login", entity_type="user", description=f"{days}d")
    ActivityLog.objects.filter(pk=entry.pk).update(
        timestamp=timezone.now() - timedelta(days=days)
    )
    return entry


def test_prune_activity_removes_only_old_entries():
    old, older, recent = _aged(400), _aged(800), _aged(10)
    out = StringIO()
    call_command("prune_activity", "--dry-run", stdout=out)
    assert out.getvalue().startswith("2 ")
    assert ActivityLog.objects.filter(pk__in=[old.pk, older.pk]).count() == 2

    call_command("prune_activity", "--batch-size", "1", stdout=StringIO())
    assert not ActivityLog.objects.filter(pk__in=[old.pk, older.pk]).exists()
    assert ActivityLog.objects.filter(pk=recent.pk).exists()

    call_command("prune_activity", "--older-than", "1w", stdout=StringIO())
    assert not ActivityLog.objects.filter(pk=recent.pk).exists()


@pytest.mark.parametrize("value", ["365", "ten days", "0d", "5y"])
def test_prune_activity_refuses_unclear_ages(value):
    with pytest.raises(CommandError):
        call_command("prune_activity", "--older-than", value)


# --- Property 20, with hypothesis ----------------------------------------------------------

EDITS = {
    "full_name_english": st.sampled_from(["Rahim Uddin", "Karim Ali", "Student 0"]),
    "father_name": st.sampled_from(["Abdul Karim", "Abdul Jabbar", "Nur Islam"]),
    "mother_name": st.sampled_from(["Rokeya Begum", "Salma Begum"]),
    "semester": st.integers(min_value=1, max_value=8),
    "shift": st.sampled_from([Shift.MORNING.value, Shift.DAY.value]),
    "gender": st.sampled_from(["male", "female"]),
    "guardian_mobile": st.sampled_from(["01712345678", "01898765432"]),
}


class Property20(HypothesisTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.head = UserFactory(role=Role.INSTITUTE_HEAD, username="p20_head")
        department = DepartmentFactory(code="P20")
        cls.student = StudentFactory(
            department=department, session=AcademicSessionFactory()
        )

    @given(edits=st.fixed_dictionaries({}, optional=EDITS))
    def test_an_update_logs_exactly_the_changed_fields(self, edits):
        student = Student.objects.get(pk=self.student.pk)
        before = snapshot(student)
        start = mark()
        services.student_update(student=student, acting_user=self.head, **edits)
        expected = {
            name: {"before": before[name], "after": value}
            for name, value in edits.items()
            if before[name] != value
        }
        entries = list(entries_after(start))
        if not expected:
            assert entries == []  # nothing changed, nothing happened
            return
        (entry,) = entries
        assert entry.action_type == ActivityAction.UPDATE
        assert entry.entity_id == str(student.pk)
        assert entry.changes == expected
        assert entry.user == self.head


def test_the_settings_menu_shows_the_log_to_head_and_registrars_only(
    head, cst_registrar, active_teacher
):
    home = reverse("wagtailadmin_home")
    url = reverse("activity_log:index")
    assert url in client_for(head).get(home).content.decode()
    assert url in client_for(cst_registrar).get(home).content.decode()
    assert url not in client_for(active_teacher).get(home).content.decode()
