"""The catalogue of metrics a dashboard is composed from.

A metric is a count, or a rate (numerator over denominator), of one record
type, optionally grouped by a field (department, semester, subject, status...)
or over time (day, week, month). Each metric knows:

- which of the dashboard's filters apply to it, and through which field;
- the record listing that shows what it counts, and the listing's query
  parameters for each filter and each group, so every number and every bar
  links to the registrar's own listing with the same filters (drill-down);
- the viewer's permission scope: figures are computed over what the viewer may
  see, with the same rules the listings use.

Attendance and marks figures are read from the summary tables that
``records.summaries`` keeps exact in the same transaction as every write, so a
saved attendance sheet shows at once; ``raw=True`` computes the same figures
straight from the raw records (the benchmark's baseline and the tests' oracle).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    TruncDate,
    TruncDay,
    TruncMonth,
    TruncWeek,
)
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from records.models import (
    AcademicSession,
    AttendanceDaySummary,
    AttendanceRecord,
    Department,
    ExamType,
    Gender,
    ImportBatch,
    ImportStatus,
    MarksRecord,
    MarksSummary,
    Semester,
    Shift,
    Student,
    StudentStatus,
    Subject,
    Teacher,
    TeacherStatus,
)
from records.permissions import VIEW, scope_queryset, user_scope
from records.roles import Role
from records.summaries import (
    marks_band_expression,
    marks_failed_condition,
    marks_passed_condition,
)
from workflows.models import (
    AdmissionApplication,
    CorrectionRequest,
    RequestKind,
    RequestStatus,
)

# --- Filters ----------------------------------------------------------------------

FILTER_NAMES = ("date", "department", "session", "semester", "shift")
FILTER_LABELS = {
    "date": _("date range"),
    "department": _("department"),
    "session": _("session"),
    "semester": _("semester"),
    "shift": _("shift"),
}


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters (and an item's fixed filters and time window)."""

    date_from: date | None = None
    date_to: date | None = None
    department: int | None = None
    session: int | None = None
    semester: int | None = None
    shift: str | None = None
    exam_type: str | None = None
    # An item's fixed filter contradicts the dashboard's: nothing can match.
    nothing: bool = False

    def narrowed(self, other: Filters) -> Filters:
        """These filters and ``other``'s together (an item's fixed filters win only
        where the dashboard's are unset; dates intersect)."""
        date_from = max(
            (d for d in (self.date_from, other.date_from) if d), default=None
        )
        date_to = min((d for d in (self.date_to, other.date_to) if d), default=None)
        return Filters(
            date_from=date_from,
            date_to=date_to,
            department=other.department or self.department,
            session=other.session or self.session,
            semester=other.semester or self.semester,
            shift=other.shift or self.shift,
            exam_type=other.exam_type or self.exam_type,
            nothing=self.nothing or other.nothing or self.conflicts_with(other),
        )

    @property
    def empty_range(self) -> bool:
        return self.nothing or bool(
            self.date_from and self.date_to and self.date_from > self.date_to
        )

    def conflicts_with(self, other: Filters) -> bool:
        """True when an item's fixed filter excludes the dashboard's filter."""
        for name in ("department", "session", "semester", "shift", "exam_type"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine and theirs and mine != theirs:
                return True
        return False


# --- Time windows of an item ------------------------------------------------------

WINDOWS = {
    "": _("Any time (the dashboard's date range)"),
    "today": _("Today"),
    "this_week": _("This week"),
    "last_7_days": _("Last 7 days"),
    "last_30_days": _("Last 30 days"),
    "this_month": _("This month"),
    "current_session": _("Current session"),
    "current_semester": _("Current semester (half of the current session)"),
    "last_365_days": _("Last 12 months"),
}


def window_filters(window: str, today: date | None = None) -> Filters:
    today = today or timezone.localdate()
    if window == "today":
        return Filters(date_from=today, date_to=today)
    if window == "this_week":
        start = today - timedelta(days=today.weekday())
        return Filters(date_from=start, date_to=start + timedelta(days=6))
    if window == "last_7_days":
        return Filters(date_from=today - timedelta(days=6), date_to=today)
    if window == "last_30_days":
        return Filters(date_from=today - timedelta(days=29), date_to=today)
    if window == "last_365_days":
        return Filters(date_from=today - timedelta(days=364), date_to=today)
    if window == "this_month":
        last = calendar.monthrange(today.year, today.month)[1]
        return Filters(date_from=today.replace(day=1), date_to=today.replace(day=last))
    if window in ("current_session", "current_semester"):
        session = (
            AcademicSession.objects.filter(is_current=True)
            .order_by("-start_date")
            .first()
        )
        if session is None:
            return Filters()
        if window == "current_semester":
            start, end = semester_bounds(session.start_date, session.end_date, today)
            return Filters(date_from=start, date_to=end)
        return Filters(
            date_from=session.start_date, date_to=session.end_date, session=session.pk
        )
    return Filters()


def semester_bounds(start: date, end: date, today: date) -> tuple[date, date]:
    """The term of a two-semester session that ``today`` falls in.

    The first semester is the session's first six months, the second the rest
    (July to December and January to June for a July session). A day before
    the session counts as its first semester, a day after it as its second.
    """
    month = start.month + 6
    year = start.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    second = min(date(year, month, day), end)
    if today < second:
        return start, second - timedelta(days=1)
    return second, end


# --- Scope ------------------------------------------------------------------------


def may_view_dashboards(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (
            user.is_superuser
            or getattr(user, "role", None) in (Role.INSTITUTE_HEAD, Role.REGISTRAR)
        )
    )


def department_limit(user) -> frozenset[int] | None:
    """The departments the viewer's figures cover (None: all of them)."""
    if not may_view_dashboards(user):
        return frozenset()
    if user.is_superuser or getattr(user, "role", None) == Role.INSTITUTE_HEAD:
        return None
    scope = user_scope(user)
    if scope.all_departments:
        return None
    return scope.managed_departments


@dataclass
class Context:
    user: object
    filters: Filters
    today: date = field(default_factory=timezone.localdate)
    # Shared by the items of one page: grouped counts several items read.
    memo: dict | None = None

    @property
    def departments(self) -> frozenset[int] | None:
        if not hasattr(self, "_departments"):
            self._departments = department_limit(self.user)
        return self._departments


# --- Dimensions (what a metric is grouped by) -------------------------------------

PERIODS = {"day": _("Day"), "week": _("Week"), "month": _("Month")}
TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def _choice_labels(choices) -> Callable[[Iterable], dict]:
    labels = dict(choices)
    return lambda keys: {k: labels.get(k, k) for k in keys}


def _model_labels(model, fields: tuple[str, ...], label: Callable) -> Callable:
    """Labels of rows of ``model`` by pk: ``label(*values of fields)``."""

    def labels(keys):
        keys = [k for k in keys if k is not None]
        if not keys:
            return {}
        rows = model.objects.filter(pk__in=keys).values_list("pk", *fields)
        return {pk: label(*values) for pk, *values in rows}

    return labels


def _band_labels(keys):
    return {k: f"{k * 10}–{k * 10 + 9}%" if k < 9 else "90–100%" for k in keys}


DIMENSION_LABELS = {
    "department": _("Department"),
    "session": _("Session"),
    "semester": _("Semester"),
    "shift": _("Shift"),
    "status": _("Status"),
    "gender": _("Gender"),
    "subject": _("Subject"),
    "exam_type": _("Exam type"),
    "band": _("Marks (percentage band)"),
    "kind": _("Request type"),
    "record_type": _("Record type"),
    **PERIODS,
}

LABELLERS = {
    "department": _model_labels(
        Department, ("code", "name"), lambda code, name: code or name
    ),
    "session": _model_labels(AcademicSession, ("name",), lambda name: name),
    "semester": _choice_labels(Semester.choices),
    "shift": _choice_labels(Shift.choices),
    "gender": _choice_labels(Gender.choices),
    "subject": _model_labels(
        Subject, ("code", "name"), lambda code, name: f"{code} {name}"
    ),
    "exam_type": _choice_labels(ExamType.choices),
    "band": _band_labels,
    "kind": _choice_labels(RequestKind.choices),
}


def dimension_choices() -> list[tuple[str, str]]:
    """Every grouping a dashboard item may pick (checked against its metric)."""
    return [("", _("No grouping: one number"))] + list(DIMENSION_LABELS.items())


# --- Results ----------------------------------------------------------------------


@dataclass
class Row:
    key: object
    label: str
    value: Decimal | int | None
    numerator: int | None = None
    denominator: int | None = None
    url: str = ""


@dataclass
class Figure:
    metric: Metric
    value: Decimal | int | None
    numerator: int | None
    denominator: int | None
    rows: list[Row]
    url: str
    ignored: list[str]

    @property
    def unit(self) -> str:
        return self.metric.unit


def rate(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


# --- Metrics ----------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """One measurable thing. Subclasses say how to aggregate."""

    key: str
    label: str
    description: str
    listing: str  # URL name of the listing that shows what is counted
    # filter name -> ORM path on the summary/raw queryset (absent: filter ignored)
    paths: dict[str, str]
    # filter name -> listing query parameter
    params: dict[str, str]
    # dimension -> (ORM path, listing query parameter or "")
    dimensions: dict[str, tuple[str, str]]
    date_path: str | None = None  # a date (or datetime, made local) for filters/trends
    date_is_datetime: bool = False
    date_param: str = ""  # listing's DateFromToRangeFilter name
    # Wagtail's DateRangePickerWidget names the two ends "_from" and "_to".
    date_suffixes: tuple[str, str] = ("from", "to")
    base_params: tuple[tuple[str, str], ...] = ()
    unit: str = ""
    record: str = ""  # the permission record name for scope_queryset ("" = departments)
    department_path: str = "department_id"
    extra_filters: tuple[str, ...] = ()  # other fixed filters (exam_type)

    # -- hooks for subclasses --
    def base_queryset(self, ctx: Context, raw: bool) -> QuerySet:
        raise NotImplementedError

    def aggregates(self, raw: bool) -> dict:
        # COUNT(*), not COUNT(id): PostgreSQL then answers from the covering
        # indexes (records/0009, workflows/0005) without visiting the table.
        return {"n": Count("*")}

    def value_of(self, agg: dict) -> tuple:
        n = agg.get("n") or 0
        return n, None, None

    # -- filters and scope --
    @property
    def periods(self) -> bool:
        return self.date_path is not None

    def groupings(self) -> list[str]:
        keys = list(self.dimensions)
        if self.periods:
            keys += list(PERIODS)
        return keys

    def applies(self, name: str) -> bool:
        if name == "date":
            return self.date_path is not None
        return name in self.paths

    def ignored(self, filters: Filters) -> list[str]:
        names = []
        if (filters.date_from or filters.date_to) and not self.applies("date"):
            names.append(str(FILTER_LABELS["date"]))
        for name in ("department", "session", "semester", "shift"):
            if getattr(filters, name) and not self.applies(name):
                names.append(str(FILTER_LABELS[name]))
        return names

    def _date_lookup(self, raw: bool) -> str:
        if self.date_is_datetime:
            return f"{self.date_path}__date"
        return self.date_path

    def queryset(self, ctx: Context, raw: bool = False) -> QuerySet:
        qs = self.base_queryset(ctx, raw)
        f = ctx.filters
        paths = self.raw_paths if raw else self.paths
        for name in ("department", "session", "semester", "shift", "exam_type"):
            value = getattr(f, name)
            if value and name in paths:
                qs = qs.filter(**{paths[name]: value})
        if self.date_path is not None:
            lookup = self.raw_date_lookup if raw else self._date_lookup(raw)
            qs = qs.filter(date_range_q(lookup, f.date_from, f.date_to))
        return self.scoped(qs, ctx, raw)

    @property
    def raw_paths(self) -> dict[str, str]:
        return self.paths

    @property
    def raw_date_lookup(self) -> str:
        return self._date_lookup(True)

    def scoped(self, qs: QuerySet, ctx: Context, raw: bool) -> QuerySet:
        if self.record:
            return scope_queryset(ctx.user, qs, VIEW)
        limit = ctx.departments
        if limit is None:
            return qs
        path = self.raw_department_path if raw else self.department_path
        return qs.filter(**{f"{path}__in": sorted(limit)})

    @property
    def raw_department_path(self) -> str:
        return self.department_path

    # -- drill-down --
    def listing_params(self, filters: Filters) -> dict[str, str]:
        params = dict(self.base_params)
        for name in ("department", "session", "semester", "shift", "exam_type"):
            value = getattr(filters, name)
            if value and name in self.params:
                params[self.params[name]] = str(value)
        if self.date_param:
            if filters.date_from:
                params[f"{self.date_param}_{self.date_suffixes[0]}"] = (
                    filters.date_from.isoformat()
                )
            if filters.date_to:
                params[f"{self.date_param}_{self.date_suffixes[1]}"] = (
                    filters.date_to.isoformat()
                )
        return params

    def listing_url(self, params: dict[str, str]) -> str:
        if not self.listing:
            return ""
        base = _listing_base(self.listing, get_script_prefix())
        return f"{base}?{urlencode(sorted(params.items()))}" if params else base

    def row_url(self, filters: Filters, group_by: str, key, period_end=None) -> str:
        if group_by in PERIODS:
            start = key
            narrowed = filters.narrowed(Filters(date_from=start, date_to=period_end))
            return self.listing_url(self.listing_params(narrowed))
        params = self.listing_params(filters)
        param = self.dimensions[group_by][1]
        if not param or key is None:
            return ""
        params[param] = str(key)
        return self.listing_url(params)

    # -- computing --
    def compute(
        self,
        ctx: Context,
        group_by: str = "",
        *,
        raw: bool = False,
        with_urls: bool = True,
    ) -> Figure:
        filters = ctx.filters
        ignored = self.ignored(filters)
        url = self.listing_url(self.listing_params(filters)) if with_urls else ""
        if filters.empty_range:
            return Figure(self, *self.value_of({}), [], url, ignored)
        qs = self.queryset(ctx, raw)
        if not group_by:
            agg = qs.aggregate(**self.aggregates(raw))
            return Figure(self, *self.value_of(agg), [], url, ignored)
        rows = self._grouped(qs, ctx, group_by, raw, with_urls)
        total = self.total_of(rows, qs, raw)
        return Figure(self, *total, rows, url, ignored)

    def total_of(self, rows: list[Row], qs, raw: bool) -> tuple:
        agg = qs.aggregate(**self.aggregates(raw))
        return self.value_of(agg)

    def _group_expression(self, group_by: str, raw: bool):
        if group_by in PERIODS:
            path = self.date_path
            if self.date_is_datetime:
                return TRUNC[group_by](
                    TruncDate(path, tzinfo=timezone.get_current_timezone())
                )
            return TRUNC[group_by](path)
        return F(self.group_path(group_by, raw))

    def group_path(self, group_by: str, raw: bool) -> str:
        return self.dimensions[group_by][0]

    def _grouped(self, qs, ctx, group_by, raw, with_urls) -> list[Row]:
        if group_by not in self.groupings():
            raise ValueError(f"{self.key} cannot be grouped by {group_by}")
        data = (
            qs.annotate(g=self._group_expression(group_by, raw))
            .values("g")
            .annotate(**self.aggregates(raw))
            .order_by("g")
        )
        return self._rows(ctx, group_by, list(data), with_urls)

    def _rows(self, ctx, group_by, results: list[dict], with_urls) -> list[Row]:
        """Rows from ``results``: dicts of the group key ``g`` and the aggregates."""
        rows = []
        keys = [r["g"] for r in results]
        if group_by in PERIODS:
            keys = [
                k.date() if hasattr(k, "date") and callable(k.date) else k for k in keys
            ]
            labels = {k: period_label(group_by, k) for k in keys}
        else:
            labels = self._labels(ctx, group_by, keys)
        for key, result in zip(keys, results, strict=True):
            value, numerator, denominator = self.value_of(result)
            url = ""
            if with_urls:
                end = period_end(group_by, key) if group_by in PERIODS else None
                url = self.row_url(ctx.filters, group_by, key, end)
            rows.append(
                Row(
                    key=key,
                    label=str(labels.get(key, key if key is not None else "—")),
                    value=value,
                    numerator=numerator,
                    denominator=denominator,
                    url=url,
                )
            )
        if group_by not in PERIODS:
            rows.sort(key=lambda r: sort_key(group_by, r))
        return rows

    def _labels(self, ctx, group_by: str, keys: list) -> dict:
        labeller = LABELLERS.get(group_by)
        if labeller is None:
            return _choice_labels(self.choices(group_by))(keys)
        if ctx.memo is None:
            return labeller(keys)
        # One page shows the same departments and subjects in many panels.
        known = ctx.memo.setdefault(("labels", group_by), {})
        missing = [k for k in keys if k not in known]
        if missing:
            known.update(labeller(missing))
        return known

    def choices(self, group_by: str):
        return []


@lru_cache(maxsize=64)
def _listing_base(name: str, script_prefix: str) -> str:
    # A dashboard links hundreds of rows to a handful of listings.
    return reverse(name)


def local_midnight(day: date):
    return timezone.make_aware(datetime.combine(day, time.min))


def date_range_q(lookup: str, start: date | None, end: date | None) -> Q:
    """``lookup`` between two local dates, inclusive.

    For a datetime (``field__date``) the bounds are the local midnights around
    the range, so an index on the field serves the query (``__date`` would
    convert every row to local time first). Same rows either way.
    """
    q = Q()
    if lookup.endswith("__date"):
        field_name = lookup[: -len("__date")]
        if start:
            q &= Q(**{f"{field_name}__gte": local_midnight(start)})
        if end:
            q &= Q(**{f"{field_name}__lt": local_midnight(end + timedelta(days=1))})
        return q
    if start:
        q &= Q(**{f"{lookup}__gte": start})
    if end:
        q &= Q(**{f"{lookup}__lte": end})
    return q


def sort_key(group_by: str, row: Row):
    if group_by in ("semester", "band"):
        return (0, row.key if row.key is not None else 99, "")
    return (0, 0, str(row.label).lower())


def period_label(period: str, start: date) -> str:
    if period == "month":
        return date_format(start, "F Y")
    if period == "week":
        return str(_("Week of %(date)s") % {"date": date_format(start, "j M Y")})
    return date_format(start, "j M Y")


def period_end(period: str, start: date) -> date:
    if period == "day":
        return start
    if period == "week":
        return start + timedelta(days=6)
    last = calendar.monthrange(start.year, start.month)[1]
    return start.replace(day=last)


@dataclass(frozen=True)
class CountMetric(Metric):
    model: type | None = None
    base_q: Q | None = None
    choice_sets: tuple[tuple[str, tuple], ...] = ()

    def base_queryset(self, ctx, raw):
        qs = self.model.objects.all()
        if self.base_q is not None:
            qs = qs.filter(self.base_q)
        return qs

    # Count metrics that share a cube are computed, on a dashboard page, from
    # one grouped query: the counts by every cube path at once (a few thousand
    # rows at most), filtered and summed in Python for each item.
    cube: str = ""
    cube_paths: tuple[str, ...] = ()
    # What ``base_q`` means, as (path, value) pairs on the cube's rows.
    cube_filter: tuple[tuple[str, object], ...] = ()

    def choices(self, group_by):
        return dict(self.choice_sets).get(group_by, ())

    def total_of(self, rows, qs, raw):
        # Every record falls in exactly one group: the total is the rows' sum.
        return sum(r.value or 0 for r in rows), None, None

    def compute(self, ctx, group_by="", *, raw=False, with_urls=True):
        if (
            raw
            or not self.cube
            or ctx.memo is None
            or ctx.filters.empty_range
            or (group_by and group_by not in self.dimensions)
        ):
            return super().compute(ctx, group_by, raw=raw, with_urls=with_urls)
        key = (self.cube, ctx.filters, getattr(ctx.user, "pk", None))
        cube = ctx.memo.get(key)
        if cube is None:
            qs = replace(self, base_q=None).queryset(ctx)
            cube = list(qs.values(*self.cube_paths).annotate(n=Count("*")).order_by())
            ctx.memo[key] = cube
        kept = [
            r for r in cube if all(r[path] == value for path, value in self.cube_filter)
        ]
        url = self.listing_url(self.listing_params(ctx.filters)) if with_urls else ""
        ignored = self.ignored(ctx.filters)
        total = sum(r["n"] for r in kept)
        if not group_by:
            return Figure(self, total, None, None, [], url, ignored)
        path = self.dimensions[group_by][0]
        sums: dict = {}
        for r in kept:
            sums[r[path]] = sums.get(r[path], 0) + r["n"]
        results = [{"g": g, "n": n} for g, n in sums.items()]
        rows = self._rows(ctx, group_by, results, with_urls)
        return Figure(self, total, None, None, rows, url, ignored)


@dataclass(frozen=True)
class ImportsMetric(CountMetric):
    """Imports: the head sees every batch, others their own (as the listing)."""

    def scoped(self, qs, ctx, raw):
        user = ctx.user
        if user.is_superuser or getattr(user, "role", None) == Role.INSTITUTE_HEAD:
            return qs
        return qs.filter(created_by=user.pk)


@dataclass(frozen=True)
class AtRiskMetric(CountMetric):
    def base_queryset(self, ctx, raw):
        from records.selectors import at_risk_students_q

        threshold = getattr(settings, "CAMPUSDESK_AT_RISK_ATTENDANCE", 75)
        if raw:
            return Student.objects.filter(raw_at_risk_q(threshold))
        return Student.objects.filter(at_risk_students_q(threshold))


def raw_at_risk_q(threshold) -> Q:
    """At-risk students computed from the raw attendance and marks (the oracle)."""
    low = (
        AttendanceRecord.objects.filter(
            student=OuterRef("pk"), semester=OuterRef("semester")
        )
        .values("student")
        .annotate(
            present100=Sum(Cast("is_present", IntegerField())) * 100,
            floor=Count("pk") * Value(threshold),
        )
        .filter(present100__lt=F("floor"))
    )
    failed = MarksRecord.objects.filter(
        student=OuterRef("pk"), semester=OuterRef("semester")
    ).filter(marks_failed_condition())
    return Q(status=StudentStatus.ACTIVE) & (Q(Exists(low)) | Q(Exists(failed)))


@dataclass(frozen=True)
class SummaryRateMetric(Metric):
    """A rate read from a summary table (or computed from the raw records)."""

    summary: type | None = None
    raw_model: type | None = None
    numerator: str = ""
    denominator: str = ""
    raw_numerator: object = None  # expression over the raw model
    raw_denominator: object = None
    raw_path_map: tuple[tuple[str, str], ...] = ()
    raw_dimension_map: tuple[tuple[str, str], ...] = ()
    raw_date: str = ""
    raw_date_is_datetime: bool = False

    def base_queryset(self, ctx, raw):
        return (self.raw_model if raw else self.summary).objects.all()

    def aggregates(self, raw):
        if raw:
            return {"num": self.raw_numerator, "den": self.raw_denominator}
        return {"num": Sum(self.numerator), "den": Sum(self.denominator)}

    def value_of(self, agg):
        num, den = agg.get("num") or 0, agg.get("den") or 0
        return rate(num, den), num, den

    @property
    def raw_paths(self):
        return dict(self.raw_path_map)

    @property
    def raw_date_lookup(self):
        return f"{self.raw_date}__date" if self.raw_date_is_datetime else self.raw_date

    @property
    def raw_department_path(self):
        return "student__department_id"

    def group_path(self, group_by, raw):
        if raw:
            return dict(self.raw_dimension_map)[group_by]
        return self.dimensions[group_by][0]

    def _group_expression(self, group_by, raw):
        if raw and group_by in PERIODS:
            if self.raw_date_is_datetime:
                return TRUNC[group_by](
                    TruncDate(self.raw_date, tzinfo=timezone.get_current_timezone())
                )
            return TRUNC[group_by](self.raw_date)
        if raw:
            path = dict(self.raw_dimension_map)[group_by]
            return F(path) if isinstance(path, str) else path
        return super()._group_expression(group_by, raw)


@dataclass(frozen=True)
class SummaryCountMetric(SummaryRateMetric):
    """A count read from a summary's count column (marks by band)."""

    def aggregates(self, raw):
        if raw:
            return {"n": self.raw_denominator}
        return {"n": Sum(self.denominator)}

    def value_of(self, agg):
        return agg.get("n") or 0, None, None

    def total_of(self, rows, qs, raw):
        return sum(r.value or 0 for r in rows), None, None


@dataclass(frozen=True)
class AwaitingMetric(Metric):
    """Requests waiting for the viewer's decision, by type (the desk's count)."""

    def compute(self, ctx, group_by="", *, raw=False, with_urls=True):
        from workflows.views import awaiting_counts

        counts = awaiting_counts(ctx.user)
        url = reverse("workflows_desk:index") if with_urls else ""
        rows = [
            Row(
                key=c.kind, label=c.label, value=c.count, url=c.url if with_urls else ""
            )
            for c in counts
        ]
        total = sum(c.count for c in counts)
        return Figure(
            self,
            total,
            None,
            None,
            rows if group_by else [],
            url,
            self.ignored(ctx.filters),
        )

    def groupings(self):
        return ["kind"]


STUDENT_CUBE = ("status", "department_id", "semester", "shift", "session_id", "gender")

# The class-group fields, as the student and summary tables name them, and as
# the attendance and marks records reach them (the record's own semester).
CLASS_GROUP_PATHS = {
    "department": "department_id",
    "session": "session_id",
    "semester": "semester",
    "shift": "shift",
}
RECORD_PATHS = (
    ("department", "student__department_id"),
    ("session", "student__session_id"),
    ("semester", "semester"),
    ("shift", "student__shift"),
)
# Grouped by a class-group field: (path, listing parameter).
CLASS_GROUP_DIMENSIONS = {
    "department": ("department_id", "department"),
    "semester": ("semester", "semester"),
    "shift": ("shift", "shift"),
    "session": ("session_id", "session"),
}

# The listings' filter parameter names (records/filters.py, workflows/filters.py).
STUDENT_PARAMS = {
    "department": "department",
    "session": "session",
    "semester": "semester",
    "shift": "shift",
}

_present = Sum(Cast("is_present", IntegerField()))
_passed = Sum(
    Case(
        When(marks_passed_condition(), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
)
_band_raw = marks_band_expression()


def _metrics() -> dict[str, Metric]:
    items = [
        CountMetric(
            key="students",
            label=_("Students"),
            description=_("Students on the roll, by their current class group."),
            listing="students:index",
            model=Student,
            record="student",
            paths=CLASS_GROUP_PATHS,
            params=STUDENT_PARAMS,
            dimensions={
                "status": ("status", "status"),
                **CLASS_GROUP_DIMENSIONS,
                "gender": ("gender", "gender"),
            },
            choice_sets=(("status", tuple(StudentStatus.choices)),),
            cube="students",
            cube_paths=STUDENT_CUBE,
        ),
        CountMetric(
            key="active_students",
            label=_("Active students"),
            description=_("Students whose status is active."),
            listing="students:index",
            model=Student,
            record="student",
            base_q=Q(status=StudentStatus.ACTIVE),
            cube="students",
            cube_paths=STUDENT_CUBE,
            cube_filter=(("status", StudentStatus.ACTIVE),),
            base_params=(("status", StudentStatus.ACTIVE),),
            paths=CLASS_GROUP_PATHS,
            params=STUDENT_PARAMS,
            dimensions={
                **CLASS_GROUP_DIMENSIONS,
                "gender": ("gender", "gender"),
            },
        ),
        AtRiskMetric(
            key="at_risk_students",
            label=_("Students at risk"),
            description=_(
                "Active students whose attendance in their current semester is "
                "below the threshold, or who failed a mark in it."
            ),
            listing="students:index",
            model=Student,
            record="student",
            base_params=(("at_risk", "true"),),
            cube="at_risk",
            cube_paths=("department_id", "semester", "shift", "session_id"),
            paths=CLASS_GROUP_PATHS,
            params=STUDENT_PARAMS,
            dimensions={
                **CLASS_GROUP_DIMENSIONS,
            },
        ),
        CountMetric(
            key="teachers",
            label=_("Teachers"),
            description=_("Teachers on the staff list."),
            listing="teachers:index",
            model=Teacher,
            record="teacher",
            paths={"department": "department_id"},
            params={"department": "department"},
            dimensions={
                "department": ("department_id", "department"),
                "status": ("status", "status"),
            },
            choice_sets=(("status", tuple(TeacherStatus.choices)),),
        ),
        CountMetric(
            key="admissions",
            label=_("Admission applications"),
            description=_("Applications submitted on the public admission form."),
            listing="admission_applications:index",
            model=AdmissionApplication,
            record="",
            department_path="desired_department_id",
            paths={
                "department": "desired_department_id",
                "session": "session_id",
                "semester": "semester",
                "shift": "desired_shift",
            },
            params=STUDENT_PARAMS,
            date_path="submitted_at",
            date_is_datetime=True,
            date_param="submitted_at",
            date_suffixes=("after", "before"),
            dimensions={
                "status": ("status", "status"),
                "department": ("desired_department_id", "department"),
                "semester": ("semester", "semester"),
                "shift": ("desired_shift", "shift"),
                "session": ("session_id", "session"),
            },
            choice_sets=(("status", tuple(RequestStatus.choices)),),
        ),
        CountMetric(
            key="corrections",
            label=_("Correction requests"),
            description=_("Students' requests to correct their records."),
            listing="correction_requests:index",
            model=CorrectionRequest,
            record="",
            department_path="student__department_id",
            paths={
                "department": "student__department_id",
                "session": "student__session_id",
                "semester": "student__semester",
                "shift": "student__shift",
            },
            params=STUDENT_PARAMS,
            date_path="submitted_at",
            date_is_datetime=True,
            date_param="submitted_at",
            date_suffixes=("after", "before"),
            dimensions={
                "status": ("status", "status"),
                "department": ("student__department_id", "department"),
            },
            choice_sets=(("status", tuple(RequestStatus.choices)),),
        ),
        ImportsMetric(
            key="imports",
            label=_("Spreadsheet imports"),
            description=_("Files uploaded for import."),
            listing="records_imports:index",
            model=ImportBatch,
            record="",
            paths={},
            params={},
            date_path="created_at",
            date_is_datetime=True,
            date_param="created_at",
            dimensions={"status": ("status", "status")},
            choice_sets=(("status", tuple(ImportStatus.choices)),),
        ),
        AwaitingMetric(
            key="awaiting",
            label=_("Approvals waiting"),
            description=_("Requests waiting at a stage you act on."),
            listing="workflows_desk:index",
            paths={},
            params={},
            dimensions={"kind": ("kind", "")},
        ),
        SummaryRateMetric(
            key="attendance_rate",
            label=_("Attendance rate"),
            description=_("Present marks over all attendance marks."),
            listing="attendance:index",
            unit="%",
            summary=AttendanceDaySummary,
            raw_model=AttendanceRecord,
            numerator="present",
            denominator="total",
            raw_numerator=_present,
            raw_denominator=Count("pk"),
            paths=CLASS_GROUP_PATHS,
            raw_path_map=RECORD_PATHS,
            params=STUDENT_PARAMS,
            date_path="date",
            date_param="date",
            raw_date="date",
            dimensions={
                **CLASS_GROUP_DIMENSIONS,
                "subject": ("subject_id", "subject"),
            },
            raw_dimension_map=(*RECORD_PATHS, ("subject", "subject_id")),
        ),
        SummaryRateMetric(
            key="pass_rate",
            label=_("Pass rate"),
            description=_("Marks of 40% or more over all marks entered."),
            listing="marks:index",
            unit="%",
            summary=MarksSummary,
            raw_model=MarksRecord,
            numerator="passed",
            denominator="count",
            raw_numerator=_passed,
            raw_denominator=Count("pk"),
            paths={**CLASS_GROUP_PATHS, "exam_type": "exam_type"},
            raw_path_map=(*RECORD_PATHS, ("exam_type", "exam_type")),
            params={**STUDENT_PARAMS, "exam_type": "exam_type"},
            date_path="recorded_on",
            date_param="recorded_at",
            raw_date="recorded_at",
            raw_date_is_datetime=True,
            dimensions={
                "department": ("department_id", "department"),
                "semester": ("semester", "semester"),
                "shift": ("shift", "shift"),
                "subject": ("subject_id", "subject"),
                "exam_type": ("exam_type", "exam_type"),
            },
            raw_dimension_map=(
                *RECORD_PATHS,
                ("subject", "subject_id"),
                ("exam_type", "exam_type"),
            ),
        ),
        SummaryCountMetric(
            key="marks",
            label=_("Marks entered"),
            description=_("Marks records, e.g. their distribution by percentage."),
            listing="marks:index",
            summary=MarksSummary,
            raw_model=MarksRecord,
            denominator="count",
            raw_denominator=Count("pk"),
            paths={**CLASS_GROUP_PATHS, "exam_type": "exam_type"},
            raw_path_map=(*RECORD_PATHS, ("exam_type", "exam_type")),
            params={**STUDENT_PARAMS, "exam_type": "exam_type"},
            date_path="recorded_on",
            date_param="recorded_at",
            raw_date="recorded_at",
            raw_date_is_datetime=True,
            dimensions={
                "band": ("band", "band"),
                "department": ("department_id", "department"),
                "semester": ("semester", "semester"),
                "subject": ("subject_id", "subject"),
                "exam_type": ("exam_type", "exam_type"),
            },
            raw_dimension_map=(
                *RECORD_PATHS,
                ("band", _band_raw),
                ("subject", "subject_id"),
                ("exam_type", "exam_type"),
            ),
        ),
    ]
    return {m.key: m for m in items}


METRICS: dict[str, Metric] = {}


def metrics() -> dict[str, Metric]:
    if not METRICS:
        METRICS.update(_metrics())
    return METRICS


def metric_choices() -> list[tuple[str, str]]:
    return [(m.key, m.label) for m in metrics().values()]


def get_metric(key: str) -> Metric | None:
    return metrics().get(key)


__all__ = [
    "Context",
    "Figure",
    "Filters",
    "Metric",
    "Row",
    "WINDOWS",
    "get_metric",
    "metric_choices",
    "metrics",
    "rate",
    "replace",
    "window_filters",
]
