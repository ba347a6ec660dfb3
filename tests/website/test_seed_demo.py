"""The demo institute: its shape, its rules, idempotence and the demo logins.

Most tests share one small institute of the real shape (3 students a class
group, 2 weeks of attendance), built once for the module inside a transaction
that is rolled back afterwards. One test builds the full default size.
"""

import hashlib
import time
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from records import selectors
from records.models import (
    AcademicSession,
    Alumni,
    AttendanceRecord,
    ClassRoutine,
    Department,
    ExamType,
    MarksRecord,
    Student,
    StudentStatus,
    Subject,
    Teacher,
    User,
    Weekday,
)
from records.roles import AccountStatus, Role
from records.validators import MOBILE_RE
from website.demo import (
    ALUMNI_PER_DEPARTMENT_SHIFT,
    DEMO_CLASS_GROUP,
    DEMO_USERS,
    build_demo_institute,
    current_session_bounds,
)

SMALL = ["--students-per-group", "3", "--attendance-weeks", "2"]


@pytest.mark.django_db
def test_full_size_demo_has_about_2000_students_in_96_class_groups():
    # First in the module, before the shared small institute exists.
    assert not Student.objects.exists()
    started = time.perf_counter()
    build_demo_institute()
    elapsed = time.perf_counter() - started
    groups = (
        Student.objects.filter(status=StudentStatus.ACTIVE)
        .values("department", "semester", "shift")
        .annotate(n=Count("id"))
    )
    assert len(groups) == 96
    assert all(15 <= group["n"] <= 22 for group in groups)
    assert 1900 <= Student.objects.count() <= 2100
    assert AttendanceRecord.objects.count() > 50_000
    print(f"full demo built in {elapsed:.1f} s")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The small demo institute and what `seed_demo` printed."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", *SMALL, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def snapshot() -> dict:
    """Row counts and a hash of the key columns of everything the demo builds."""
    tables = {
        "departments": Department.objects.order_by("code").values_list(
            "code", "name", "head__email"
        ),
        "sessions": AcademicSession.objects.order_by("name").values_list(
            "name", "start_date", "end_date", "is_current"
        ),
        "users": User.objects.order_by("username").values_list(
            "username", "role", "account_status", "first_name", "last_name"
        ),
        "teachers": Teacher.objects.order_by("email").values_list(
            "email", "full_name_english", "department__code", "user__username"
        ),
        "subjects": Subject.objects.order_by("code").values_list(
            "code", "name", "semester", "credits"
        ),
        "routines": ClassRoutine.objects.order_by("pk").values_list(
            "department__code",
            "semester",
            "shift",
            "day_of_week",
            "start_time",
            "end_time",
            "subject__code",
            "teacher__email",
            "room_number",
        ),
        "students": Student.objects.order_by("current_roll_number").values_list(
            "current_roll_number",
            "current_registration_number",
            "full_name_english",
            "semester",
            "status",
            "user__username",
        ),
        "attendance": AttendanceRecord.objects.order_by("pk").values_list(
            "student_id", "subject_id", "date", "is_present"
        ),
        "marks": MarksRecord.objects.order_by("pk").values_list(
            "student_id", "subject_id", "exam_type", "marks_obtained", "total_marks"
        ),
        "alumni": Alumni.objects.order_by("student_id").values_list(
            "student_id", "graduation_year", "current_occupation"
        ),
    }
    result = {}
    for name, rows in tables.items():
        digest, count = hashlib.sha256(), 0
        for row in rows.iterator():
            digest.update(repr(row).encode())
            count += 1
        result[name] = (count, digest.hexdigest())
    return result


@pytest.mark.django_db
def test_seed_demo_prints_the_logins_and_a_summary(demo, settings):
    for login in DEMO_USERS:
        assert login.username in demo
    assert settings.CAMPUSDESK_DEMO_PASSWORD in demo
    assert "6 departments" in demo
    assert "in 96 class groups" in demo
    assert "attendance records" in demo


@pytest.mark.django_db
def test_departments_session_teachers_and_subjects(demo):
    assert set(Department.objects.values_list("code", flat=True)) == {
        "CST",
        "CT",
        "ET",
        "MT",
        "ENT",
        "PT",
    }
    assert not Department.objects.filter(head__isnull=True).exists()
    assert AcademicSession.objects.filter(is_current=True).count() == 1
    assert Teacher.objects.count() >= 30
    per_semester = Subject.objects.values("department", "semester").annotate(
        n=Count("id")
    )
    assert len(per_semester) == 6 * 8
    assert {row["n"] for row in per_semester} <= {5, 6}
    assert Subject.objects.get(code="CST-301").name == "Object Oriented Programming"


@pytest.mark.django_db
def test_every_class_group_has_a_clash_free_weekly_routine(demo):
    groups = ClassRoutine.objects.values("department", "semester", "shift").distinct()
    assert groups.count() == 96
    assert set(ClassRoutine.objects.values_list("day_of_week", flat=True)) == set(
        Weekday.values
    )
    overlapping = ClassRoutine.objects.filter(
        is_active=True,
        session=OuterRef("session"),
        day_of_week=OuterRef("day_of_week"),
        start_time__lt=OuterRef("end_time"),
        end_time__gt=OuterRef("start_time"),
    ).exclude(pk=OuterRef("pk"))
    same_room = overlapping.filter(room_number__iexact=OuterRef("room_number"))
    same_teacher = overlapping.filter(teacher=OuterRef("teacher"))
    same_group = overlapping.filter(
        department=OuterRef("department"),
        semester=OuterRef("semester"),
        shift=OuterRef("shift"),
    )
    active = ClassRoutine.objects.active()
    assert active.count() > 96 * 8
    assert not active.filter(Exists(same_room)).exists()
    assert not active.filter(Exists(same_teacher)).exists()
    assert not active.filter(Exists(same_group)).exists()
    # The test's query finds a clash when there is one.
    slot = active.first()
    assert active.filter(Exists(same_group) | Q(pk=slot.pk)).exists()


@pytest.mark.django_db
def test_students_look_like_bangladeshi_polytechnic_students(demo):
    students = Student.objects.all()
    assert (
        students.filter(status=StudentStatus.ACTIVE)
        .values("department", "semester", "shift")
        .distinct()
        .count()
        == 96
    )
    for student in students[:200]:
        assert any("\u0980" <= ch <= "\u09ff" for ch in student.full_name_bangla)
        assert student.father_name and student.mother_name
        assert MOBILE_RE.match(student.guardian_mobile)
        assert not student.mobile_student or MOBILE_RE.match(student.mobile_student)
        assert student.permanent_village and student.permanent_district
        assert student.permanent_upazila and student.permanent_division
        assert Decimal("3.00") <= student.previous_exam_gpa <= Decimal("5.00")
        assert student.previous_exam_board and student.previous_exam_passing_year
        assert student.date_of_birth.year == student.previous_exam_passing_year - 16
    assert students.filter(gender="female").exists()


@pytest.mark.django_db
def test_attendance_only_on_scheduled_days_and_never_in_the_future(demo):
    today = timezone.localdate()
    records = AttendanceRecord.objects.all()
    assert records.count() > 1000
    assert records.filter(date__gt=today).count() == 0
    scheduled = set(
        ClassRoutine.objects.active().values_list(
            "department", "semester", "shift", "subject", "day_of_week"
        )
    )
    sittings = records.values_list(
        "student__department",
        "semester",
        "student__shift",
        "subject",
        "date",
    ).distinct()
    for department, semester, shift, subject, day in sittings:
        key = (department, semester, shift, subject, Weekday.of(day))
        assert key in scheduled, (key, day)
    present = records.filter(is_present=True).count() / records.count()
    assert 0.8 < present < 0.95
    rates = Student.objects.filter(status=StudentStatus.ACTIVE).annotate(
        total=Count("attendance"),
        present=Count("attendance", filter=Q(attendance__is_present=True)),
    )
    low = [s for s in rates if s.total and s.present / s.total < 0.75]
    assert len(low) >= 5


@pytest.mark.django_db
def test_marks_include_some_failures(demo):
    midterms = MarksRecord.objects.filter(exam_type=ExamType.MIDTERM)
    assert midterms.exists()
    failing = midterms.filter(marks_obtained__lt=F("total_marks") * Decimal("0.4"))
    assert failing.exists()
    assert MarksRecord.objects.filter(exam_type=ExamType.PRACTICAL).exists()


@pytest.mark.django_db
def test_some_students_discontinued_with_reasons(demo):
    discontinued = Student.objects.filter(status=StudentStatus.DISCONTINUED)
    assert discontinued.exists()
    assert not discontinued.filter(discontinued_reason="").exists()
    assert not discontinued.filter(discontinued_at__isnull=True).exists()


@pytest.mark.django_db
def test_alumni_have_complete_results(demo):
    alumni = Alumni.objects.select_related("student")
    assert alumni.count() == 6 * 2 * ALUMNI_PER_DEPARTMENT_SHIFT
    for alumnus in alumni:
        student = alumnus.student
        assert student.status == StudentStatus.ALUMNI
        assert student.semester == 8
        results = selectors.student_semester_results(student=student)
        assert [r.semester for r in results if r.complete] == list(range(1, 9))
        assert selectors.student_semesters_missing_results(student=student) == []


@pytest.mark.django_db
def test_demo_student_captain_and_teacher_share_a_class(demo):
    code, semester, shift = DEMO_CLASS_GROUP
    student = Student.objects.get(user__username="student")
    captain = Student.objects.get(user__username="captain")
    for profile in (student, captain):
        assert (profile.department.code, profile.semester, profile.shift) == (
            code,
            semester,
            shift,
        )
        assert profile.status == StudentStatus.ACTIVE
        assert profile.attendance.exists()
    teacher = Teacher.objects.get(user__username="teacher")
    assert teacher.department.code == "CST"
    assert teacher.routines.filter(
        department__code=code, semester=semester, shift=shift
    ).exists()


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing(demo, django_assert_max_num_queries):
    before = snapshot()
    with django_assert_max_num_queries(40):
        call_command("seed_demo", "--quiet-logins", *SMALL, stdout=StringIO())
    assert snapshot() == before


@pytest.mark.django_db
def test_every_demo_login_signs_in_with_its_role(demo, client, settings):
    for login in DEMO_USERS:
        user = User.objects.get(username=login.username)
        assert user.role == login.role
        assert user.account_status == AccountStatus.ACTIVE
        response = client.post(
            reverse("accounts:login"),
            {"username": login.username, "password": settings.CAMPUSDESK_DEMO_PASSWORD},
        )
        assert response.status_code == 302, login
        admin = client.get("/admin/")
        expected = (
            200
            if login.role in (Role.REGISTRAR, Role.INSTITUTE_HEAD, Role.TEACHER)
            else 403
        )
        assert admin.status_code == expected, login
        client.logout()
    assert isinstance(User.objects.get(username="teacher").profile, Teacher)
    assert isinstance(User.objects.get(username="student").profile, Student)


def test_current_session_follows_the_calendar():
    assert current_session_bounds(date(2026, 11, 23))[0] == "2026-27"
    assert current_session_bounds(date(2027, 3, 1))[0] == "2026-27"
    assert current_session_bounds(date(2027, 7, 1))[0] == "2027-28"


def test_the_desk_is_never_empty_and_the_public_pages_are_live(demo, client):
    from website.models import AdmissionFormPage, TeacherSignupPage
    from workflows.models import (
        AdmissionApplication,
        CorrectionRequest,
        RequestStatus,
        TeacherSignupRequest,
    )

    statuses = set(AdmissionApplication.objects.values_list("status", flat=True))
    assert statuses == {"pending", "approved", "rejected", "returned"}
    stages = set(
        AdmissionApplication.objects.filter(status=RequestStatus.PENDING).values_list(
            "stage__name", flat=True
        )
    )
    assert stages == {"Registrar review", "Head approval"}
    assert TeacherSignupRequest.objects.filter(status="pending").exists()
    assert CorrectionRequest.objects.filter(status="pending").exists()
    from website.models import HomePage

    if not HomePage.objects.exists():
        pytest.skip("the site's home page (migration data) was emptied by a test")
    admission = AdmissionFormPage.objects.live().get()
    assert client.get(admission.url).status_code == 200
    assert client.get(TeacherSignupPage.objects.live().get().url).status_code == 200
