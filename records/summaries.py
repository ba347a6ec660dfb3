"""Summary tables behind the head's dashboards, kept exact by every write.

``AttendanceDaySummary``, ``MarksSummary`` and ``StudentTermSummary`` are
derived from the attendance and marks records (joined to the student's
current class group). They are never edited: a write *touches* the keys it
changed and the touched keys are recomputed from the raw records, in the
writer's transaction.

- Keys: attendance ``(subject_id, date)``, marks ``(subject_id, exam_type)``,
  terms ``(student_id, semester)``; a student whose department, shift or
  session changed touches everything derived from them.
- ``with summaries.deferred():`` collects the touched keys and recomputes each
  once when the outermost block exits (bulk writes use it). Outside such a
  block a touch recomputes at once (per-object saves and deletes, through the
  signal receivers at the bottom).
- Concurrency: a refresh takes ``FOR NO KEY UPDATE`` locks on the subjects and
  students whose rows it recomputes, so two transactions touching one key are
  serialised and the one that commits last sees both writes (READ COMMITTED).
- ``rebuild_all()`` recomputes everything set-based (``manage.py
  rebuild_summaries``); ``drift()`` compares the tables with a recomputation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    F,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Least, Round, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone

from .models import (
    AttendanceDaySummary,
    AttendanceRecord,
    MarksRecord,
    MarksSummary,
    Student,
    StudentTermSummary,
    Subject,
)

# --- The marks rules (one definition for summaries, filters and tests) ----------

PASS_PERCENTAGE = 40  # a mark passes at percentage >= 40 (records.selectors grade D)
BANDS = range(10)  # floor(percentage / 10); 100% goes to band 9


def _hundredths(name: str):
    # Marks carry two decimals: as whole hundredths the rules below are exact
    # integer arithmetic on both databases (SQLite keeps decimals as floats).
    return Cast(Round(F(name) * 100), BigIntegerField())


def marks_band_expression():
    """floor(marks_obtained * 10 / total_marks), at most 9, as a SQL expression."""
    return Least(
        Value(9),
        _hundredths("marks_obtained") * 10 / _hundredths("total_marks"),
        output_field=BigIntegerField(),
    )


def marks_passed_condition():
    """marks_obtained * 100 / total_marks >= 40, as a boolean SQL expression."""
    return GreaterThanOrEqual(
        _hundredths("marks_obtained") * 100,
        _hundredths("total_marks") * PASS_PERCENTAGE,
    )


def marks_failed_condition():
    return LessThan(
        _hundredths("marks_obtained") * 100,
        _hundredths("total_marks") * PASS_PERCENTAGE,
    )


# --- The recomputations, as querysets (the same for refresh, rebuild and check) -----

ATTENDANCE_KEY = (
    "date",
    "subject_id",
    "semester",
    "department_id",
    "shift",
    "session_id",
)
MARKS_KEY = (
    "recorded_on",
    "subject_id",
    "exam_type",
    "semester",
    "department_id",
    "shift",
    "session_id",
    "band",
)
TERM_KEY = ("student_id", "semester")


def attendance_groups(records: QuerySet) -> QuerySet:
    """``ATTENDANCE_KEY + (present, total)`` rows of the given attendance records."""
    return (
        records.order_by()
        .values(
            "date",
            "subject_id",
            "semester",
            department_id=F("student__department_id"),
            shift=F("student__shift"),
            session_id=F("student__session_id"),
        )
        .annotate(present=Count("pk", filter=Q(is_present=True)), total=Count("pk"))
        .values_list(*ATTENDANCE_KEY, "present", "total")
    )


def marks_groups(records: QuerySet) -> QuerySet:
    """``MARKS_KEY + (count, passed)`` rows of the given marks records."""
    return (
        records.order_by()
        .values(
            "subject_id",
            "exam_type",
            "semester",
            recorded_on=TruncDate(
                "recorded_at", tzinfo=timezone.get_default_timezone()
            ),
            department_id=F("student__department_id"),
            shift=F("student__shift"),
            session_id=F("student__session_id"),
            band=marks_band_expression(),
        )
        .annotate(
            count=Count("pk"),
            passed=Count("pk", filter=marks_passed_condition()),
        )
        .values_list(*MARKS_KEY, "count", "passed")
    )


def term_attendance(records: QuerySet) -> QuerySet:
    return (
        records.order_by()
        .values("student_id", "semester")
        .annotate(present=Count("pk", filter=Q(is_present=True)), total=Count("pk"))
        .values_list("student_id", "semester", "present", "total")
    )


def term_marks(records: QuerySet) -> QuerySet:
    return (
        records.order_by()
        .values("student_id", "semester")
        .annotate(
            count=Count("pk"), failed=Count("pk", filter=marks_failed_condition())
        )
        .values_list("student_id", "semester", "count", "failed")
    )


def _term_rows(attendance: Iterable, marks: Iterable) -> list[tuple]:
    """Merge the two per-(student, semester) aggregates into term rows."""
    rows: dict[tuple, list[int]] = {}
    for student_id, semester, present, total in attendance:
        rows.setdefault((student_id, semester), [0, 0, 0, 0])[0:2] = [present, total]
    for student_id, semester, count, failed in marks:
        rows.setdefault((student_id, semester), [0, 0, 0, 0])[2:4] = [count, failed]
    return [(*key, *values) for key, values in rows.items()]


TERM_FIELDS = (
    "student_id",
    "semester",
    "attendance_present",
    "attendance_total",
    "marks_count",
    "marks_failed",
)
ATTENDANCE_FIELDS = (*ATTENDANCE_KEY, "present", "total")
MARKS_FIELDS = (*MARKS_KEY, "count", "passed")


# --- Key filters ---------------------------------------------------------------------

# Parameters per statement: well under SQLite's and PostgreSQL's limits.
_CHUNK = 500


def _key_filters(keys: Iterable[tuple], first: str, second: str) -> Iterator[Q]:
    """OR-ed ``first=a AND second IN (...)`` filters of about _CHUNK values each."""
    by_first: dict = defaultdict(set)
    for a, b in keys:
        by_first[a].add(b)
    q, size = Q(), 0
    for a in sorted(by_first):
        values = sorted(by_first[a], key=lambda v: (v is None, v))
        for start in range(0, len(values), _CHUNK):
            part = values[start : start + _CHUNK]
            if None in part:  # (student, None): every semester of the student
                term = Q(**{first: a})
            else:
                term = Q(**{first: a, f"{second}__in": part})
            q |= term
            size += len(part) + 1
            if size >= _CHUNK:
                yield q
                q, size = Q(), 0
    if size:
        yield q


def _lock(model, ids: Iterable[int]) -> None:
    """Serialise refreshes of the same keys (see the module docstring)."""
    ids = sorted(set(ids))
    if not ids or connection.vendor == "sqlite":
        return  # SQLite has one writer at a time anyway
    for start in range(0, len(ids), _CHUNK):
        list(
            model._base_manager.select_for_update(no_key=True)
            .filter(pk__in=ids[start : start + _CHUNK])
            .order_by("pk")
            .values_list("pk", flat=True)
        )


# --- Refreshes -----------------------------------------------------------------------


def refresh_attendance(keys: Iterable[tuple]) -> None:
    """Recompute the AttendanceDaySummary rows of these (subject_id, date) keys."""
    keys = {(s, d) for s, d in keys if s is not None and d is not None}
    if not keys:
        return
    with transaction.atomic():
        _lock(Subject, (s for s, _d in keys))
        for q in _key_filters(keys, "subject_id", "date"):
            AttendanceDaySummary.objects.filter(q).delete()
            rows = attendance_groups(AttendanceRecord.objects.filter(q))
            AttendanceDaySummary.objects.bulk_create(
                [
                    AttendanceDaySummary(
                        **dict(zip(ATTENDANCE_FIELDS, row, strict=True))
                    )
                    for row in rows
                ],
                batch_size=1000,
            )


def refresh_marks(keys: Iterable[tuple]) -> None:
    """Recompute the MarksSummary rows of these (subject_id, exam_type) keys."""
    keys = {(s, e) for s, e in keys if s is not None and e}
    if not keys:
        return
    with transaction.atomic():
        _lock(Subject, (s for s, _e in keys))
        for q in _key_filters(keys, "subject_id", "exam_type"):
            MarksSummary.objects.filter(q).delete()
            rows = marks_groups(MarksRecord.objects.filter(q))
            MarksSummary.objects.bulk_create(
                [
                    MarksSummary(**dict(zip(MARKS_FIELDS, row, strict=True)))
                    for row in rows
                ],
                batch_size=1000,
            )


def refresh_terms(keys: Iterable[tuple]) -> None:
    """Recompute StudentTermSummary rows of (student_id, semester) keys.

    A semester of None stands for every semester of that student.
    """
    keys = {(s, n) for s, n in keys if s is not None}
    if not keys:
        return
    whole = {s for s, n in keys if n is None}
    keys = {(s, n) for s, n in keys if n is None or s not in whole}
    with transaction.atomic():
        _lock(Student, (s for s, _n in keys))
        for q in _key_filters(keys, "student_id", "semester"):
            StudentTermSummary.objects.filter(q).delete()
            rows = _term_rows(
                term_attendance(AttendanceRecord.objects.filter(q)),
                term_marks(MarksRecord.objects.filter(q)),
            )
            StudentTermSummary.objects.bulk_create(
                [
                    StudentTermSummary(**dict(zip(TERM_FIELDS, row, strict=True)))
                    for row in rows
                ],
                batch_size=1000,
            )


def refresh_student_terms(student_ids: Iterable[int]) -> None:
    """Recompute every term row of these students."""
    refresh_terms((s, None) for s in student_ids)


def _keys_of_students(student_ids: list[int]) -> tuple[set, set]:
    attendance, marks = set(), set()
    for start in range(0, len(student_ids), _CHUNK):
        chunk = student_ids[start : start + _CHUNK]
        attendance.update(
            AttendanceRecord.objects.filter(student_id__in=chunk)
            .order_by()
            .values_list("subject_id", "date")
            .distinct()
        )
        marks.update(
            MarksRecord.objects.filter(student_id__in=chunk)
            .order_by()
            .values_list("subject_id", "exam_type")
            .distinct()
        )
    return attendance, marks


def refresh_for_students(student_ids: Iterable[int]) -> None:
    """Recompute everything derived from these students' records.

    For a change of a student's department, shift or session: their sittings
    and marks move to another group. (Deleted records touch their own keys.)
    """
    ids = sorted({s for s in student_ids if s is not None})
    if not ids:
        return
    attendance, marks = _keys_of_students(ids)
    refresh_attendance(attendance)
    refresh_marks(marks)
    refresh_student_terms(ids)


# --- Touching and deferring --------------------------------------------------------


@dataclass
class _Pending:
    attendance: set = field(default_factory=set)
    marks: set = field(default_factory=set)
    terms: set = field(default_factory=set)
    students: set = field(default_factory=set)

    def flush(self) -> None:
        # A moved student's keys are found before anything else is refreshed.
        attendance, marks = set(self.attendance), set(self.marks)
        terms = set(self.terms)
        if self.students:
            ids = sorted(self.students)
            more_attendance, more_marks = _keys_of_students(ids)
            attendance |= more_attendance
            marks |= more_marks
            terms |= {(s, None) for s in ids}
        self.attendance.clear()
        self.marks.clear()
        self.terms.clear()
        self.students.clear()
        refresh_attendance(attendance)
        refresh_marks(marks)
        refresh_terms(terms)


_pending: ContextVar[_Pending | None] = ContextVar("campusdesk_summaries", default=None)


@contextmanager
def deferred() -> Iterator[None]:
    """Collect touched keys; refresh each once when the outermost block exits.

    Use it inside the writer's ``transaction.atomic`` so the refresh is part
    of the same transaction. When the block raises, nothing is refreshed: the
    writes are being rolled back too.
    """
    if _pending.get() is not None:
        yield  # nested: the outer block refreshes
        return
    pending = _Pending()
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    pending.flush()


def _touch(kind: str, keys: Iterable) -> None:
    pending = _pending.get()
    if pending is not None:
        getattr(pending, kind).update(keys)
        return
    now = _Pending()
    getattr(now, kind).update(keys)
    now.flush()


def touch_attendance(keys: Iterable[tuple]) -> None:
    """(subject_id, date) keys whose attendance records changed."""
    _touch("attendance", keys)


def touch_marks(keys: Iterable[tuple]) -> None:
    """(subject_id, exam_type) keys whose marks records changed."""
    _touch("marks", keys)


def touch_terms(keys: Iterable[tuple]) -> None:
    """(student_id, semester) keys whose attendance or marks changed."""
    _touch("terms", keys)


def touch_students(student_ids: Iterable[int]) -> None:
    """Students whose department, shift or session changed (or who went away)."""
    _touch("students", student_ids)


def touch_records(records: Iterable, *, before: dict | None = None) -> None:
    """Touch the keys of attendance or marks records (new values and, for an
    update, the old ones in ``before``: field name -> old raw value)."""
    attendance, marks, terms = set(), set(), set()
    for record in records:
        _record_keys(record, attendance, marks, terms)
    if attendance:
        touch_attendance(attendance)
    if marks:
        touch_marks(marks)
    if terms:
        touch_terms(terms)


def _record_keys(record, attendance: set, marks: set, terms: set, old=None) -> None:
    get = (
        (lambda name: old[name])
        if old is not None
        else (lambda name: getattr(record, name))
    )
    if isinstance(record, AttendanceRecord):
        attendance.add((get("subject_id"), get("date")))
    else:
        marks.add((get("subject_id"), get("exam_type")))
    terms.add((get("student_id"), get("semester")))


def touch_record_changes(model, changes: Iterable[tuple]) -> None:
    """Updated records: ``(record, before)`` pairs, ``before`` mapping field
    names to their old values (the import engine's plan)."""
    attendance, marks, terms = set(), set(), set()
    for record, before in changes:
        _record_keys(record, attendance, marks, terms)
        old = {
            name: before.get(name.removesuffix("_id"), getattr(record, name))
            for name in ("subject_id", "date", "exam_type", "student_id", "semester")
            if hasattr(record, name)
        }
        _record_keys(record, attendance, marks, terms, old=old)
    touch_attendance(attendance)
    touch_marks(marks)
    touch_terms(terms)


def touch_import(model, created: list, updates: list[tuple]) -> None:
    """What a spreadsheet import wrote: new records and (record, before) updates.

    Students count only when their department, shift or session changed, so
    a student import costs one pass over its updates and no query.
    """
    if model is Student:
        moved = [
            obj.pk
            for obj, before in updates
            if "department" in before or "shift" in before or "session" in before
        ]
        if moved:
            touch_students(moved)
    elif model in _RECORD_FIELDS:
        with deferred():
            touch_records(created)
            touch_record_changes(model, updates)


def touch_before_bulk_change(model, objs: list) -> dict:
    """Before records or students are bulk-deleted or bulk-restored (import undo):
    touch the keys they hold now; returns the students' class groups to compare
    with afterwards (``touch_after_bulk_change``)."""
    if model is Student:
        return {obj.pk: _class_group(obj) for obj in objs}
    if model in _RECORD_FIELDS:
        touch_records(objs)
    return {}


def touch_after_bulk_change(model, objs: list, groups_before: dict) -> None:
    if model is Student:
        moved = [o.pk for o in objs if groups_before.get(o.pk) != _class_group(o)]
        if moved:
            touch_students(moved)
    elif model in _RECORD_FIELDS:
        touch_records(objs)


def _class_group(student) -> tuple:
    return tuple(getattr(student, name) for name in CLASS_GROUP_FIELDS)


# --- Signal receivers: the safety net of per-object saves and deletes ---------------

CLASS_GROUP_FIELDS = ("department_id", "shift", "session_id")
_RECORD_FIELDS = {
    AttendanceRecord: ("subject_id", "date", "student_id", "semester"),
    MarksRecord: ("subject_id", "exam_type", "student_id", "semester"),
}


def record_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._summary_old = None
    if instance.pk is None or instance._state.adding:
        return
    names = _RECORD_FIELDS[sender]
    old = sender._base_manager.filter(pk=instance.pk).values_list(*names).first()
    if old is not None:
        instance._summary_old = dict(zip(names, old, strict=True))


def record_post_save(sender, instance, **kwargs):
    attendance, marks, terms = set(), set(), set()
    _record_keys(instance, attendance, marks, terms)
    old = getattr(instance, "_summary_old", None)
    if old:
        _record_keys(instance, attendance, marks, terms, old=old)
    instance._summary_old = None
    with deferred():
        touch_attendance(attendance)
        touch_marks(marks)
        touch_terms(terms)


def record_post_delete(sender, instance, **kwargs):
    touch_records([instance])


def student_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._summary_group = None
    if instance.pk is None or instance._state.adding:
        return
    names = {*CLASS_GROUP_FIELDS, *(n.removesuffix("_id") for n in CLASS_GROUP_FIELDS)}
    if update_fields is not None and not (names & set(update_fields)):
        return  # e.g. discontinue, reinstate: the class group stays
    instance._summary_group = (
        Student._base_manager.filter(pk=instance.pk)
        .values_list(*CLASS_GROUP_FIELDS)
        .first()
    )


def student_post_save(sender, instance, created=False, **kwargs):
    old = getattr(instance, "_summary_group", None)
    instance._summary_group = None
    if old is None or created:
        return
    if old != _class_group(instance):
        touch_students([instance.pk])


def connect_receivers() -> None:
    from django.db.models.signals import post_delete, post_save, pre_save

    for model in (AttendanceRecord, MarksRecord):
        label = model._meta.label_lower
        pre_save.connect(
            record_pre_save, sender=model, dispatch_uid=f"summaries_pre_{label}"
        )
        post_save.connect(
            record_post_save, sender=model, dispatch_uid=f"summaries_post_{label}"
        )
        post_delete.connect(
            record_post_delete, sender=model, dispatch_uid=f"summaries_del_{label}"
        )
    pre_save.connect(student_pre_save, sender=Student, dispatch_uid="summaries_pre_st")
    post_save.connect(
        student_post_save, sender=Student, dispatch_uid="summaries_post_st"
    )


# --- Rebuild and check -------------------------------------------------------------


def _insert_select(model, fields: tuple, queryset: QuerySet) -> None:
    """INSERT INTO model (fields) SELECT ... in one statement."""
    sql, params = queryset.query.sql_with_params()
    qn = connection.ops.quote_name
    columns = ", ".join(qn(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(model._meta.db_table)} ({columns}) {sql}", params
        )


def _insert_terms() -> None:
    """All term rows in one statement: both aggregates, UNION ALL, summed."""
    attendance = term_attendance(AttendanceRecord.objects.all()).annotate(
        marks_count=Value(0), marks_failed=Value(0)
    )
    marks = (
        MarksRecord.objects.order_by()
        .values("student_id", "semester")
        .annotate(
            present=Value(0),
            total=Value(0),
            marks_count=Count("pk"),
            marks_failed=Count("pk", filter=marks_failed_condition()),
        )
        .values_list(
            "student_id", "semester", "present", "total", "marks_count", "marks_failed"
        )
    )
    attendance = attendance.values_list(
        "student_id", "semester", "present", "total", "marks_count", "marks_failed"
    )
    a_sql, a_params = attendance.query.sql_with_params()
    m_sql, m_params = marks.query.sql_with_params()
    qn = connection.ops.quote_name
    columns = ", ".join(
        qn(StudentTermSummary._meta.get_field(name).column) for name in TERM_FIELDS
    )
    # Names come from the models; values are parameters.
    table = qn(StudentTermSummary._meta.db_table)
    sums = 'SUM(u."present"), SUM(u."total"), SUM(u."marks_count"), '
    sums += 'SUM(u."marks_failed")'
    sql = " ".join(
        [
            f"INSERT INTO {table} ({columns})",
            f'SELECT u."student_id", u."semester", {sums}',
            f"FROM ({a_sql} UNION ALL {m_sql}) u",
            'GROUP BY u."student_id", u."semester"',
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*a_params, *m_params))


def _clear(model) -> None:
    # DELETE, not TRUNCATE: PostgreSQL refuses TRUNCATE of a table with
    # pending deferred-constraint events in the same transaction, and the
    # tables are small (one row per group, not per record).
    model._base_manager.all()._raw_delete(connection.alias)


def rebuild_all() -> dict[str, int]:
    """Recompute all three tables from the raw records (set-based)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Other writers wait for the rebuild instead of refreshing half of it.
            with connection.cursor() as cursor:
                for model in (AttendanceDaySummary, MarksSummary, StudentTermSummary):
                    cursor.execute(
                        f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} "
                        "IN SHARE ROW EXCLUSIVE MODE"
                    )
        for model in (AttendanceDaySummary, MarksSummary, StudentTermSummary):
            _clear(model)
        _insert_select(
            AttendanceDaySummary,
            ATTENDANCE_FIELDS,
            attendance_groups(AttendanceRecord.objects.all()),
        )
        _insert_select(
            MarksSummary, MARKS_FIELDS, marks_groups(MarksRecord.objects.all())
        )
        _insert_terms()
        return {
            "attendance": AttendanceDaySummary.objects.count(),
            "marks": MarksSummary.objects.count(),
            "terms": StudentTermSummary.objects.count(),
        }


def expected_rows() -> dict[str, set[tuple]]:
    """What the three tables should hold, recomputed from the raw records."""
    return {
        "attendance": set(attendance_groups(AttendanceRecord.objects.all())),
        "marks": set(marks_groups(MarksRecord.objects.all())),
        "terms": set(
            _term_rows(
                term_attendance(AttendanceRecord.objects.all()),
                term_marks(MarksRecord.objects.all()),
            )
        ),
    }


def stored_rows() -> dict[str, set[tuple]]:
    return {
        "attendance": set(AttendanceDaySummary.objects.values_list(*ATTENDANCE_FIELDS)),
        "marks": set(MarksSummary.objects.values_list(*MARKS_FIELDS)),
        "terms": set(StudentTermSummary.objects.values_list(*TERM_FIELDS)),
    }


def drift() -> dict[str, tuple[set, set]]:
    """Per table: (rows missing from it, rows it should not hold); empty if exact."""
    expected, stored = expected_rows(), stored_rows()
    return {
        name: (expected[name] - stored[name], stored[name] - expected[name])
        for name in expected
        if expected[name] != stored[name]
    }
