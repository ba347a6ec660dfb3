"""Bulk loader for the records benchmarks: 50,000 students, 3.3M attendance rows.

PostgreSQL only. The small tables (departments, sessions, teachers, subjects,
routines) are made with ``bulk_create``; students and attendance go in with
COPY. The rows keep the model's rules: unique roll and registration numbers,
each student in a class group of one session, attendance only for a subject
the class group has in its routine on that weekday, never in the future, one
row per student, subject and date. Validation and history are skipped: this
is a throwaway benchmark database, not a way to import data.

Shape: 9 sessions (2018-19 to the current one) x 96 class groups (6
departments x 8 semesters x 2 shifts) x 58 students (60 in the first group of
the current session, whose sheet the benchmark saves), each with 10 or 12
classes a week from the demo institute's clash-free timetable and 6 weeks of
attendance: 60 or 72 rows per student, 3.3 million in all.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from records.models import (
    AcademicSession,
    AttendanceRecord,
    ClassRoutine,
    Department,
    Student,
    StudentStatus,
    Subject,
    Teacher,
)
from website import demo

SESSIONS = 9
STUDENTS_PER_GROUP = 58
SHEET_GROUP_STUDENTS = 60
WEEKS = 6
SEED = 50_000


@dataclass
class LoadedData:
    students: int
    attendance: int
    seconds: float
    departments: dict[str, Department]
    current_session: AcademicSession
    sheet_routine: ClassRoutine  # a slot of a 60-student class group
    sheet_dates: list[date]  # free dates (no attendance yet) on its weekday
    inspect_student_id: int  # a student with 60 attendance rows (10 classes a week)
    search_term: str


def _sunday_of(day: date) -> date:
    return day - timedelta(days=(day.weekday() + 1) % 7)


def load(*, log=print) -> LoadedData:
    """Fill an empty benchmark database; returns what the benchmarks need."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The records benchmark data is loaded with PostgreSQL COPY.")
    started = time.perf_counter()
    rng = random.Random(SEED)
    today = timezone.localdate()

    departments = {}
    for code, name, name_bn, short in demo.DEPARTMENTS:
        departments[code], _created = Department.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_bangla": name_bn, "short_name": short},
        )
    current_name, current_start, current_end = demo.current_session_bounds(today)
    first_year = current_start.year - SESSIONS + 1
    sessions = []
    for year in range(first_year, current_start.year + 1):
        session, _created = AcademicSession.objects.get_or_create(
            name=f"{year}-{(year + 1) % 100:02d}",
            defaults={
                "start_date": date(year, 7, 1),
                "end_date": date(year + 1, 6, 30),
                "is_current": year == current_start.year,
            },
        )
        sessions.append(session)
    current = sessions[-1]

    teachers = {}
    for code, department in departments.items():
        teachers[code] = Teacher.objects.bulk_create(
            Teacher(
                full_name_english=f"Teacher {n + 1} of {code}",
                designation="Instructor",
                department=department,
                email=f"{code.lower()}.bench{n + 1}@bench.campusdesk.edu.bd",
            )
            for n in range(10)
        )
    curricula = {code: demo.subject_specs(code) for code in departments}
    subjects = {
        s.code: s
        for s in Subject.objects.bulk_create(
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
        )
    }
    by_email = {
        f"{code.lower()}.teacher{n + 1}@demo.campusdesk.edu.bd": t
        for code, ts in teachers.items()
        for n, t in enumerate(ts)
    }
    plan = demo.plan_timetable(curricula, {code: _emails(code) for code in departments})
    routines = ClassRoutine.objects.bulk_create(
        (
            ClassRoutine(
                department=departments[slot.department],
                semester=slot.semester,
                shift=slot.shift,
                session=session,
                day_of_week=slot.day,
                start_time=slot.start_time,
                end_time=slot.end_time,
                subject=subjects[slot.subject],
                teacher=by_email[slot.teacher],
                room_number=slot.room,
            )
            for session in sessions
            for slot in plan
        ),
        batch_size=2000,
    )
    log(f"  structure: {len(routines)} routine slots in {len(sessions)} sessions")

    # Students, one class group after another, with explicit ids so the
    # attendance rows can point at them without reading them back.
    next_id = (
        Student.objects.order_by("-pk").values_list("pk", flat=True).first()
    ) or 0
    columns = [f.column for f in Student._meta.concrete_fields]
    now = timezone.now()
    groups: list[tuple[AcademicSession, str, int, str, list[int]]] = []
    sheet_group = None
    with connection.cursor() as cursor:
        copy_sql = f"COPY {Student._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(copy_sql) as copy:
            for session in sessions:
                year = session.start_date.year
                years_ago = current.start_date.year - year
                status = (
                    StudentStatus.GRADUATED if years_ago >= 4 else StudentStatus.ACTIVE
                )
                for code, department in departments.items():
                    registration = 0
                    for shift in demo.SHIFTS:
                        roll = 0
                        for semester in range(1, 9):
                            size = STUDENTS_PER_GROUP
                            if sheet_group is None and session is current:
                                size = SHEET_GROUP_STUDENTS
                                sheet_group = (code, semester, shift)
                            ids = []
                            for _n in range(size):
                                next_id += 1
                                roll += 1
                                registration += 1
                                fields = demo.student_fields(
                                    rng,
                                    department=department,
                                    semester=semester,
                                    shift=shift,
                                    session=session,
                                )
                                fields.update(
                                    id=next_id,
                                    department_id=department.pk,
                                    session_id=session.pk,
                                    current_roll_number=(
                                        f"{code}-{year % 100:02d}"
                                        f"{'M' if shift == 'morning' else 'D'}-{roll:03d}"
                                    ),
                                    current_registration_number=(
                                        f"{year}-{code}-{registration:05d}"
                                    ),
                                    status=status,
                                    created_at=now,
                                    updated_at=now,
                                )
                                copy.write_row(_student_row(fields))
                                ids.append(next_id)
                            groups.append((session, code, semester, shift, ids))
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
            [Student._meta.db_table, next_id],
        )
    students = sum(len(g[4]) for g in groups)
    log(f"  students: {students} ({time.perf_counter() - started:.1f} s so far)")

    # Attendance: every class of the last teaching weeks, for every student.
    slots_by_group: dict[tuple, list] = {}
    for slot in plan:
        slots_by_group.setdefault(
            (slot.department, slot.semester, slot.shift), []
        ).append(slot)
    last_sunday = _sunday_of(today) - timedelta(days=7)
    first_sunday = last_sunday - timedelta(weeks=WEEKS - 1)
    table = AttendanceRecord._meta.db_table
    attendance = 0
    with connection.cursor() as cursor, _fast_load(cursor, table):
        copy_sql = (
            f"COPY {table} (student_id, subject_id, semester, date, is_present, "
            "recorded_by_id, recorded_at, notes) FROM STDIN"
        )
        random_ = rng.random
        with cursor.copy(copy_sql) as copy:
            for session, code, semester, shift, ids in groups:
                # 364 days keep the weekday: older sessions have the same weeks.
                shift_back = timedelta(
                    days=364 * (current.start_date.year - session.start_date.year)
                )
                lines = []
                for slot in slots_by_group[(code, semester, shift)]:
                    subject_id = subjects[slot.subject].pk
                    for week in range(WEEKS):
                        day = (
                            first_sunday
                            + timedelta(weeks=week, days=slot.day)
                            - shift_back
                        )
                        prefix = f"\t{subject_id}\t{semester}\t{day.isoformat()}\t"
                        suffix = f"\t\\N\t{day.isoformat()} 09:00:00+06\t\n"
                        for student_id in ids:
                            present = "t" if random_() < 0.9 else "f"
                            lines.append(f"{student_id}{prefix}{present}{suffix}")
                attendance += len(lines)
                copy.write("".join(lines))
    log(
        f"  attendance: {attendance} rows ({time.perf_counter() - started:.1f} s so far)"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started

    code, semester, shift = sheet_group
    sheet_routine = (
        ClassRoutine.objects.select_related("department", "session", "subject")
        .filter(session=current, department__code=code, semester=semester, shift=shift)
        .order_by("day_of_week", "start_time")
        .first()
    )
    # Free dates: before the loaded weeks, on the slot's weekday.
    free = first_sunday + timedelta(days=sheet_routine.day_of_week)
    sheet_dates = [free - timedelta(weeks=n) for n in range(1, 400)]
    inspect_group = next(
        g
        for g in groups
        if g[0] is current and len(slots_by_group[g[1:4]]) * WEEKS == 60
    )
    return LoadedData(
        students=students,
        attendance=attendance,
        seconds=seconds,
        departments=departments,
        current_session=current,
        sheet_routine=sheet_routine,
        sheet_dates=sheet_dates,
        inspect_student_id=inspect_group[4][7],
        search_term="Rahim",
    )


def _emails(code: str) -> list[str]:
    return [f"{code.lower()}.teacher{n + 1}@demo.campusdesk.edu.bd" for n in range(10)]


def _student_row(fields: dict) -> list:
    row = []
    for field in Student._meta.concrete_fields:
        if field.attname in fields:
            value = fields[field.attname]
        elif field.name in fields:
            value = fields[field.name]
            if hasattr(value, "pk"):
                value = value.pk
        elif field.null:
            value = None
        else:
            value = field.get_default()
            if value is None:
                value = ""
        if isinstance(value, Decimal):
            value = str(value)
        elif hasattr(value, "name") and field.get_internal_type() == "FileField":
            value = value.name or ""
        row.append(value)
    return row


class _fast_load:
    """Drop a table's secondary indexes and foreign keys for a COPY, then rebuild.

    Building an index once over millions of rows is much faster than keeping
    it up to date row by row, and the foreign keys are checked once, in one
    pass, when they are added back.
    """

    def __init__(self, cursor, table: str):
        self.cursor, self.table = cursor, table

    def __enter__(self):
        c = self.cursor
        c.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
            [self.table],
        )
        self.constraints = c.fetchall()
        c.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid)",
            [self.table],
        )
        self.indexes = c.fetchall()
        for name, _definition in self.constraints:
            c.execute(f'ALTER TABLE {self.table} DROP CONSTRAINT "{name}"')
        for name, _definition in self.indexes:
            c.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, *exc):
        c = self.cursor
        c.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in self.indexes:
            c.execute(definition)
        for name, definition in sorted(
            self.constraints, key=lambda x: "FOREIGN" in x[1]
        ):
            c.execute(f'ALTER TABLE {self.table} ADD CONSTRAINT "{name}" {definition}')
        return False
