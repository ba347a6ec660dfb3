"""A university-sized dataset for the dashboard benchmark, loaded fast (PostgreSQL).

``build_dataset()`` fills a migrated benchmark database: 6 departments (the
demo institute's CST, CT, ET, MT, ENT, PT; a department code is capitals and
digits, so "EnT" is ENT), 3 academic sessions (the current one marked), 10
teachers per department, the demo curriculum (5-6 subjects per department and
semester), a clash-free weekly routine for every class group (department x
semester x shift x session), then with COPY:

- students spread over class groups (bigger departments, the current session
  largest), Bangla and English names, 01x mobiles; mostly active, some
  discontinued (with a reason), semester-8 students of older sessions mostly
  graduated;
- attendance as sittings: one date x one subject x one class group, for every
  student of the group (discontinued ones until they left), only on a weekday
  the group has that subject in its routine, never a holiday or a future
  date, over the last ``DAYS`` days up to today. There are more possible
  sittings than the target count: sittings are sampled (some departments
  record more diligently) until the count is reached. Presence averages about
  85 % and varies by department, subject, date and student (some students are
  chronically absent);
- marks as sheets: one exam type x one subject x one class group, for every
  active student of the group, sampled until the target count; percentages
  10-100 (about one in seven below 40 %), correlated with attendance;
- admission applications submitted over the last year (pending and returned
  ones at a stage of the admission workflow, decided ones with who and when;
  approved ones linked to a first-semester student where there is one);
- some correction requests.

The rows keep the models' rules (unique constraints, check constraints, the
attendance/routine rule, semester = the subject's semester = the student's).
No history rows are written and validation is skipped: this is throwaway
benchmark data. With ``reset`` (the default) the student, attendance, marks,
application and correction tables are emptied first (TRUNCATE ... CASCADE).

``python -m benchmarks.dashboard_data`` is a self-check: a throwaway server,
migrate, build, print timings and row counts.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

DAYS = 120  # attendance and marks: the last DAYS days up to today
APPLICATION_DAYS = 365
SESSIONS = 3
TEACHERS_PER_DEPARTMENT = 10

# Relative sizes and habits. Department: (student weight, presence base,
# how diligently attendance is recorded).
DEPARTMENT_SHAPE = {
    "CST": (1.35, 0.885, 1.25),
    "CT": (1.10, 0.835, 0.90),
    "ET": (1.00, 0.860, 1.00),
    "MT": (0.90, 0.800, 0.80),
    "ENT": (0.85, 0.875, 1.10),
    "PT": (0.80, 0.820, 0.95),
}
SESSION_WEIGHTS = [0.22, 0.33, 0.45]  # oldest .. current
SEMESTER_WEIGHTS = [1.15, 1.1, 1.05, 1.0, 1.0, 0.95, 0.9, 0.85]
SHIFT_WEIGHTS = {"morning": 0.55, "day": 0.45}
DISCONTINUED_SHARE = 0.04
LOW_ATTENDANCE_SHARE = 0.08
# Exam type: (total marks, days ago the sheet is entered: (min, max), mean shift).
EXAMS = {
    "midterm": (Decimal("30"), (40, 100), 0.0),
    "final": (Decimal("100"), (0, 30), -3.0),
    "assignment": (Decimal("20"), (0, DAYS - 1), 6.0),
    "practical": (Decimal("50"), (0, 60), 4.0),
}


def _say(log, message: str) -> None:
    if log is not None:
        log(message)


def build_dataset(
    students: int = 50_000,
    attendance: int = 3_000_000,
    marks: int = 300_000,
    applications: int = 20_000,
    seed: int = 1,
    *,
    corrections: int | None = None,
    reset: bool = True,
    summaries: bool = True,
    log=None,
) -> dict:
    """Fill the benchmark database; return ids, date range, counts and timings.

    The returned dict: ``departments`` ({code: id}), ``department_ids``,
    ``sessions`` ({name: id}), ``session_ids``, ``current_session_id``,
    ``date_from``/``date_to`` (the attendance window), ``applications_from``,
    ``subject_ids``, ``counts`` (rows per kind), ``student_statuses``,
    ``application_statuses``,
    ``correction_statuses``, ``presence_rate``, ``failing_share``,
    ``timings`` (seconds per step), ``summaries_seconds`` (None when
    ``manage.py rebuild_summaries`` does not exist or ``summaries`` is off)
    and ``seconds`` (all of it, summaries included).
    """
    from django.db import connection
    from django.utils import timezone

    if connection.vendor != "postgresql":
        raise RuntimeError("The dashboard dataset is loaded with PostgreSQL COPY.")
    if corrections is None:
        corrections = max(50, students // 100)
    rng = random.Random(seed)
    today = timezone.localdate()
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = now - since
        _say(log, f"  {name}: {now - since:.2f} s")
        return now

    mark = time.perf_counter()
    if reset:
        _reset()
        mark = step("reset", mark)
    structure = _structure(today)
    mark = step("structure", mark)
    roster = _students(rng, structure, students, today)
    mark = step("students", mark)
    attendance_info = _attendance(rng, structure, roster, attendance, today)
    mark = step("attendance", mark)
    marks_info = _marks(rng, structure, roster, marks, today)
    mark = step("marks", mark)
    application_statuses = _applications(rng, structure, roster, applications, today)
    correction_statuses = _corrections(rng, structure, roster, corrections, today)
    mark = step("applications", mark)
    _sequences(structure, roster)
    # VACUUM (visibility map: index-only scans, as on a settled database)
    # cannot run inside a transaction; ANALYZE can.
    analyze = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in structure["analyze"]:
            cursor.execute(f"{analyze} {model._meta.db_table}")
    mark = step("vacuum_analyze", mark)

    summaries_seconds = None
    if summaries:
        from django.core.management import call_command, get_commands

        if "rebuild_summaries" in get_commands():
            call_command("rebuild_summaries", verbosity=0)
            summaries_seconds = time.perf_counter() - mark
            mark = step("rebuild_summaries", mark)
        else:
            _say(log, "  rebuild_summaries: no such command yet, skipped")

    sessions = structure["sessions"]
    return {
        "departments": {code: d.pk for code, d in structure["departments"].items()},
        "department_ids": [d.pk for d in structure["departments"].values()],
        "sessions": {s.name: s.pk for s in sessions},
        "session_ids": [s.pk for s in sessions],
        "current_session_id": sessions[-1].pk,
        "date_from": today - timedelta(days=DAYS - 1),
        "date_to": today,
        "applications_from": today - timedelta(days=APPLICATION_DAYS - 1),
        "subject_ids": sorted(s.pk for s in structure["subjects"].values()),
        "counts": {
            "departments": len(structure["departments"]),
            "sessions": len(sessions),
            "teachers": structure["teacher_count"],
            "subjects": len(structure["subjects"]),
            "routines": structure["routine_count"],
            "students": len(roster["students"]),
            "active_students": roster["active"],
            "attendance": attendance_info["rows"],
            "sittings": attendance_info["sittings"],
            "marks": marks_info["rows"],
            "mark_sheets": marks_info["sheets"],
            "applications": sum(application_statuses.values()),
            "applications_with_student": structure["applications_linked"],
            "attendance_possible": attendance_info["possible"],
            "correction_requests": sum(correction_statuses.values()),
        },
        "student_statuses": {str(k): v for k, v in roster["statuses"].items()},
        "application_statuses": dict(application_statuses),
        "correction_statuses": dict(correction_statuses),
        "presence_rate": attendance_info["presence_rate"],
        "failing_share": marks_info["failing_share"],
        "timings": timings,
        "summaries_seconds": summaries_seconds,
        "seconds": time.perf_counter() - started,
    }


# --- Reset and structure ---------------------------------------------------------------


def _reset() -> None:
    from django.db import connection

    from records.models import Alumni, AttendanceRecord, Document, MarksRecord, Student
    from workflows.models import (
        AdmissionApplication,
        AdmissionDocument,
        CorrectionDocument,
        CorrectionRequest,
        RequestKind,
        WorkflowAction,
    )

    tables = [
        m._meta.db_table
        for m in (
            AttendanceRecord,
            MarksRecord,
            CorrectionDocument,
            CorrectionRequest,
            AdmissionDocument,
            AdmissionApplication,
            Alumni,
            Document,
            Student,
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    WorkflowAction.objects.filter(
        kind__in=[RequestKind.ADMISSION, RequestKind.CORRECTION]
    ).delete()


def _structure(today: date) -> dict:
    """Departments, sessions, teachers, subjects, routines: made when missing.

    ``bulk_create`` (no history rows); what exists (e.g. from another
    benchmark's loader, which uses the same demo curriculum) is reused.
    """
    from records.models import (
        AcademicSession,
        AttendanceRecord,
        ClassRoutine,
        Department,
        MarksRecord,
        Student,
        Subject,
        Teacher,
    )
    from website import demo
    from workflows.models import AdmissionApplication, CorrectionRequest, Workflow

    departments = {}
    for code, name, name_bn, short in demo.DEPARTMENTS:
        found = Department.objects.filter(code=code).first()
        if found is None:
            (found,) = Department.objects.bulk_create(
                [
                    Department(
                        code=code, name=name, name_bangla=name_bn, short_name=short
                    )
                ]
            )
        departments[code] = found

    _name, current_start, _end = demo.current_session_bounds(today)
    sessions = []
    for year in range(current_start.year - SESSIONS + 1, current_start.year + 1):
        name = f"{year}-{(year + 1) % 100:02d}"
        found = AcademicSession.objects.filter(name=name).first()
        if found is None:
            (found,) = AcademicSession.objects.bulk_create(
                [
                    AcademicSession(
                        name=name,
                        start_date=date(year, 7, 1),
                        end_date=date(year + 1, 6, 30),
                    )
                ]
            )
        sessions.append(found)
    current = sessions[-1]
    if not current.is_current:
        AcademicSession.objects.filter(is_current=True).update(is_current=False)
        AcademicSession.objects.filter(pk=current.pk).update(is_current=True)
        current.is_current = True

    trng = random.Random("dashboard-teachers")
    emails: dict[str, list[str]] = {}
    new_teachers = []
    for code, department in departments.items():
        emails[code] = [
            f"{code.lower()}.dash{n + 1}@bench.campusdesk.edu.bd"
            for n in range(TEACHERS_PER_DEPARTMENT)
        ]
        have = set(
            Teacher.objects.filter(email__in=emails[code]).values_list(
                "email", flat=True
            )
        )
        for n, email in enumerate(emails[code]):
            given = trng.choice(demo.MALE_GIVEN + demo.FEMALE_GIVEN)
            family = trng.choice(demo.FAMILY)
            if email in have:
                continue
            new_teachers.append(
                Teacher(
                    full_name_english=f"{given[0]} {family[0]}",
                    full_name_bangla=f"{given[1]} {family[1]}",
                    designation=demo.TEACHER_DESIGNATIONS[
                        n % len(demo.TEACHER_DESIGNATIONS)
                    ],
                    department=department,
                    email=email,
                    mobile_number=f"01{trng.choice('3456789')}{trng.randrange(10**8):08d}",
                    joining_date=date(2010 + n, 1 + n % 12, 1),
                )
            )
    Teacher.objects.bulk_create(new_teachers)
    teachers = {
        t.email: t
        for t in Teacher.objects.filter(
            email__in=[e for es in emails.values() for e in es]
        )
    }

    curricula = {code: demo.subject_specs(code) for code in departments}
    codes = [spec.code for specs in curricula.values() for spec in specs]
    existing = set(
        Subject.objects.filter(code__in=codes).values_list("code", flat=True)
    )
    Subject.objects.bulk_create(
        Subject(
            code=spec.code,
            name=spec.name,
            name_bangla=spec.name_bangla,
            department=departments[code],
            semester=spec.semester,
            credits=spec.credits,
        )
        for code, specs in curricula.items()
        for spec in specs
        if spec.code not in existing
    )
    subjects = {s.code: s for s in Subject.objects.filter(code__in=codes)}
    practical = {
        subjects[spec.code].pk
        for specs in curricula.values()
        for spec in specs
        if spec.practical and spec.code in subjects
    }

    plan = demo.plan_timetable(curricula, emails)
    new_routines = []
    for session in sessions:
        if ClassRoutine.objects.filter(session=session, is_active=True).exists():
            continue  # a routine is there already: attendance follows it
        new_routines.extend(
            ClassRoutine(
                department=departments[slot.department],
                semester=slot.semester,
                shift=slot.shift,
                session=session,
                day_of_week=slot.day,
                start_time=slot.start_time,
                end_time=slot.end_time,
                subject=subjects[slot.subject],
                teacher=teachers[slot.teacher],
                room_number=slot.room,
            )
            for slot in plan
        )
    ClassRoutine.objects.bulk_create(new_routines, batch_size=2000)

    # (session, department, semester, shift) -> {weekday: {subject_id: start}}
    routine: dict[tuple, dict[int, dict[int, object]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    routine_count = 0
    for dep, sem, shift, ses, subject, day, start in ClassRoutine.objects.filter(
        session__in=sessions, department__in=departments.values(), is_active=True
    ).values_list(
        "department_id",
        "semester",
        "shift",
        "session_id",
        "subject_id",
        "day_of_week",
        "start_time",
    ):
        routine_count += 1
        slots = routine[(ses, dep, sem, shift)][day]
        if subject not in slots or start < slots[subject]:
            slots[subject] = start

    workflows = {
        w.kind: list(w.stages.order_by("order")) for w in Workflow.objects.all()
    }
    return {
        "departments": departments,
        "sessions": sessions,
        "subjects": subjects,
        "subjects_by_id": {s.pk: s for s in subjects.values()},
        "practical": practical,
        "routine": routine,
        "routine_count": routine_count,
        "teacher_count": len(teachers),
        "stages": workflows,
        "reviewers": _reviewers(),
        "analyze": [
            Student,
            AttendanceRecord,
            MarksRecord,
            AdmissionApplication,
            CorrectionRequest,
        ],
    }


def _reviewers() -> dict:
    """A registrar and an institute head who decided the requests (no history)."""
    from django.contrib.auth.models import Group

    from records.models import User
    from records.roles import Role

    users = {}
    for username, role, group in (
        ("dash-registrar", Role.REGISTRAR, "Registrars"),
        ("dash-head", Role.INSTITUTE_HEAD, "Institute heads"),
    ):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=role)
            user.set_unusable_password()
            (user,) = User.objects.bulk_create([user])
        found = Group.objects.filter(name=group).first()
        if found is not None:
            user.groups.add(found)
        users[role] = user
    return {"registrar": users[Role.REGISTRAR], "head": users[Role.INSTITUTE_HEAD]}


# --- COPY helpers ------------------------------------------------------------------------


def _copier(model, *, with_pk: bool):
    """(column names, dict -> row) for COPY of a model's concrete fields."""
    from django.db import models

    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    plan = []
    for f in fields:
        if f.null:
            default = None
        elif f.has_default() and not callable(f.default):
            default = f.default
        elif isinstance(f, models.CharField | models.TextField | models.FileField):
            default = ""
        else:
            default = None  # must be given
        plan.append((f.attname, f.name, default))

    def row(values: dict) -> list:
        out = []
        for attname, name, default in plan:
            if attname in values:
                value = values[attname]
            elif name in values:
                value = values[name]
                value = getattr(value, "pk", value)
            else:
                value = default
            if isinstance(value, Decimal):
                value = str(value)
            out.append(value)
        return out

    return [f.column for f in fields], row


def _copy(model, dicts, *, with_pk: bool = False) -> int:
    from django.db import connection

    columns, row = _copier(model, with_pk=with_pk)
    sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for values in dicts:
            copy.write_row(row(values))
            count += 1
    return count


def _tz_suffix(day: date) -> str:
    from django.utils import timezone

    offset = timezone.make_aware(datetime(day.year, day.month, day.day, 12)).strftime(
        "%z"
    )
    return f"{offset[:3]}:{offset[3:]}"


# --- Students ----------------------------------------------------------------------------


def _split(total: int, weights: dict) -> dict:
    """``total`` spread over the keys by weight (largest remainder)."""
    whole = sum(weights.values())
    exact = {k: total * w / whole for k, w in weights.items()}
    sizes = {k: int(v) for k, v in exact.items()}
    rest = total - sum(sizes.values())
    for k in sorted(exact, key=lambda k: sizes[k] - exact[k])[:rest]:
        sizes[k] += 1
    return sizes


def _students(rng: random.Random, structure: dict, total: int, today: date) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from records.models import Student, StudentStatus
    from records.services import SHIFT_LETTERS
    from website import demo

    departments, sessions = structure["departments"], structure["sessions"]
    weights = {}
    for s_index, session in enumerate(sessions):
        for code, department in departments.items():
            for semester in range(1, 9):
                for shift, shift_weight in SHIFT_WEIGHTS.items():
                    weights[(session.pk, department.pk, semester, shift)] = (
                        SESSION_WEIGHTS[-len(sessions) :][s_index]
                        * DEPARTMENT_SHAPE.get(code, (1.0,))[0]
                        * SEMESTER_WEIGHTS[semester - 1]
                        * shift_weight
                    )
    sizes = _split(total, weights)
    by_pk = {d.pk: d for d in departments.values()}
    session_by_pk = {s.pk: s for s in sessions}
    current = sessions[-1]
    now = timezone.now()

    with connection.cursor() as cursor:
        table = Student._meta.db_table
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        next_id = cursor.fetchone()[0]

    groups: dict[tuple, dict] = {}
    statuses: Counter = Counter()
    rolls: Counter = Counter()
    registrations: Counter = Counter()
    first_semester: dict[tuple, list[dict]] = defaultdict(list)
    students = []  # (id, group key, status)
    rows = []
    for key in sorted(sizes, key=lambda k: (k[0], k[1], k[3], k[2])):
        session_pk, department_pk, semester, shift = key
        session, department = session_by_pk[session_pk], by_pk[department_pk]
        year = session.start_date.year
        older = current.start_date.year - year
        group = groups[key] = {"active": [], "left": [], "ids": []}
        for _n in range(sizes[key]):
            next_id += 1
            fields = demo.student_fields(
                rng,
                department=department,
                semester=semester,
                shift=shift,
                session=session,
            )
            rolls[(session_pk, department.code, shift)] += 1
            registrations[(session_pk, department.code)] += 1
            status = StudentStatus.ACTIVE
            graduated_share = (0.0, 0.35, 0.75)[min(older, 2)]
            if semester == 8 and rng.random() < graduated_share:
                status = StudentStatus.GRADUATED
            elif rng.random() < DISCONTINUED_SHARE * (1.5 if semester <= 2 else 1.0):
                status = StudentStatus.DISCONTINUED
                left = today - timedelta(days=rng.randrange(1, 300))
                fields["discontinued_reason"] = rng.choice(demo.DISCONTINUE_REASONS)
                fields["discontinued_at"] = timezone.make_aware(
                    datetime(left.year, left.month, left.day, 11)
                )
            statuses[status] += 1
            admitted = session.start_date + timedelta(days=rng.randrange(0, 60))
            fields.update(
                id=next_id,
                status=status,
                current_roll_number=(
                    f"{department.code}-{year % 100:02d}{SHIFT_LETTERS[shift]}-"
                    f"{rolls[(session_pk, department.code, shift)]:03d}"
                ),
                current_registration_number=(
                    f"{year}-{department.code}-"
                    f"{registrations[(session_pk, department.code)]:05d}"
                ),
                created_at=min(
                    now,
                    timezone.make_aware(
                        datetime.combine(admitted, datetime.min.time())
                    ),
                ),
                updated_at=now,
            )
            rows.append(fields)
            # How the student attends (an offset to the sitting's rate) and does.
            if rng.random() < LOW_ATTENDANCE_SHARE:
                offset = -rng.uniform(0.18, 0.45)
            else:
                offset = rng.gauss(0.035, 0.045)
            ability = rng.gauss(offset * 60, 12)
            entry = (f"{next_id}\t", offset, ability, next_id)
            group["ids"].append(next_id)
            if status == StudentStatus.ACTIVE:
                group["active"].append(entry)
            elif status == StudentStatus.DISCONTINUED:
                group["left"].append((fields["discontinued_at"].date(), entry))
            students.append((next_id, key, status))
            if semester == 1 and status == StudentStatus.ACTIVE:
                first_semester[(session_pk, department_pk, shift)].append(fields)
    with transaction.atomic():
        _copy(Student, rows, with_pk=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                [Student._meta.db_table, max(next_id, 1)],
            )
    return {
        "groups": groups,
        "students": students,
        "statuses": statuses,
        "active": statuses[StudentStatus.ACTIVE],
        "first_semester": first_semester,
        "rolls": rolls,
        "registrations": registrations,
        "rows": rows,
    }


# --- Attendance ----------------------------------------------------------------------------


def _attendance(
    rng: random.Random, structure: dict, roster: dict, target: int, today: date
) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from benchmarks.records_data import _fast_load
    from records.models import AttendanceRecord, Weekday
    from website import demo

    by_pk = {d.pk: code for code, d in structure["departments"].items()}
    subject_offset = {pk: rng.gauss(0, 0.035) for pk in structure["subjects_by_id"]}
    now_time = timezone.localtime().time()
    days = []
    for n in range(DAYS):
        day = today - timedelta(days=n)
        weekday = Weekday.of(day)
        if weekday is None or (day.month, day.day) in demo.HOLIDAYS:
            continue
        # Thursdays and the days before a holiday are a little emptier.
        effect = rng.gauss(0, 0.015) - (0.025 if weekday == Weekday.THURSDAY else 0)
        days.append((day, int(weekday), effect))

    # Every possible sitting, with a sampling key (weighted, without replacement).
    sittings = []
    for key, week in structure["routine"].items():
        group = roster["groups"].get(key)
        if not group or not (group["active"] or group["left"]):
            continue
        code = by_pk[key[1]]
        _weight, base, diligence = DEPARTMENT_SHAPE.get(code, (1.0, 0.85, 1.0))
        diligence *= 0.85 if key[2] == 8 else 1.0
        for day, weekday, effect in days:
            for subject, start in week.get(weekday, {}).items():
                if day == today and start > now_time:
                    continue  # not taken yet
                left = sum(1 for until, _e in group["left"] if until > day)
                size = len(group["active"]) + left
                if not size:
                    continue
                sample_key = rng.random() ** (1 / diligence)
                sittings.append(
                    (sample_key, day, key, subject, start, effect, base, size)
                )
    possible = sum(s[-1] for s in sittings)
    sittings.sort(key=lambda s: -s[0])
    chosen, rows = [], 0
    for sitting in sittings:
        if rows >= target:
            break
        chosen.append(sitting)
        rows += sitting[-1]
    chosen.sort(key=lambda s: (s[1], s[4], s[2], s[3]))  # as they were taken

    table = AttendanceRecord._meta.db_table
    sql = (
        f"COPY {table} (student_id, subject_id, semester, date, is_present, "
        "recorded_by_id, recorded_at, notes) FROM STDIN"
    )
    written = present = 0
    random_ = rng.random
    suffixes: dict[date, str] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        with _fast_load(cursor, table), cursor.copy(sql) as copy:
            buffer: list[str] = []
            for _k, day, key, subject, start, effect, base, _size in chosen:
                group = roster["groups"][key]
                entries = group["active"]
                if group["left"]:
                    entries = entries + [e for until, e in group["left"] if until > day]
                if written + len(entries) > target:
                    entries = entries[: target - written]
                rate = base + subject_offset.get(subject, 0.0) + effect
                tz = suffixes.get(day) or suffixes.setdefault(day, _tz_suffix(day))
                iso = day.isoformat()
                # Taken ten minutes into the class.
                taken = datetime.combine(day, start) + timedelta(minutes=10)
                taken = f"{taken:%Y-%m-%d %H:%M:%S}{tz}"
                mid = f"{subject}\t{key[2]}\t{iso}\t"
                yes = f"{mid}t\t\\N\t{taken}\t\n"
                no = f"{mid}f\t\\N\t{taken}\t\n"
                flags = [random_() < rate + e[1] for e in entries]
                present += sum(flags)
                buffer.extend(
                    [
                        f"{e[0]}{yes if flag else no}"
                        for e, flag in zip(entries, flags, strict=True)
                    ]
                )
                written += len(entries)
                if len(buffer) >= 50_000:
                    copy.write("".join(buffer))
                    buffer.clear()
            if buffer:
                copy.write("".join(buffer))
    return {
        "rows": written,
        "sittings": len(chosen),
        "possible": possible,
        "presence_rate": round(present / written, 4) if written else None,
    }


# --- Marks ----------------------------------------------------------------------------------


def _marks(
    rng: random.Random, structure: dict, roster: dict, target: int, today: date
) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from benchmarks.records_data import _fast_load
    from records.models import MarksRecord

    subjects_by_id = structure["subjects_by_id"]
    difficulty = {pk: rng.gauss(0, 6) for pk in subjects_by_id}
    by_group_subjects: dict[tuple, list[int]] = defaultdict(list)
    for subject in subjects_by_id.values():
        by_group_subjects[(subject.department_id, subject.semester)].append(subject.pk)
    sheets = []
    for key, group in roster["groups"].items():
        if not group["active"]:
            continue
        _session, department, semester, _shift = key
        for subject in by_group_subjects[(department, semester)]:
            for exam in EXAMS:
                if exam == "practical" and subject not in structure["practical"]:
                    continue
                sheets.append((rng.random(), key, subject, exam))
    sheets.sort(key=lambda s: s[0])
    table = MarksRecord._meta.db_table
    sql = (
        f"COPY {table} (student_id, subject_id, semester, exam_type, marks_obtained, "
        "total_marks, recorded_by_id, recorded_at, remarks) FROM STDIN"
    )
    written = failing = count_sheets = 0
    gauss = rng.gauss
    with transaction.atomic(), connection.cursor() as cursor:
        with _fast_load(cursor, table), cursor.copy(sql) as copy:
            buffer: list[str] = []
            for _k, key, subject, exam in sheets:
                if written >= target:
                    break
                count_sheets += 1
                total, (low, high), shift = EXAMS[exam]
                day = today - timedelta(days=rng.randint(low, high))
                at = timezone.make_aware(
                    datetime(day.year, day.month, day.day, rng.randrange(10, 20))
                    + timedelta(minutes=rng.randrange(60))
                )
                if at > timezone.now():
                    at = timezone.now() - timedelta(minutes=rng.randrange(1, 120))
                stamp = at.isoformat()
                head = f"{subject}\t{key[2]}\t{exam}\t"
                tail = f"\t{total}\t\\N\t{stamp}\t\n"
                mean = 62 + difficulty[subject] + shift
                scale = float(total) * 2  # half marks
                entries = roster["groups"][key]["active"]
                if written + len(entries) > target:
                    entries = entries[: target - written]
                for sid, _offset, ability, _i in entries:
                    pct = min(100.0, max(10.0, gauss(mean + ability, 13)))
                    if pct < 40:
                        failing += 1
                    obtained = round(pct / 100 * scale) / 2
                    buffer.append(f"{sid}{head}{obtained:.2f}{tail}")
                written += len(entries)
                if len(buffer) >= 50_000:
                    copy.write("".join(buffer))
                    buffer.clear()
            if buffer:
                copy.write("".join(buffer))
    return {
        "rows": written,
        "sheets": count_sheets,
        "failing_share": round(failing / written, 4) if written else None,
    }


# --- Applications and corrections ---------------------------------------------------


def _decision(rng: random.Random, age: int) -> str:
    """An application's status by how long ago it was submitted."""
    if age < 14:
        pairs = [("pending", 80), ("returned", 10), ("approved", 5), ("rejected", 5)]
    elif age < 60:
        pairs = [
            ("pending", 35),
            ("returned", 12),
            ("approved", 33),
            ("rejected", 17),
            ("withdrawn", 3),
        ]
    else:
        pairs = [
            ("pending", 4),
            ("returned", 5),
            ("approved", 60),
            ("rejected", 27),
            ("withdrawn", 4),
        ]
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


REJECT_NOTES = [
    "SSC GPA is below the department's cut-off this session.",
    "The SSC transcript is not legible and the roll does not match the board record.",
    "Seats in this department and shift are full.",
]
RETURN_NOTES = [
    "Please upload a clearer photo of the SSC certificate.",
    "The birth registration number has a digit missing; please check it.",
    "Please give the guardian's mobile number.",
]


def _applications(
    rng: random.Random, structure: dict, roster: dict, total: int, today: date
) -> Counter:
    from django.db import transaction
    from django.utils import timezone

    from website import demo
    from workflows.models import AdmissionApplication

    stages = structure["stages"].get("admission") or []
    if not stages:
        raise RuntimeError("No admission workflow: run the migrations first.")
    reviewers = structure["reviewers"]
    sessions = structure["sessions"]
    current, previous = (
        sessions[-1],
        sessions[-2] if len(sessions) > 1 else sessions[-1],
    )
    departments = list(structure["departments"].values())
    dept_weights = [DEPARTMENT_SHAPE.get(d.code, (1.0,))[0] for d in departments]
    now = timezone.now()
    # Admissions for a session open in spring: later submissions are for it.
    cutover = current.start_date - timedelta(days=120)
    spare = {k: list(v) for k, v in roster["first_semester"].items()}
    for people in spare.values():
        rng.shuffle(people)

    drafts = []
    for _n in range(total):
        age = int(APPLICATION_DAYS * rng.random() ** 1.15)
        submitted = now - timedelta(days=age, minutes=rng.randrange(24 * 60))
        drafts.append((submitted, age))
    drafts.sort()
    numbers: Counter = Counter()
    statuses: Counter = Counter()
    rows = []
    for submitted, age in drafts:
        session = current if submitted.date() >= cutover else previous
        department = rng.choices(departments, weights=dept_weights)[0]
        shift = "morning" if rng.random() < SHIFT_WEIGHTS["morning"] else "day"
        status = _decision(rng, age)
        numbers[session.pk] += 1
        values = None
        if status == "approved":
            people = spare.get((session.pk, department.pk, shift))
            if people:
                values = dict(people.pop())
                values["student_id"] = values["id"]
        if values is None:
            values = demo.student_fields(
                rng, department=department, semester=1, shift=shift, session=session
            )
        for name in ("id", "status", "current_roll_number", "created_at", "updated_at"):
            values.pop(name, None)
        values.pop("current_registration_number", None)
        values.pop("discontinued_reason", None)
        values.pop("discontinued_at", None)
        values.pop("department", None)
        values.update(
            application_number=f"ADM-{session.start_date.year}-{numbers[session.pk]:05d}",
            desired_department_id=department.pk,
            desired_shift=shift,
            semester=1,
            session_id=session.pk,
            submitted_at=submitted,
            status=status,
            email=values.get("email") or "",
        )
        values.pop("session", None)
        values.pop("shift", None)
        values["stage_id"] = None
        decided_at = min(now, submitted + timedelta(days=rng.uniform(1, 25)))
        if status in ("pending", "returned"):
            late = age > 5 and rng.random() < 0.3
            values["stage_id"] = stages[-1 if late else 0].pk
            if status == "returned":
                values["review_notes"] = rng.choice(RETURN_NOTES)
        elif status == "approved":
            values.update(reviewed_at=decided_at, reviewed_by_id=reviewers["head"].pk)
        elif status == "rejected":
            who = reviewers["registrar" if rng.random() < 0.7 else "head"]
            values.update(
                reviewed_at=decided_at,
                reviewed_by_id=who.pk,
                review_notes=rng.choice(REJECT_NOTES),
            )
        else:  # withdrawn
            values["reviewed_at"] = decided_at
        statuses[status] += 1
        rows.append(values)
    structure["application_numbers"] = numbers
    structure["applications_linked"] = sum(1 for r in rows if r.get("student_id"))
    with transaction.atomic():
        _copy(AdmissionApplication, rows)
    return statuses


def _corrections(
    rng: random.Random, structure: dict, roster: dict, total: int, today: date
) -> Counter:
    from django.db import transaction
    from django.utils import timezone

    from workflows.models import CorrectionRequest

    stages = structure["stages"].get("correction") or []
    if not stages:
        raise RuntimeError("No correction workflow: run the migrations first.")
    registrar = structure["reviewers"]["registrar"]
    now = timezone.now()
    candidates = [r for r in roster["rows"] if r["status"] == "active"]
    people = rng.sample(candidates, min(total, len(candidates)))
    statuses: Counter = Counter()
    rows = []
    for person in people:
        field, old, new, reason = _correction_change(rng, person)
        age = int(180 * rng.random() ** 1.3)
        submitted = now - timedelta(days=age, minutes=rng.randrange(24 * 60))
        status = _decision(rng, age)
        values = {
            "student_id": person["id"],
            "field_name": field,
            "current_value": old,
            "requested_value": new,
            "reason": reason,
            "status": status,
            "submitted_at": submitted,
            "stage_id": None,
        }
        decided_at = min(now, submitted + timedelta(days=rng.uniform(1, 20)))
        if status in ("pending", "returned"):
            values["stage_id"] = stages[0].pk
            if status == "returned":
                values["review_notes"] = "Please attach the certificate that shows it."
        elif status == "withdrawn":
            values["reviewed_at"] = decided_at
        else:
            values.update(reviewed_at=decided_at, reviewed_by_id=registrar.pk)
            if status == "rejected":
                values["review_notes"] = "The certificate shows the recorded value."
            else:
                # Applied already: the student has the requested value.
                values["current_value"], values["requested_value"] = new, old
        statuses[status] += 1
        rows.append(values)
    with transaction.atomic():
        _copy(CorrectionRequest, rows)
    return statuses


def _correction_change(rng: random.Random, person: dict) -> tuple[str, str, str, str]:
    """(field, current value, requested value, reason) of a believable request."""
    choice = rng.random()
    if choice < 0.35 and person["mobile_student"]:
        new = f"01{rng.choice('3456789')}{rng.randrange(10**8):08d}"
        return "mobile_student", person["mobile_student"], new, "I changed my SIM."
    if choice < 0.55:
        old = person["full_name_english"]
        new = old.replace("Md. ", "Mohammad ") if "Md. " in old else old + " Khan"
        return (
            "full_name_english",
            old,
            new,
            "The name is spelled as in my SSC certificate.",
        )
    if choice < 0.7:
        old = person["date_of_birth"]
        new = old + timedelta(days=rng.choice([-1, 1, 30, -30, 365]))
        return (
            "date_of_birth",
            old.isoformat(),
            new.isoformat(),
            "The date differs from my birth registration certificate.",
        )
    if choice < 0.85:
        new = f"01{rng.choice('3456789')}{rng.randrange(10**8):08d}"
        return (
            "guardian_mobile",
            person["guardian_mobile"],
            new,
            "My guardian has a new number.",
        )
    old = person["full_name_bangla"]
    return "full_name_bangla", old, old + " ", "The Bangla spelling is wrong."


def _sequences(structure: dict, roster: dict) -> None:
    """Counters behind roll, registration and application numbers, so new ones follow."""
    from django.db import connection

    from records.models import NumberSequence

    values = {}
    for (session_pk, code, shift), n in roster["rolls"].items():
        values[f"roll:{session_pk}:{code}:{shift}"] = n
    for (session_pk, code), n in roster["registrations"].items():
        values[f"registration:{session_pk}:{code}"] = n
    for session_pk, n in structure.get("application_numbers", {}).items():
        values[f"application:{session_pk}"] = n
    table = NumberSequence._meta.db_table
    sql = (
        f"INSERT INTO {table} (key, last_value) VALUES (%s, %s) "  # noqa: S608
        "ON CONFLICT (key) DO UPDATE SET last_value = "
        f"GREATEST({table}.last_value, EXCLUDED.last_value)"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(values.items()))


# --- Self-check ---------------------------------------------------------------------------


def _counts() -> list[tuple[str, int]]:
    from django.apps import apps
    from django.db import connection

    names = [
        "records.Department",
        "records.AcademicSession",
        "records.Teacher",
        "records.Subject",
        "records.ClassRoutine",
        "records.Student",
        "records.AttendanceRecord",
        "records.MarksRecord",
        "workflows.AdmissionApplication",
        "workflows.CorrectionRequest",
        "records.AttendanceDaySummary",
        "records.MarksSummary",
        "records.StudentTermSummary",
        "records.HistoricalStudent",
        "records.HistoricalAttendanceRecord",
        "records.HistoricalMarksRecord",
    ]
    out = []
    with connection.cursor() as cursor:
        for name in names:
            try:
                model = apps.get_model(name)
            except LookupError:
                continue
            table = model._meta.db_table
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            out.append((model._meta.db_table, cursor.fetchone()[0]))
    return out


CHECKS = {
    "attendance semester is not the subject's or the student's": """
        SELECT count(*) FROM records_attendancerecord a
        JOIN records_subject s ON s.id = a.subject_id
        JOIN records_student t ON t.id = a.student_id
        WHERE a.semester <> s.semester OR a.semester <> t.semester""",
    "attendance not in the class group's routine that weekday": """
        SELECT count(*) FROM records_attendancerecord a
        JOIN records_student t ON t.id = a.student_id
        WHERE NOT EXISTS (
            SELECT 1 FROM records_classroutine r
            WHERE r.is_active AND r.department_id = t.department_id
            AND r.semester = a.semester AND r.shift = t.shift
            AND r.session_id = t.session_id AND r.subject_id = a.subject_id
            AND r.day_of_week = EXTRACT(DOW FROM a.date))""",
    "attendance in the future or of students who had left": """
        SELECT count(*) FROM records_attendancerecord a
        JOIN records_student t ON t.id = a.student_id
        WHERE a.date > CURRENT_DATE OR t.status = 'graduated'
        OR (t.discontinued_at IS NOT NULL AND a.date >= t.discontinued_at::date)""",
    "marks semester is not the subject's or the student's": """
        SELECT count(*) FROM records_marksrecord m
        JOIN records_subject s ON s.id = m.subject_id
        JOIN records_student t ON t.id = m.student_id
        WHERE m.semester <> s.semester OR m.semester <> t.semester""",
    "pending or returned requests without a stage, decided ones with one": """
        SELECT count(*) FROM workflows_admissionapplication
        WHERE (status IN ('pending', 'returned')) = (stage_id IS NULL)""",
}


def _verify() -> list[tuple[str, int]]:
    from django.db import connection

    with connection.cursor() as cursor:
        out = []
        for name, sql in CHECKS.items():
            cursor.execute(sql)
            out.append((name, cursor.fetchone()[0]))
    return out


def _self_check(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "website.settings.bench")
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrate: {time.perf_counter() - started:.2f} s", flush=True)
    result = build_dataset(
        students=args.students,
        attendance=args.attendance,
        marks=args.marks,
        applications=args.applications,
        seed=args.seed,
        log=lambda m: print(m, flush=True),
    )
    print(f"build_dataset: {result['seconds']:.2f} s in all")
    for name, seconds in result["timings"].items():
        print(f"  {name:20s} {seconds:8.2f} s")
    if result["summaries_seconds"] is None:
        print("  rebuild_summaries: not run (no such command)")
    for key in (
        "departments",
        "sessions",
        "current_session_id",
        "date_from",
        "date_to",
        "counts",
        "student_statuses",
        "application_statuses",
        "correction_statuses",
        "presence_rate",
        "failing_share",
    ):
        print(f"{key}: {result[key]}")
    print("rows per table:")
    for table, count in _counts():
        print(f"  {table:40s} {count:>10,}")
    print("checks (rows breaking a rule; all should be 0):")
    failures = 0
    for name, count in _verify():
        print(f"  {count:>8,}  {name}")
        failures += count
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Build the dashboard dataset once.")
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument("--attendance", type=int, default=3_000_000)
    parser.add_argument("--marks", type=int, default=300_000)
    parser.add_argument("--applications", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return _self_check(args)

    from tools.pgserver import PostgresUnavailable, temporary_postgres

    try:
        with temporary_postgres(dbname="campusdesk_dashboard") as url:
            os.environ["DATABASE_URL"] = url
            return _self_check(args)
    except PostgresUnavailable as exc:
        print(exc, file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
