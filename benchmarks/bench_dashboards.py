"""The head's default dashboard on a university-sized dataset.

``dashboard_data.build_dataset()`` loads 50,000 students, 3,000,000 attendance
rows, 300,000 marks and 20,000 admission applications with COPY and rebuilds
the summary tables (about a minute and a half). The shipped default dashboard
("Institute overview") is then computed for a set of filter combinations: no
filter, each department, session, semester and shift, the last 30 and 7 days,
department x shift, department x semester (a fixed pseudo-random sample of
``BENCH_DASHBOARD_PAIRS``, "all" for all 48) and department + last 30 days.

For each combination, after one untimed warm-up pass of everything:

- the summary path: every item through ``compute_item(..., raw=False)``;
- the raw path: the same items with ``raw=True`` (straight from the raw
  records: the baseline), whose figures must be identical (value, numerator,
  denominator and every row's key, value, numerator and denominator);
- the page: GET of the dashboard with the filters as GET parameters, signed
  in as an institute head, through the Django test client.

Freshness: attendance sheets of the dataset's class groups are saved on free
days with ``records.services.attendance_sheet_save``; the save, and the save
plus the "Attendance by department" figure afterwards, are timed and the
figure must have grown by exactly the sheet's counts. One more sheet saved in
a transaction that is rolled back shows the summaries move with it.

Goals: page p95 < 200 ms; summary path >= 10x faster than the raw path.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections import defaultdict
from datetime import timedelta

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from .timing import median, p95

PREFIX = "dashboard_"
HEAD = "bench-dashboard-head"
PAIRS = os.environ.get("BENCH_DASHBOARD_PAIRS", "20")  # department x semester
FRESH_SHEETS = 5
FIGURE_TITLE = "Attendance by department"


def _note(text: str) -> None:
    print(f"# {text}", flush=True)


# --- Filter combinations ----------------------------------------------------------


def _combinations(data: dict, today) -> list[tuple[str, dict]]:
    """(label, GET parameters) of every filter combination measured."""
    from records.models import Department, Semester, Shift

    codes = dict(Department.objects.values_list("pk", "code"))
    departments = sorted(data["department_ids"], key=lambda pk: codes[pk])
    sessions = data["sessions"]
    semesters = list(Semester.values)
    shifts = list(Shift.values)
    last_30 = {
        "date_from": (today - timedelta(days=29)).isoformat(),
        "date_to": today.isoformat(),
    }
    last_7 = {
        "date_from": (today - timedelta(days=6)).isoformat(),
        "date_to": today.isoformat(),
    }
    out: list[tuple[str, dict]] = [("no filter", {})]
    out += [(f"department {codes[d]}", {"department": d}) for d in departments]
    out += [(f"session {name}", {"session": pk}) for name, pk in sessions.items()]
    out += [(f"semester {n}", {"semester": n}) for n in semesters]
    out += [(f"shift {s}", {"shift": s}) for s in shifts]
    out += [("last 30 days", last_30), ("last 7 days", last_7)]
    out += [
        (f"{codes[d]} x {s}", {"department": d, "shift": s})
        for d in departments
        for s in shifts
    ]
    pairs = [
        (f"{codes[d]} x semester {n}", {"department": d, "semester": n})
        for d in departments
        for n in semesters
    ]
    if PAIRS != "all" and int(PAIRS) < len(pairs):
        pairs = sorted(random.Random(2026).sample(pairs, int(PAIRS)))
    out += pairs
    out += [
        (f"{codes[d]} + last 30 days", {"department": d, **last_30})
        for d in departments
    ]
    return out


def _filters(params: dict):
    """The Filters the dashboard's form makes of these GET parameters."""
    from dashboards.metrics import Filters
    from dashboards.views import DashboardFilterForm
    from records.models import User

    form = DashboardFilterForm(
        {k: str(v) for k, v in params.items()} or None,
        user=User.objects.get(username=HEAD),
    )
    if params and not form.is_valid():
        raise RuntimeError(f"The filters {params} are not valid: {form.errors}")
    return form.filters() if params else Filters()


# --- The two paths ----------------------------------------------------------------


def _flat(figure) -> tuple | None:
    if figure is None:
        return None
    return (
        figure.value,
        figure.numerator,
        figure.denominator,
        [(r.key, r.value, r.numerator, r.denominator) for r in figure.rows],
    )


def _compute_all(items, user, filters, today, raw: bool, per_item: dict):
    from dashboards.views import compute_item

    figures = []
    started = time.perf_counter()
    for item in items:
        began = time.perf_counter()
        figures.append(_flat(compute_item(item, user, filters, today, raw=raw)))
        per_item[item.pk].append((time.perf_counter() - began) * 1000)
    return figures, (time.perf_counter() - started) * 1000


def _compare(label: str, items, summary: list, raw: list) -> tuple[int, int]:
    figures = rows = 0
    for item, ours, theirs in zip(items, summary, raw, strict=True):
        if ours != theirs:
            raise AssertionError(
                f"dashboard figure differs ({label}, item {item.pk} "
                f"{item.heading!r}):\n  summary: {ours!r}\n  raw:     {theirs!r}"
            )
        figures += 1
        rows += len(ours[3]) if ours else 0
    return figures, rows


# --- Set-up -----------------------------------------------------------------------


def _head():
    from records import services
    from records.models import User
    from records.roles import Role

    user = User.objects.filter(username=HEAD).first()
    if user is None:
        user = services.user_create(
            username=HEAD, password=None, role=Role.INSTITUTE_HEAD
        )
    return user


def _queries(what: str, fn) -> None:
    """Say how many queries a request makes and which took longest."""
    with CaptureQueriesContext(connection) as captured:
        fn()
    timed = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    total = sum(float(q["time"]) for q in timed) * 1000
    _note(f"{what}: {len(captured)} queries, {total:.1f} ms in SQL; slowest:")
    for query in timed[:3]:
        _note(f"  {float(query['time']) * 1000:.1f} ms: {query['sql'][:240]}")


# --- Run --------------------------------------------------------------------------


def run(report) -> None:
    if not report.wants(PREFIX):
        return
    if connection.vendor != "postgresql":
        _note("dashboard: PostgreSQL only (the dataset is loaded with COPY); skipped")
        return
    from dashboards.models import Dashboard

    from . import dashboard_data

    _note("dashboard: building 50,000 students, 3,000,000 attendance rows (COPY)")
    data = dashboard_data.build_dataset(log=_note)
    report("dashboard_dataset_seconds", data["seconds"], "s")
    _note(f"counts: {data['counts']}")

    user = _head()
    client = Client()
    client.force_login(user)
    dashboard = Dashboard.objects.get(owner__isnull=True, is_default=True)
    items = list(dashboard.items.select_related("department", "session"))
    page_url = reverse("dashboards_view:show", args=[dashboard.pk])
    today = timezone.localdate()

    combos = _combinations(data, today)
    report(
        "dashboard_combinations",
        len(combos),
        f"filter combinations ({len(items)} items each; department x semester: "
        f"{'all' if PAIRS == 'all' else f'sample of {PAIRS}'})",
    )

    # One untimed warm-up pass of everything (caches, plans, templates).
    for _label, params in combos[:1]:
        filters = _filters(params)
        _compute_all(items, user, filters, today, False, defaultdict(list))
        _compute_all(items, user, filters, today, True, defaultdict(list))
        response = client.get(page_url, params)
        if response.status_code != 200:
            raise RuntimeError(f"The dashboard answered {response.status_code}")

    summary_ms, raw_ms, page_ms, ratios = [], [], [], []
    per_summary: dict = defaultdict(list)
    per_raw: dict = defaultdict(list)
    slowest_page = (0.0, "")
    figures = rows = 0
    for label, params in combos:
        filters = _filters(params)
        ours, ours_ms = _compute_all(items, user, filters, today, False, per_summary)
        theirs, theirs_ms = _compute_all(items, user, filters, today, True, per_raw)
        f, r = _compare(label, items, ours, theirs)
        figures += f
        rows += r
        started = time.perf_counter()
        response = client.get(page_url, params)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(
                f"The dashboard ({label}) answered {response.status_code}: "
                f"{response.content[:300]!r}"
            )
        summary_ms.append(ours_ms)
        raw_ms.append(theirs_ms)
        page_ms.append(elapsed)
        ratios.append(theirs_ms / ours_ms)
        slowest_page = max(slowest_page, (elapsed, label))
        _note(
            f"{label:28s} summary {ours_ms:7.1f} ms  raw {theirs_ms:8.1f} ms  "
            f"x{theirs_ms / ours_ms:6.1f}  page {elapsed:6.1f} ms"
        )

    report(
        "dashboard_page_p50",
        median(page_ms),
        f"ms (GET, {len(combos)} filter combinations)",
    )
    report(
        "dashboard_page_p95",
        p95(page_ms),
        f"ms (goal < 200; slowest {slowest_page[0]:.0f} ms: {slowest_page[1]})",
    )
    report(
        "dashboard_figures_summary_p50",
        median(summary_ms),
        f"ms (all {len(items)} items)",
        baseline_name="raw path p50",
        baseline_value=median(raw_ms),
    )
    report(
        "dashboard_figures_summary_p95",
        p95(summary_ms),
        "ms",
        baseline_name="raw path p95",
        baseline_value=p95(raw_ms),
    )
    report("dashboard_figures_raw_p50", median(raw_ms), "ms (raw=True)")
    report("dashboard_figures_raw_p95", p95(raw_ms), "ms (raw=True)")
    report(
        "dashboard_figures_ratio_median",
        statistics.median(ratios),
        "x raw/summary per combination (goal >= 10)",
    )
    report(
        "dashboard_figures_ratio_min",
        min(ratios),
        "x raw/summary, the least (goal >= 10)",
    )
    report(
        "dashboard_identical",
        figures,
        f"figures compared ({rows} rows), all identical",
    )

    _backed(report, items, per_summary, per_raw, len(combos))
    _per_item(items, per_summary, per_raw)
    _queries("dashboard page, no filter", lambda: client.get(page_url, combos[0][1]))

    _fresh(report, items, user, data, today)


def _backed(report, items, per_summary: dict, per_raw: dict, count: int) -> None:
    """The raw/summary ratio of the items that read summary tables.

    Student, teacher, admission, correction, import and desk counts read the
    same tables on both paths (``raw`` changes nothing for them), so they
    dilute the whole dashboard's ratio.
    """
    from dashboards.metrics import AtRiskMetric, SummaryRateMetric

    backed = [
        item
        for item in items
        if isinstance(item.metric_obj, SummaryRateMetric | AtRiskMetric)
    ]
    ours = [sum(per_summary[i.pk][n] for i in backed) for n in range(count)]
    theirs = [sum(per_raw[i.pk][n] for i in backed) for n in range(count)]
    ratios = [t / o for t, o in zip(theirs, ours, strict=True)]
    report(
        "dashboard_figures_backed_summary_p50",
        median(ours),
        f"ms (the {len(backed)} summary-backed items of {len(items)})",
        baseline_name="their raw path p50",
        baseline_value=median(theirs),
    )
    report(
        "dashboard_figures_backed_summary_p95",
        p95(ours),
        "ms",
        baseline_name="their raw path p95",
        baseline_value=p95(theirs),
    )
    report(
        "dashboard_figures_backed_ratio_median",
        statistics.median(ratios),
        "x raw/summary per combination, summary-backed items (goal >= 10)",
    )
    report(
        "dashboard_figures_backed_ratio_min",
        min(ratios),
        "x raw/summary, the least, summary-backed items",
    )


def _per_item(items, per_summary: dict, per_raw: dict) -> None:
    _note("per item, median over the combinations: summary ms / raw ms")
    order = sorted(items, key=lambda i: -statistics.median(per_summary[i.pk]))
    for item in order:
        ours = statistics.median(per_summary[item.pk])
        theirs = statistics.median(per_raw[item.pk])
        _note(
            f"  {item.heading[:34]:34s} {item.metric:17s} "
            f"{ours:7.2f} / {theirs:8.2f}  (p95 {p95(per_summary[item.pk]):.2f})"
        )


# --- Freshness ----------------------------------------------------------------------


def _free_slots(data: dict, today, count: int) -> list:
    """(routine, day, student ids) of sittings the dataset has not taken."""
    from records import selectors
    from records.models import AttendanceRecord, ClassRoutine, Weekday

    rng = random.Random(17)
    routines = list(
        ClassRoutine.objects.active()
        .filter(session_id=data["current_session_id"])
        .select_related("session", "subject", "department")
        .order_by("pk")
    )
    rng.shuffle(routines)
    slots, used = [], set()
    for routine in routines:
        ids = list(
            selectors.class_group_students(routine=routine).values_list("pk", flat=True)
        )
        if not ids:
            continue
        session = routine.session
        for back in range(0, 120):
            day = today - timedelta(days=back)
            if day < session.start_date or day > session.end_date:
                continue
            if Weekday.of(day) != routine.day_of_week:
                continue
            if (routine.subject_id, day) in used:
                continue
            taken = AttendanceRecord.objects.filter(
                subject_id=routine.subject_id, date=day, student_id__in=ids
            ).exists()
            if not taken:
                slots.append((routine, day, ids))
                used.add((routine.subject_id, day))
                break
        if len(slots) >= count:
            break
    return slots


def _fresh(report, items, user, data, today) -> None:
    from dashboards.metrics import Filters
    from dashboards.views import compute_item
    from records import services

    item = next((i for i in items if i.heading == FIGURE_TITLE), None)
    if item is None:
        raise RuntimeError(f"The default dashboard has no {FIGURE_TITLE!r} item.")
    slots = _free_slots(data, today, FRESH_SHEETS + 1)
    if len(slots) < 2:
        raise RuntimeError("No free sitting found for the freshness check.")
    rollback_slot, slots = slots[0], slots[1:]

    def figure():
        return compute_item(item, user, Filters(), today)

    def sheet(ids, n):
        return {pk: (index + n) % 7 != 0 for index, pk in enumerate(ids)}

    save_ms, both_ms, sizes = [], [], []
    for n, (routine, day, ids) in enumerate(slots):
        before = figure()
        present = sheet(ids, n)
        started = time.perf_counter()
        result = services.attendance_sheet_save(
            routine=routine, day=day, present=present, acting_user=user
        )
        saved = time.perf_counter()
        after = figure()
        done = time.perf_counter()
        save_ms.append((saved - started) * 1000)
        both_ms.append((done - started) * 1000)
        sizes.append(len(ids))
        _check_grew(before, after, routine.department_id, result, len(ids))

    # Same transaction: roll a save back and the figure is as before.
    routine, day, ids = rollback_slot
    before = figure()
    inside = None

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            result = services.attendance_sheet_save(
                routine=routine, day=day, present=sheet(ids, 0), acting_user=user
            )
            inside = figure()
            raise Rollback
    except Rollback:
        pass
    _check_grew(before, inside, routine.department_id, result, len(ids))
    if _flat(figure()) != _flat(before):
        raise AssertionError("A rolled-back sheet left the figure changed.")

    report(
        "dashboard_fresh_sheet_save",
        median(save_ms),
        f"ms (median of {len(save_ms)} sheets of {min(sizes)}-{max(sizes)} "
        "students; summaries refreshed in the save's transaction)",
    )
    report(
        "dashboard_fresh_sheet_save_and_figure",
        median(both_ms),
        f"ms (save + {FIGURE_TITLE!r}: grew by exactly each sheet's counts; "
        "a rolled-back save leaves it unchanged)",
    )
    _note(
        "dashboard_fresh_sheet: records.summaries has no setting or context "
        "manager to switch its maintenance off, so no save-time ratio "
        "against a save without summaries"
    )


def _check_grew(before, after, department_id, result, students) -> None:
    n = result.present + result.absent
    if n != students or result.created != students:
        raise AssertionError(f"The sheet wrote {result}, expected {students} new.")
    if (after.denominator - before.denominator, after.numerator - before.numerator) != (
        n,
        result.present,
    ):
        raise AssertionError(
            f"{FIGURE_TITLE}: {before.numerator}/{before.denominator} -> "
            f"{after.numerator}/{after.denominator}, expected +{result.present}/+{n}"
        )
    rows_before = {r.key: (r.numerator, r.denominator) for r in before.rows}
    rows_after = {r.key: (r.numerator, r.denominator) for r in after.rows}
    old = rows_before.get(department_id, (0, 0))
    new = rows_after[department_id]
    if (new[0] - old[0], new[1] - old[1]) != (result.present, n):
        raise AssertionError(
            f"{FIGURE_TITLE}, department {department_id}: {old} -> {new}, "
            f"expected +{result.present}/+{n}"
        )
    for key, value in rows_before.items():
        if key != department_id and rows_after.get(key) != value:
            raise AssertionError(f"{FIGURE_TITLE}: department {key} changed too.")
