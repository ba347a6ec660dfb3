"""Writes to the institute's records.

Each function is one transaction: lock what it changes, validate with the
model's own rules (``full_clean``), save, and stamp the history with the
acting user. Admin views, imports, the API and workflows call these.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import selectors, summaries
from .activity import (
    activity_record,
    record_created,
    record_deleted,
    record_saved,
    record_updated,
    snapshot,
    stored_snapshot,
)
from .bulk import write_history
from .errors import BusinessRuleError
from .models import (
    AcademicSession,
    ActivityAction,
    Alumni,
    AttendanceRecord,
    ClassRoutine,
    Department,
    Document,
    MarksRecord,
    NumberSequence,
    Student,
    StudentStatus,
    Subject,
    Teacher,
    User,
    Weekday,
    day_name,
    validate_attendance_slot,
)
from .roles import ROLE_GROUP_NAMES, AccountStatus, Role
from .validators import ALLOWED_UPLOAD_TYPES, sniff_upload


def _clean_text(value: str, field: str) -> str:
    """Free text that reaches a service without a model form: no NUL bytes."""
    from django.core.validators import ProhibitNullCharactersValidator

    try:
        ProhibitNullCharactersValidator()(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    return value


def _stamp(instance, acting_user: User | None, reason: str = "") -> None:
    """Tell simple-history who made this change and why."""
    if acting_user is not None:
        instance._history_user = acting_user
    if reason:
        instance._change_reason = reason


# --- Accounts ---------------------------------------------------------------


def user_sync_role_groups(*, user: User) -> None:
    """Put the user in exactly the group of their role (other groups stay)."""
    role_groups = Group.objects.filter(name__in=ROLE_GROUP_NAMES.values())
    wanted = ROLE_GROUP_NAMES[user.role]
    user.groups.remove(*[g for g in role_groups if g.name != wanted])
    group, _created = Group.objects.get_or_create(name=wanted)
    user.groups.add(group)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    acting_user: User | None = None,
) -> User:
    """Create an account; its starting status follows its role (Property 1)."""
    user = User.objects.create_user(
        username=username,
        email=email,
        password=password,
        role=Role(role),
        first_name=first_name,
        last_name=last_name,
    )
    user_sync_role_groups(user=user)
    record_created(user, user=acting_user)
    return user


def _change_role(user: User, role: str) -> tuple[User, dict]:
    user = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(user, ["role"])
    user.role = Role(role)
    user.save(update_fields=["role"])
    user_sync_role_groups(user=user)
    return user, before


@transaction.atomic
def user_change_role(*, user: User, role: str, acting_user: User | None = None) -> User:
    user, before = _change_role(user, role)
    record_updated(user, before, user=acting_user)
    return user


@transaction.atomic
def user_set_account_status(
    *, user: User, account_status: str, acting_user: User | None = None
) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(user, ["account_status"])
    user.account_status = AccountStatus(account_status)
    user.save(update_fields=["account_status"])
    record_updated(user, before, user=acting_user)
    return user


# --- Structure --------------------------------------------------------------


@transaction.atomic
def department_create(
    *,
    code: str,
    name: str,
    name_bangla: str = "",
    short_name: str = "",
    acting_user: User | None = None,
) -> Department:
    department = Department(
        code=code, name=name, name_bangla=name_bangla, short_name=short_name
    )
    department.full_clean()
    _stamp(department, acting_user)
    department.save()
    record_created(department, user=acting_user)
    return department


@transaction.atomic
def department_update(
    *,
    department: Department,
    acting_user: User | None = None,
    reason: str = "",
    **fields,
) -> Department:
    """Change a department's fields: validated, with its history and activity entry."""
    department = Department.objects.select_for_update().get(pk=department.pk)
    before = snapshot(department)
    for name, value in fields.items():
        setattr(department, name, value)
    department.full_clean()
    _stamp(department, acting_user, reason)
    department.save()
    record_updated(department, before, user=acting_user)
    return department


@transaction.atomic
def academic_session_create(
    *,
    name: str,
    start_date: date,
    end_date: date,
    is_current: bool = False,
    acting_user: User | None = None,
) -> AcademicSession:
    if is_current:
        # One current session: the new one takes the flag from the old one.
        AcademicSession.objects.select_for_update().filter(is_current=True).update(
            is_current=False
        )
    session = AcademicSession(
        name=name, start_date=start_date, end_date=end_date, is_current=is_current
    )
    session.full_clean()
    _stamp(session, acting_user)
    session.save()
    record_created(session, user=acting_user)
    return session


@transaction.atomic
def teacher_create(
    *,
    full_name_english: str,
    designation: str,
    department: Department,
    email: str,
    full_name_bangla: str = "",
    mobile_number: str = "",
    qualifications: str = "",
    specializations: str = "",
    joining_date: date | None = None,
    user: User | None = None,
    acting_user: User | None = None,
) -> Teacher:
    teacher = Teacher(
        full_name_english=full_name_english,
        full_name_bangla=full_name_bangla,
        designation=designation,
        department=department,
        email=email,
        mobile_number=mobile_number,
        qualifications=qualifications,
        specializations=specializations,
        joining_date=joining_date,
        user=user,
    )
    teacher.full_clean()
    _stamp(teacher, acting_user)
    teacher.save()
    record_created(teacher, user=acting_user)
    return teacher


@transaction.atomic
def subject_create(
    *,
    code: str,
    name: str,
    department: Department,
    semester: int,
    credits: Decimal = Decimal("3.0"),
    name_bangla: str = "",
    acting_user: User | None = None,
) -> Subject:
    subject = Subject(
        code=code,
        name=name,
        name_bangla=name_bangla,
        department=department,
        semester=semester,
        credits=credits,
    )
    subject.full_clean()
    _stamp(subject, acting_user)
    subject.save()
    record_created(subject, user=acting_user)
    return subject


# --- Students ----------------------------------------------------------------


def _reserve_in_sequence(key: str, count: int) -> range:
    """Take ``count`` consecutive numbers of a named counter (row-locked; call
    inside a transaction).

    The write locks the counter row, so concurrent callers queue up and each
    gets its own numbers (Property 8).
    """
    connection = connections[router.db_for_write(NumberSequence)]
    if _can_upsert_returning(connection):
        last = _upsert_sequence(connection, key, count)
        return range(last - count + 1, last + 1)
    for _attempt in range(5):
        updated = NumberSequence.objects.filter(key=key).update(
            last_value=F("last_value") + count
        )
        if updated:
            last = NumberSequence.objects.values_list("last_value", flat=True).get(
                key=key
            )
            return range(last - count + 1, last + 1)
        try:
            with transaction.atomic():
                NumberSequence.objects.create(key=key, last_value=count)
            return range(1, count + 1)
        except IntegrityError:
            continue  # another transaction created it first: take the update path
    raise BusinessRuleError(_("Could not reserve a number; please try again."))


def _can_upsert_returning(connection) -> bool:
    """PostgreSQL, and SQLite from 3.35, have INSERT ... ON CONFLICT ... RETURNING."""
    if connection.vendor == "postgresql":
        return True
    return (
        connection.vendor == "sqlite"
        and connection.features.can_return_columns_from_insert
    )


def _upsert_sequence(connection, key: str, count: int) -> int:
    """One statement, one round trip: create the counter or move it on by
    ``count``, and return its new value.

    ON CONFLICT DO UPDATE locks the existing row (or waits for a concurrent
    insert of the same key to commit), so there is no create race to retry.
    """
    quote = connection.ops.quote_name
    table = quote(NumberSequence._meta.db_table)
    key_column = quote(NumberSequence._meta.get_field("key").column)
    value_column = quote(NumberSequence._meta.get_field("last_value").column)
    # Only quoted names from the model are interpolated; the values are parameters.
    sql = (
        f"INSERT INTO {table} ({key_column}, {value_column}) VALUES (%s, %s) "  # noqa: S608
        f"ON CONFLICT ({key_column}) DO UPDATE "
        f"SET {value_column} = {table}.{value_column} + EXCLUDED.{value_column} "
        f"RETURNING {value_column}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, count])
        return cursor.fetchone()[0]


def next_in_sequence(key: str) -> int:
    """The next number of a named counter (see ``_reserve_in_sequence``)."""
    return _reserve_in_sequence(key, 1)[0]


SHIFT_LETTERS = {"morning": "M", "day": "D"}


def student_number_candidates(
    *, department: Department, session: AcademicSession, shift: str
):
    """The next registration and roll number for a new student.

    Registration: ``2026-CST-00042`` (session start year, department, sequence).
    Roll: ``CST-26M-042`` (department, session, shift, sequence in that shift).
    Numbers already taken (e.g. by imported students) are skipped.
    """
    year = session.start_date.year
    while True:
        seq = next_in_sequence(f"registration:{session.pk}:{department.code}")
        registration = f"{year}-{department.code}-{seq:05d}"
        if not Student.objects.filter(
            current_registration_number=registration
        ).exists():
            break
    while True:
        seq = next_in_sequence(f"roll:{session.pk}:{department.code}:{shift}")
        roll = f"{department.code}-{year % 100:02d}{SHIFT_LETTERS.get(shift, 'X')}-{seq:03d}"
        if not Student.objects.filter(current_roll_number=roll).exists():
            break
    return roll, registration


def _fill_numbers(students, *, attr, key, number_format, prefix, taken) -> None:
    """Give each student without ``attr`` the next free number of ``key``."""
    need = [s for s in students if not getattr(s, attr)]
    if not need:
        return
    taken = taken | set(
        Student.objects.filter(**{f"{attr}__startswith": prefix}).values_list(
            attr, flat=True
        )
    )
    while need:
        for seq in _reserve_in_sequence(key, len(need)):
            number = number_format(seq)
            if number in taken:
                continue
            taken.add(number)
            setattr(need.pop(0), attr, number)
            if not need:
                break


def student_numbers_for_import(students: list[Student]) -> None:
    """Roll and registration numbers for imported students who have none.

    Numbers are reserved a block at a time (one counter update per class
    group, not one per student); numbers already taken, in the database or
    in the same file, are skipped (Property 8).
    """
    given_reg = {s.current_registration_number for s in students}
    given_roll = {s.current_roll_number for s in students}
    by_registration: dict[tuple, list[Student]] = {}
    by_roll: dict[tuple, list[Student]] = {}
    for student in students:
        by_registration.setdefault(
            (student.session_id, student.department_id), []
        ).append(student)
        by_roll.setdefault(
            (student.session_id, student.department_id, student.shift), []
        ).append(student)
    for group in by_registration.values():
        session, department = group[0].session, group[0].department
        year = session.start_date.year
        _fill_numbers(
            group,
            attr="current_registration_number",
            key=f"registration:{session.pk}:{department.code}",
            number_format=lambda seq, y=year, c=department.code: f"{y}-{c}-{seq:05d}",
            prefix=f"{year}-{department.code}-",
            taken=given_reg,
        )
    for group in by_roll.values():
        session, department, shift = (
            group[0].session,
            group[0].department,
            group[0].shift,
        )
        year = session.start_date.year
        prefix = f"{department.code}-{year % 100:02d}{SHIFT_LETTERS.get(shift, 'X')}-"
        _fill_numbers(
            group,
            attr="current_roll_number",
            key=f"roll:{session.pk}:{department.code}:{shift}",
            number_format=lambda seq, p=prefix: f"{p}{seq:03d}",
            prefix=prefix,
            taken=given_roll,
        )


STUDENT_READ_ONLY = {
    "id",
    "current_roll_number",
    "current_registration_number",
    "status",
    "discontinued_reason",
    "discontinued_at",
    "created_at",
    "updated_at",
}


@transaction.atomic
def student_create(
    *, acting_user: User | None = None, reason: str = "", **fields
) -> Student:
    """Admit a student; roll and registration numbers are generated (Property 8)."""
    bad = STUDENT_READ_ONLY & fields.keys()
    if bad:
        raise BusinessRuleError(
            _("These are set by Campusdesk, not typed in: %(fields)s")
            % {"fields": ", ".join(sorted(bad))}
        )
    student = Student(**fields)
    # Validate everything except the numbers first, so a bad form burns no number.
    student.full_clean(exclude=["current_roll_number", "current_registration_number"])
    student.current_roll_number, student.current_registration_number = (
        student_number_candidates(
            department=student.department, session=student.session, shift=student.shift
        )
    )
    _stamp(student, acting_user, reason)
    student.save()
    record_created(student, user=acting_user, description=reason)
    return student


@transaction.atomic
def student_update(
    *, student: Student, acting_user: User | None = None, reason: str = "", **fields
) -> Student:
    bad = STUDENT_READ_ONLY & fields.keys()
    if bad:
        raise BusinessRuleError(
            _("These cannot be changed here: %(fields)s")
            % {"fields": ", ".join(sorted(bad))}
        )
    student = Student.objects.select_for_update().get(pk=student.pk)
    group_before = _class_group_of(student)
    before = snapshot(student)
    for name, value in fields.items():
        setattr(student, name, value)
    student.full_clean()
    _stamp(student, acting_user, reason)
    student.save()
    record_updated(student, before, user=acting_user, description=reason)
    if student.user_id and student.user.role == Role.CAPTAIN:
        # A captain who moves class keeps attendance rights only for the new one.
        for group in {group_before, _class_group_of(student)}:
            class_group_sync_grants(**group_dict(group))
    return student


def _class_group_of(student: Student) -> tuple:
    return (student.department_id, student.semester, student.shift, student.session_id)


def group_dict(group: tuple) -> dict:
    department_id, semester, shift, session_id = group
    return {
        "department_id": department_id,
        "semester": semester,
        "shift": shift,
        "session_id": session_id,
    }


DISCONTINUE_NEEDS_REASON = _("Say why the student is discontinued.")
ALREADY_DISCONTINUED = _("%(student)s is already discontinued.")


@transaction.atomic
def student_discontinue(
    *, student: Student, reason: str, acting_user: User | None = None
) -> Student:
    """Property 9: status discontinued, a non-empty reason, and in the discontinued list."""
    reason = _clean_text((reason or "").strip(), "discontinued_reason")
    if not reason:
        raise ValidationError({"discontinued_reason": DISCONTINUE_NEEDS_REASON})
    student = Student.objects.select_for_update().get(pk=student.pk)
    if student.status == StudentStatus.DISCONTINUED:
        raise BusinessRuleError(ALREADY_DISCONTINUED % {"student": student})
    if student.status in (StudentStatus.ALUMNI, StudentStatus.GRADUATED):
        raise BusinessRuleError(
            _("%(student)s has graduated and cannot be discontinued.")
            % {"student": student}
        )
    before = snapshot(student)
    student.status = StudentStatus.DISCONTINUED
    student.discontinued_reason = reason
    student.discontinued_at = timezone.now()
    _stamp(student, acting_user, "discontinued")
    student.save(
        update_fields=["status", "discontinued_reason", "discontinued_at", "updated_at"]
    )
    record_updated(
        student, before, user=acting_user, description=f"{student}: discontinued"
    )
    if student.user_id and student.user.role == Role.CAPTAIN:
        # A discontinued captain no longer takes attendance.
        class_group_sync_grants(**group_dict(_class_group_of(student)))
    return student


@transaction.atomic
def student_reinstate(*, student: Student, acting_user: User | None = None) -> Student:
    student = Student.objects.select_for_update().get(pk=student.pk)
    if student.status != StudentStatus.DISCONTINUED:
        raise BusinessRuleError(
            _("%(student)s is not discontinued.") % {"student": student}
        )
    before = snapshot(student)
    student.status = StudentStatus.ACTIVE
    student.discontinued_reason = ""
    student.discontinued_at = None
    _stamp(student, acting_user, "reinstated")
    student.save(
        update_fields=["status", "discontinued_reason", "discontinued_at", "updated_at"]
    )
    record_updated(
        student, before, user=acting_user, description=f"{student}: reinstated"
    )
    return student


ALUMNI_MISSING_RESULTS = _(
    "%(student)s cannot become an alumnus yet: results are missing for semester(s) %(missing)s."
)


@transaction.atomic
def student_convert_to_alumni(
    *,
    student: Student,
    graduation_year: int,
    current_occupation: str = "",
    current_organization: str = "",
    contact_mobile: str = "",
    contact_email: str = "",
    acting_user: User | None = None,
) -> Alumni:
    """Property 18: only with results for every semester 1 to 8."""
    student = Student.objects.select_for_update().get(pk=student.pk)
    if (
        student.status == StudentStatus.ALUMNI
        or Alumni.objects.filter(student=student).exists()
    ):
        raise BusinessRuleError(
            _("%(student)s is already an alumnus.") % {"student": student}
        )
    if student.status == StudentStatus.DISCONTINUED:
        raise BusinessRuleError(
            _("%(student)s is discontinued and cannot become an alumnus.")
            % {"student": student}
        )
    missing = selectors.student_semesters_missing_results(student=student)
    if missing:
        raise BusinessRuleError(
            ALUMNI_MISSING_RESULTS
            % {"student": student, "missing": ", ".join(str(n) for n in missing)}
        )
    alumni = Alumni(
        student=student,
        graduation_year=graduation_year,
        current_occupation=current_occupation,
        current_organization=current_organization,
        contact_mobile=contact_mobile,
        contact_email=contact_email,
        converted_by=acting_user,
    )
    alumni.full_clean()
    _stamp(alumni, acting_user, "converted to alumni")
    alumni.save()
    before = snapshot(student)
    student.status = StudentStatus.ALUMNI
    _stamp(student, acting_user, "converted to alumni")
    student.save(update_fields=["status", "updated_at"])
    record_created(
        alumni, user=acting_user, description=f"{student}: converted to alumni"
    )
    record_updated(
        student,
        before,
        user=acting_user,
        description=f"{student}: converted to alumni",
    )
    return alumni


# --- Routines ----------------------------------------------------------------


def _lock_session(session_id: int) -> None:
    # Routine writes of one session are serialised, so two clerks cannot book
    # the same room at the same time in two requests.
    AcademicSession.objects.select_for_update().filter(pk=session_id).first()


@transaction.atomic
def routine_create(*, acting_user: User | None = None, **fields) -> ClassRoutine:
    routine = ClassRoutine(**fields)
    if routine.session_id:
        _lock_session(routine.session_id)
    routine.full_clean()
    _stamp(routine, acting_user)
    routine.save()
    routine_sync_grants(routine=routine)
    record_created(routine, user=acting_user)
    return routine


@transaction.atomic
def routine_update(
    *, routine: ClassRoutine, acting_user: User | None = None, **fields
) -> ClassRoutine:
    routine = ClassRoutine.objects.select_for_update().get(pk=routine.pk)
    before = snapshot(routine)
    for name, value in fields.items():
        setattr(routine, name, value)
    _lock_session(routine.session_id)
    routine.full_clean()
    _stamp(routine, acting_user)
    routine.save()
    routine_sync_grants(routine=routine)
    record_updated(routine, before, user=acting_user)
    return routine


def _bulk_save_with_history(
    model, to_create, to_update, fields, *, acting_user, reason: str, batch: str
) -> None:
    """Bulk-write a sheet or grid with history rows tagged by reason, batch and IP."""
    now = timezone.now()
    if to_create:
        model.objects.bulk_create(to_create, batch_size=500)
        write_history(
            model, to_create, "+", user=acting_user, reason=reason, tag=batch, when=now
        )
    if to_update:
        model.objects.bulk_update(to_update, fields, batch_size=500)
        write_history(
            model, to_update, "~", user=acting_user, reason=reason, tag=batch, when=now
        )


# --- Attendance ---------------------------------------------------------------


@dataclass
class SheetResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    present: int = 0
    absent: int = 0


SHEET_WRONG_DAY = _("%(date)s is a %(weekday)s, but this class is on %(day)s.")
SHEET_UNKNOWN_STUDENTS = _("These students are not in this class: %(ids)s.")


@transaction.atomic
def attendance_sheet_save(
    *,
    routine: ClassRoutine,
    day: date,
    present: dict[int, bool],
    notes: dict[int, str] | None = None,
    acting_user: User | None = None,
) -> SheetResult:
    """Save the attendance of a whole class sitting in one go.

    ``present`` maps student id to present/absent for every student of the
    class group (students left out count as present). Re-saving the same slot
    and date updates the records; it never duplicates them.
    """
    notes = notes or {}
    if Weekday.of(day) != routine.day_of_week:
        raise ValidationError(
            {
                "date": SHEET_WRONG_DAY
                % {
                    "date": day.isoformat(),
                    "weekday": day_name(day),
                    "day": routine.get_day_of_week_display(),
                }
            }
        )
    validate_attendance_slot(
        department=routine.department,
        semester=routine.semester,
        shift=routine.shift,
        session=routine.session,
        subject=routine.subject,
        day=day,
    )
    students = list(selectors.class_group_students(routine=routine).only("pk"))
    ids = {s.pk for s in students}
    unknown = set(present) - ids
    if unknown:
        raise ValidationError(
            SHEET_UNKNOWN_STUDENTS % {"ids": ", ".join(str(i) for i in sorted(unknown))}
        )
    existing = {
        record.student_id: record
        for record in AttendanceRecord.objects.select_for_update().filter(
            subject=routine.subject, date=day, student_id__in=ids
        )
    }
    result = SheetResult()
    to_create, to_update = [], []
    changed: dict[int, tuple] = {}  # student id -> (before, after) for the log
    for student_id in sorted(ids):
        is_present = bool(present.get(student_id, True))
        note = _clean_text((notes.get(student_id) or "").strip(), "notes")
        result.present += is_present
        result.absent += not is_present
        record = existing.get(student_id)
        after = _attendance_label(is_present, note)
        if record is None or record.is_present != is_present or record.notes != note:
            before = (
                _attendance_label(record.is_present, record.notes) if record else None
            )
            changed[student_id] = (before, after)
        if record is None:
            to_create.append(
                AttendanceRecord(
                    student_id=student_id,
                    subject=routine.subject,
                    semester=routine.semester,
                    date=day,
                    is_present=is_present,
                    notes=note,
                    recorded_by=acting_user,
                )
            )
        elif record.is_present != is_present or record.notes != note:
            record.is_present = is_present
            record.notes = note
            record.recorded_by = acting_user
            to_update.append(record)
        else:
            result.unchanged += 1
    _bulk_save_with_history(
        AttendanceRecord,
        to_create,
        to_update,
        ["is_present", "notes", "recorded_by"],
        acting_user=acting_user,
        reason="attendance sheet",
        batch=f"attendance {routine.subject.code} {day.isoformat()} #{routine.pk}",
    )
    summaries.touch_records(to_create + to_update)
    result.created, result.updated = len(to_create), len(to_update)
    if changed:
        activity_record(
            action=ActivityAction.UPDATE if to_update else ActivityAction.CREATE,
            user=acting_user,
            entity_type="attendancesheet",
            entity_id=f"{routine.pk}/{day.isoformat()}",
            department_id=routine.department_id,
            description=(
                f"attendance of {routine} on {day.isoformat()}: "
                f"{result.present} present, {result.absent} absent "
                f"({result.created} new, {result.updated} changed, "
                f"{result.unchanged} unchanged)"
            ),
            changes=_student_changes(changed),
        )
    return result


def _attendance_label(is_present: bool, note: str) -> str:
    label = "present" if is_present else "absent"
    return f"{label} ({note})" if note else label


def _student_changes(changed: dict[int, tuple]) -> dict[str, dict]:
    """Per-student before/after, keyed by roll number (the sheet's and grid's log)."""
    rolls = dict(
        Student.objects.filter(pk__in=changed).values_list("pk", "current_roll_number")
    )
    return {
        rolls.get(student_id) or str(student_id): {"before": before, "after": after}
        for student_id, (before, after) in sorted(changed.items())
    }


@transaction.atomic
def attendance_record_save(
    *, record: AttendanceRecord, acting_user: User | None = None
):
    """One attendance record from a form (the admin's edit screen)."""
    if record.recorded_by_id is None:
        record.recorded_by = acting_user
    record.full_clean()
    before = stored_snapshot(record)
    _stamp(record, acting_user)
    record.save()
    record_saved(record, before, user=acting_user)
    return record


# --- Marks ---------------------------------------------------------------------


@dataclass
class MarksGridResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    blank: int = 0


class MarksGridError(ValidationError):
    """Per-cell errors of a marks grid: ``cell_errors`` maps student id to messages."""

    def __init__(self, cell_errors: dict[int, str]):
        self.cell_errors = cell_errors
        count = len(cell_errors)
        super().__init__(
            ngettext(
                "%(count)d cell has an error; nothing was saved.",
                "%(count)d cells have errors; nothing was saved.",
                count,
            )
            % {"count": count}
        )


MARK_NOT_A_NUMBER = _("“%(value)s” is not a number.")
MARK_OUT_OF_RANGE = _("%(value)s is outside 0 to %(total)s.")
MARK_TOO_PRECISE = _("Use at most two decimal places.")


def parse_mark(raw, total: Decimal) -> Decimal | None:
    """A grid cell as a Decimal, or None when blank; ValidationError when wrong.

    Bangla digits (০-৯) are accepted.
    """
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    text = text.translate(str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789"))
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(MARK_NOT_A_NUMBER % {"value": raw}) from None
    if not value.is_finite():
        raise ValidationError(MARK_NOT_A_NUMBER % {"value": raw})
    if value.as_tuple().exponent < -2:
        raise ValidationError(MARK_TOO_PRECISE)
    if not (0 <= value <= total):
        raise ValidationError(MARK_OUT_OF_RANGE % {"value": text, "total": total})
    return value


@transaction.atomic
def marks_grid_save(
    *,
    subject: Subject,
    exam_type: str,
    shift: str,
    session: AcademicSession,
    total_marks: Decimal,
    entries: dict[int, object],
    remarks: dict[int, str] | None = None,
    acting_user: User | None = None,
) -> MarksGridResult:
    """Save one exam's marks for a whole class group: all cells or none.

    A blank cell leaves that student's stored mark as it is.
    """
    remarks = remarks or {}
    if total_marks is None or total_marks <= 0:
        raise ValidationError({"total_marks": _("Total marks must be more than 0.")})
    ids = set(
        selectors.class_group_students_for(
            department=subject.department,
            semester=subject.semester,
            shift=shift,
            session=session,
        ).values_list("pk", flat=True)
    )
    cell_errors: dict[int, str] = {}
    values: dict[int, Decimal] = {}
    for student_id, raw in entries.items():
        if student_id not in ids:
            cell_errors[student_id] = str(_("This student is not in this class."))
            continue
        try:
            value = parse_mark(raw, total_marks)
        except ValidationError as exc:
            cell_errors[student_id] = " ".join(str(m) for m in exc.messages)
            continue
        if value is not None:
            values[student_id] = value
    if cell_errors:
        raise MarksGridError(cell_errors)

    existing = {
        m.student_id: m
        for m in MarksRecord.objects.select_for_update().filter(
            subject=subject,
            semester=subject.semester,
            exam_type=exam_type,
            student_id__in=ids,
        )
    }
    result = MarksGridResult(blank=len(ids) - len(values))
    to_create, to_update = [], []
    changed: dict[int, tuple] = {}  # student id -> (before, after) for the log
    for student_id, value in sorted(values.items()):
        remark = _clean_text((remarks.get(student_id) or "").strip(), "remarks")
        record = existing.get(student_id)
        after = _mark_label(value, total_marks, remark)
        before = (
            _mark_label(record.marks_obtained, record.total_marks, record.remarks)
            if record
            else None
        )
        if before != after:
            changed[student_id] = (before, after)
        if record is None:
            to_create.append(
                MarksRecord(
                    student_id=student_id,
                    subject=subject,
                    semester=subject.semester,
                    exam_type=exam_type,
                    marks_obtained=value,
                    total_marks=total_marks,
                    remarks=remark,
                    recorded_by=acting_user,
                )
            )
        elif (
            record.marks_obtained != value
            or record.total_marks != total_marks
            or record.remarks != remark
        ):
            record.marks_obtained, record.total_marks = value, total_marks
            record.remarks, record.recorded_by = remark, acting_user
            to_update.append(record)
        else:
            result.unchanged += 1
    _bulk_save_with_history(
        MarksRecord,
        to_create,
        to_update,
        ["marks_obtained", "total_marks", "remarks", "recorded_by"],
        acting_user=acting_user,
        reason="marks entry",
        batch=f"marks {subject.code} {exam_type} {shift} {session}",
    )
    summaries.touch_records(to_create + to_update)
    result.created, result.updated = len(to_create), len(to_update)
    if changed:
        activity_record(
            action=ActivityAction.UPDATE if to_update else ActivityAction.CREATE,
            user=acting_user,
            entity_type="marksgrid",
            entity_id=f"{subject.pk}/{exam_type}/{session.pk}/{shift}",
            department_id=subject.department_id,
            description=(
                f"{exam_type} marks of {subject} ({shift}, {session}): "
                f"{result.created} new, {result.updated} changed, "
                f"{result.unchanged} unchanged, {result.blank} blank"
            ),
            changes=_student_changes(changed),
        )
    return result


def _mark_label(value, total, remark: str) -> str:
    label = f"{Decimal(value).normalize():f}/{Decimal(total).normalize():f}"
    return f"{label} ({remark})" if remark else label


@transaction.atomic
def marks_record_save(
    *, record: MarksRecord, acting_user: User | None = None
) -> MarksRecord:
    if record.recorded_by_id is None:
        record.recorded_by = acting_user
    record.full_clean()
    before = stored_snapshot(record)
    _stamp(record, acting_user)
    record.save()
    record_saved(record, before, user=acting_user)
    return record


# --- Documents -------------------------------------------------------------------


def _safe_original_name(name: str) -> str:
    base = os.path.basename(name or "file").replace("\x00", "")
    return base[:255] or "file"


@transaction.atomic
def document_upload(
    *, student: Student, kind: str, uploaded_file, acting_user: User | None = None
) -> Document:
    """Property 23: the file is stored and its row created together, or neither."""
    content_type = sniff_upload(uploaded_file, ALLOWED_UPLOAD_TYPES)
    document = Document(
        student=student,
        kind=kind,
        original_name=_safe_original_name(uploaded_file.name),
        size=uploaded_file.size,
        content_type=content_type,
        uploaded_by=acting_user,
    )
    document.full_clean(exclude=["file"])
    extension = ALLOWED_UPLOAD_TYPES[content_type]
    uploaded_file.seek(0)
    document.file.save(f"upload{extension}", uploaded_file, save=False)
    try:
        _stamp(document, acting_user)
        document.save()
        record_created(document, user=acting_user)
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
    return document


@transaction.atomic
def document_delete(*, document: Document, acting_user: User | None = None) -> None:
    """Property 24: the row and the file both go (the file once the row is gone for good)."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    storage, name = document.file.storage, document.file.name
    record_deleted(document, user=acting_user)
    _stamp(document, acting_user)
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --- Object permissions (granted and revoked by their cause) --------------------------

ROUTINE_PERMS = ("take_attendance", "enter_marks")


def routine_sync_grants(*, routine: ClassRoutine) -> None:
    """Give a slot's object permissions to exactly those its cause names.

    The slot's teacher (their user account) may take attendance and enter
    marks; the captains of the class group may take attendance. Anyone else
    holding these permissions on the slot loses them. Inactive slots grant
    nothing.
    """
    from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

    wanted: dict[int, set[str]] = {}
    if routine.is_active:
        teacher_user_id = (
            Teacher.objects.filter(pk=routine.teacher_id)
            .values_list("user_id", flat=True)
            .first()
            if routine.teacher_id
            else None
        )
        if teacher_user_id:
            wanted.setdefault(teacher_user_id, set()).update(ROUTINE_PERMS)
        captains = selectors.class_group_students(routine=routine).filter(
            user__role=Role.CAPTAIN
        )
        for user_id in captains.values_list("user_id", flat=True):
            wanted.setdefault(user_id, set()).add("take_attendance")
    holders = get_users_with_perms(
        routine, attach_perms=True, with_superusers=False, with_group_users=False
    )
    for user, perms in holders.items():
        for perm in set(perms) & set(ROUTINE_PERMS):
            if perm not in wanted.get(user.pk, set()):
                remove_perm(f"records.{perm}", user, routine)
    held = {user.pk: set(perms) for user, perms in holders.items()}
    users = {u.pk: u for u in User.objects.filter(pk__in=wanted)}
    for user_id, perms in wanted.items():
        for perm in perms - held.get(user_id, set()):
            assign_perm(f"records.{perm}", users[user_id], routine)


def teacher_pre_delete(sender, instance, **kwargs) -> None:
    """Before a teacher goes: remember their slots (the delete empties them)."""
    instance._campusdesk_routine_ids = list(
        ClassRoutine.objects.filter(teacher=instance).values_list("pk", flat=True)
    )


def teacher_post_delete(sender, instance, **kwargs) -> None:
    """The slots lost their teacher, so the teacher's account loses their grants
    (whichever way the teacher was deleted: admin, API, a cascade)."""
    ids = getattr(instance, "_campusdesk_routine_ids", None) or []
    for routine in ClassRoutine.objects.filter(pk__in=ids):
        routine_sync_grants(routine=routine)


def class_group_sync_grants(*, department_id, semester, shift, session_id) -> None:
    for routine in ClassRoutine.objects.for_class_group(
        department=department_id, semester=semester, shift=shift, session=session_id
    ):
        routine_sync_grants(routine=routine)


@transaction.atomic
def registrar_set_departments(
    *,
    user: User,
    departments,
    all_departments: bool = False,
    acting_user: User | None = None,
) -> User:
    """A registrar's scope: institute-wide, or exactly these departments."""
    from django.contrib.auth.models import Permission
    from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

    user = User.objects.select_for_update().get(pk=user.pk)
    if user.role != Role.REGISTRAR:
        raise BusinessRuleError(
            _("%(user)s is not a registrar; only registrars have departments.")
            % {"user": user.get_username()}
        )
    everything = Permission.objects.get(
        content_type__app_label="records", codename="manage_all_departments"
    )
    before = _registrar_scope(user)
    if all_departments:
        user.user_permissions.add(everything)
    else:
        user.user_permissions.remove(everything)
    wanted = {d.pk: d for d in departments}
    current = get_objects_for_user(
        user,
        "records.manage_department",
        klass=Department,
        use_groups=False,
        with_superuser=False,
        accept_global_perms=False,
    )
    for department in current:
        if department.pk not in wanted:
            remove_perm("records.manage_department", user, department)
    current_ids = {d.pk for d in current}
    for pk, department in wanted.items():
        if pk not in current_ids:
            assign_perm("records.manage_department", user, department)
    record_updated(
        user,
        before,
        user=acting_user,
        after=_registrar_scope(user),
        description=f"departments of registrar {user.get_username()}",
    )
    return user


def _registrar_scope(user: User) -> dict:
    from guardian.shortcuts import get_objects_for_user

    codes = get_objects_for_user(
        user,
        "records.manage_department",
        klass=Department,
        use_groups=False,
        with_superuser=False,
        accept_global_perms=False,
    ).values_list("code", flat=True)
    return {
        "all_departments": user.user_permissions.filter(
            content_type__app_label="records", codename="manage_all_departments"
        ).exists(),
        "departments": sorted(codes),
    }


@transaction.atomic
def captain_appoint(*, student: Student, acting_user: User | None = None) -> Student:
    """Make a student the captain of their class group (they must have an account)."""
    student = Student.objects.select_for_update().get(pk=student.pk)
    if student.user_id is None:
        raise BusinessRuleError(
            _("%(student)s has no sign-in account, so cannot be a captain.")
            % {"student": student}
        )
    if student.status != StudentStatus.ACTIVE:
        raise BusinessRuleError(_("Only an active student can be a captain."))
    _user, before = _change_role(student.user, Role.CAPTAIN)
    record_updated(
        student,
        before,
        user=acting_user,
        after={"role": Role.CAPTAIN.value},
        description=f"{student}: appointed captain",
    )
    class_group_sync_grants(**group_dict(_class_group_of(student)))
    return student


@transaction.atomic
def captain_dismiss(*, student: Student, acting_user: User | None = None) -> Student:
    student = Student.objects.select_for_update().get(pk=student.pk)
    if student.user_id is None or student.user.role != Role.CAPTAIN:
        raise BusinessRuleError(
            _("%(student)s is not a captain.") % {"student": student}
        )
    _user, before = _change_role(student.user, Role.STUDENT)
    record_updated(
        student,
        before,
        user=acting_user,
        after={"role": Role.STUDENT.value},
        description=f"{student}: dismissed as captain",
    )
    class_group_sync_grants(**group_dict(_class_group_of(student)))
    return student


@transaction.atomic
def teacher_update(
    *, teacher: Teacher, acting_user: User | None = None, **fields
) -> Teacher:
    """Edit a teacher; a new user account takes over the teacher's class grants."""
    teacher = Teacher.objects.select_for_update().get(pk=teacher.pk)
    old_user_id = teacher.user_id
    before = snapshot(teacher)
    for name, value in fields.items():
        setattr(teacher, name, value)
    teacher.full_clean()
    _stamp(teacher, acting_user)
    teacher.save()
    record_updated(teacher, before, user=acting_user)
    if teacher.user_id != old_user_id:
        for routine in ClassRoutine.objects.filter(teacher=teacher):
            routine_sync_grants(routine=routine)
    return teacher
