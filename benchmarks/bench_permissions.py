"""Object-level permissions: the cost of a scoped student listing.

50,000 students (6 departments x 8 semesters x 2 shifts, one session) are
loaded with PostgreSQL COPY. A teacher is given three routine slots in one
department through ``services.routine_create`` (so the guardian grants exist);
the student listing is then timed for that teacher (scoped to the departments
they teach in) and, as the baseline, for a superuser (unscoped), in the same
run. The query count of pages 1 and 2 shows that the scope costs a constant
number of queries, not one per row.

Goal: the teacher's listing within 2x of the superuser's (ratio >= 0.5) and
the same number of queries on every page. When the goal is missed the slowest
query of the teacher's page is printed with EXPLAIN ANALYZE.
"""

from __future__ import annotations

import time
from datetime import date
from datetime import time as clock

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from .timing import median, p95, sample

PREFIX = "permissions_"

STUDENTS = 50_000
DEPARTMENTS = 6
SEMESTERS = 8
SHIFTS = ("morning", "day")
REQUESTS = 50
CODE = "PRM"  # department codes PRM0..PRM5: apart from other benchmarks' data


def _student_rows(departments, session):
    from records.models import Gender, Student, StudentStatus

    fields = [f for f in Student._meta.concrete_fields if f.name != "id"]
    groups = [
        (d, sem, shift) for d in departments for sem in range(1, 9) for shift in SHIFTS
    ]
    per_group, extra = divmod(STUDENTS, len(groups))
    now = timezone.now()
    year = session.start_date.year
    for index, (department, semester, shift) in enumerate(groups):
        for n in range(per_group + (1 if index < extra else 0)):
            values = {
                "full_name_english": f"Bench Student {department.code}-{index}-{n}",
                "full_name_bangla": f"ছাত্র {index}-{n}",
                "father_name": "Abdul Karim",
                "mother_name": "Rokeya Begum",
                "date_of_birth": date(2006, 1, 1),
                "gender": Gender.MALE if n % 2 else Gender.FEMALE,
                "guardian_mobile": "01712345678",
                "department_id": department.pk,
                "semester": semester,
                "shift": shift,
                "session_id": session.pk,
                "current_roll_number": (
                    f"{department.code}-{year % 100:02d}{shift[0].upper()}"
                    f"-{semester}-{n:04d}"
                ),
                "current_registration_number": (
                    f"{year}-{department.code}-{index:02d}{n:04d}"
                ),
                "status": StudentStatus.ACTIVE,
                "created_at": now,
                "updated_at": now,
            }
            row = []
            for field in fields:
                if field.attname in values:
                    row.append(values[field.attname])
                elif field.null:
                    row.append(None)
                else:
                    default = field.get_default()
                    row.append("" if default is None else default)
            yield row


def load(log=print):
    """Departments, a session, subjects, routines, students, and the teacher."""
    from records import services
    from records.models import (
        AcademicSession,
        Student,
        Subject,
        Teacher,
        User,
        Weekday,
    )
    from records.roles import AccountStatus, Role

    started = time.perf_counter()
    departments = [
        services.department_create(code=f"{CODE}{d}", name=f"Permissions bench {d}")
        for d in range(DEPARTMENTS)
    ]
    session = AcademicSession.objects.filter(is_current=True).first()
    if session is None:
        session = services.academic_session_create(
            name="2090-91",
            start_date=date(2090, 7, 1),
            end_date=date(2091, 6, 30),
            is_current=True,
        )
    subjects = {
        (d.pk, sem): services.subject_create(
            code=f"{d.code}-{sem}01",
            name=f"{d.code} subject {sem}",
            department=d,
            semester=sem,
        )
        for d in departments
        for sem in range(1, SEMESTERS + 1)
    }

    fields = [f for f in Student._meta.concrete_fields if f.name != "id"]
    columns = ", ".join(f.column for f in fields)
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        sql = f"COPY {Student._meta.db_table} ({columns}) FROM STDIN"
        with cursor.copy(sql) as copy:
            for row in _student_rows(departments, session):
                copy.write_row(row)
        cursor.execute(f"ANALYZE {Student._meta.db_table}")
    loaded = time.perf_counter() - started

    account = User.objects.filter(username="bench_permissions_teacher").first()
    if account is None:
        account = services.user_create(
            username="bench_permissions_teacher", password=None, role=Role.TEACHER
        )
        services.user_set_account_status(
            user=account, account_status=AccountStatus.ACTIVE
        )
    teacher = services.teacher_create(
        full_name_english="Bench Teacher",
        designation="Instructor",
        department=departments[0],
        email="bench.permissions.teacher@example.edu.bd",
        user=account,
    )
    # The teacher's three slots (department 0) and one slot per other group.
    for d_index, department in enumerate(departments):
        for semester in (1, 2, 3):
            services.routine_create(
                department=department,
                semester=semester,
                shift="morning",
                session=session,
                day_of_week=Weekday.SUNDAY,
                start_time=clock(8 + semester, 0),
                end_time=clock(8 + semester, 45),
                subject=subjects[(department.pk, semester)],
                teacher=teacher if d_index == 0 else None,
                room_number=f"{department.code}-{semester}",
            )
    superuser = User.objects.filter(username="bench_permissions_admin").first()
    if superuser is None:
        superuser = User.objects.create_superuser(
            username="bench_permissions_admin",
            email="bench.admin@example.edu.bd",
            password=None,
            role=Role.INSTITUTE_HEAD,
        )
    assert Teacher.objects.get(user=account).pk == teacher.pk
    assert Subject.objects.filter(department__in=departments).count() == 48
    log(
        f"  loaded {STUDENTS} students in {loaded:.1f}s "
        f"(setup {time.perf_counter() - started:.1f}s)"
    )
    return account, superuser, departments, loaded


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _queries(client, url, page: int):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"p": page} if page > 1 else {})
    assert response.status_code == 200, response.status_code
    return ctx.captured_queries, response


def _explain_slowest(client, url, log=print) -> None:
    queries, _response = _queries(client, url, 1)
    timed = []
    for q in queries:
        sql = q["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        timed.append((float(q["time"]), sql))
    for _elapsed, sql in sorted(timed, reverse=True)[:2]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            log("  EXPLAIN ANALYZE " + sql[:300])
            for (line,) in cursor.fetchall():
                log("    " + line)


def run(report) -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError("The permissions benchmark loads its data with COPY.")
    teacher_user, superuser, departments, loaded = load()
    report("permissions_load_students_seconds", loaded, "s")

    url = reverse("students:index")
    teacher_client, super_client = _client(teacher_user), _client(superuser)

    # The scope really narrows: one department of six.
    from records.models import Student, User
    from records.permissions import scope_queryset

    teacher_total = scope_queryset(
        User.objects.get(pk=teacher_user.pk), Student.objects.all()
    ).count()
    super_total = Student.objects.count()
    assert 0 < teacher_total < super_total, (teacher_total, super_total)

    # Interleave the two so both see the same cache and machine state.
    super_times, teacher_times = [], []
    for _round in range(5):
        super_times += sample(lambda: super_client.get(url), repeat=REQUESTS // 5)
        teacher_times += sample(lambda: teacher_client.get(url), repeat=REQUESTS // 5)

    report("permissions_superuser_listing_median", median(super_times), "ms")
    report("permissions_superuser_listing_p95", p95(super_times), "ms")
    report(
        "permissions_teacher_listing_median",
        median(teacher_times),
        "ms",
        baseline_name="superuser_listing",
        baseline_value=median(super_times),
    )
    report(
        "permissions_teacher_listing_p95",
        p95(teacher_times),
        "ms",
        baseline_name="superuser_listing",
        baseline_value=p95(super_times),
    )

    counts = {}
    for who, client in (("teacher", teacher_client), ("superuser", super_client)):
        for page in (1, 2):
            counts[who, page] = len(_queries(client, url, page)[0])
    report("permissions_teacher_listing_queries", counts["teacher", 1], "queries")
    report("permissions_teacher_listing_page2_queries", counts["teacher", 2], "queries")
    report("permissions_superuser_listing_queries", counts["superuser", 1], "queries")
    print(
        f"  rows: teacher sees {teacher_total} of {super_total} students; "
        f"queries page1/page2: teacher {counts['teacher', 1]}/{counts['teacher', 2]}, "
        f"superuser {counts['superuser', 1]}/{counts['superuser', 2]}",
        flush=True,
    )
    constant = counts["teacher", 1] == counts["teacher", 2]
    ratio = median(super_times) / median(teacher_times)
    if not constant or ratio < 0.5:
        print(
            f"  GOAL MISSED: ratio={ratio:.2f} (want >= 0.5), "
            f"constant queries={constant}",
            flush=True,
        )
        _explain_slowest(teacher_client, url)
