"""Records at scale: 50,000 students and 3.3 million attendance rows.

Loaded with COPY (``records_data``), then measured through the Django test
client signed in as a registrar, each page as median and p95:

- the student listing filtered by department and searched by name;
- a student's inspect page (60 attendance rows);
- saving a 60-student attendance sheet (POST to the Take-attendance sheet).

Baseline, measured in the same run and rendered the same way: Wagtail's own
empty listing (the redirects index, as a superuser: registrars may not see it).
"""

from __future__ import annotations

import itertools

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from records import selectors, services
from records.models import AttendanceRecord, User
from records.roles import Role

from . import records_data
from .timing import median, p95, sample

PREFIX = "records_"
BASELINE = "wagtail_empty_listing"
REPEAT = 100


def _note(text: str) -> None:
    print(f"# {text}", flush=True)


def _check(response, expected: int, what: str) -> None:
    if response.status_code != expected:
        raise RuntimeError(
            f"{what} answered {response.status_code}, expected {expected}: "
            f"{response.content[:500]!r}"
        )


def _queries(what: str, fn) -> None:
    """Say how many queries a request makes and which took longest."""
    with CaptureQueriesContext(connection) as captured:
        fn()
    timed = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    slowest = timed[0] if timed else {"time": "0", "sql": ""}
    _note(
        f"{what}: {len(captured)} queries, slowest {float(slowest['time']) * 1000:.1f}"
        f" ms: {slowest['sql'][:300]}"
    )


def run(report) -> None:
    _note("records: loading 50,000 students and 3.3 million attendance rows (COPY)")
    data = records_data.load(log=_note)
    report("records_load_seconds", data.seconds, "s")
    _note(f"loaded {data.students} students, {data.attendance} attendance rows")

    registrar = services.user_create(
        username="bench-registrar", password=None, role=Role.REGISTRAR
    )
    registrar = services.registrar_set_departments(
        user=registrar, departments=[], all_departments=True
    )
    superuser = User.objects.create_superuser("bench-admin", password=None)
    client = Client()
    client.force_login(registrar)
    baseline_client = Client()
    baseline_client.force_login(superuser)

    baseline_url = reverse("wagtailredirects:index")
    _check(baseline_client.get(baseline_url), 200, "Wagtail's redirects index")
    baseline = sample(lambda: baseline_client.get(baseline_url), repeat=REPEAT)
    report(f"records_{BASELINE}_median", median(baseline), "ms")
    report(f"records_{BASELINE}_p95", p95(baseline), "ms")

    def measured(name: str, times: list[float]) -> None:
        report(
            f"records_{name}_median",
            median(times),
            "ms",
            baseline_name=BASELINE,
            baseline_value=median(baseline),
        )
        report(
            f"records_{name}_p95",
            p95(times),
            "ms",
            baseline_name=BASELINE,
            baseline_value=p95(baseline),
        )

    # (a) The listing, one department, searched by name.
    cst = data.departments["CST"]
    listing_url = reverse("students:index")
    params = {"department": cst.pk, "q": data.search_term}
    response = client.get(listing_url, params)
    _check(response, 200, "the student listing")
    if data.search_term.encode() not in response.content:
        raise RuntimeError("The student listing found nobody; the search is wrong.")
    _queries("student listing", lambda: client.get(listing_url, params))
    measured(
        "student_listing_department_search",
        sample(lambda: client.get(listing_url, params), repeat=REPEAT),
    )

    # (b) One student's page: 60 attendance rows summarised.
    rows = AttendanceRecord.objects.filter(student_id=data.inspect_student_id).count()
    _note(f"inspected student has {rows} attendance rows")
    inspect_url = reverse("students:inspect", args=[data.inspect_student_id])
    _check(client.get(inspect_url), 200, "the student inspect page")
    _queries("student inspect", lambda: client.get(inspect_url))
    measured("student_inspect", sample(lambda: client.get(inspect_url), repeat=REPEAT))

    # (c) Saving a 60-student sheet: each POST records a new class sitting.
    routine = data.sheet_routine
    student_ids = list(
        selectors.class_group_students(routine=routine).values_list("pk", flat=True)
    )
    if len(student_ids) != records_data.SHEET_GROUP_STUDENTS:
        raise RuntimeError(f"The sheet has {len(student_ids)} students, not 60.")
    sheet_url = reverse("attendance_sheet:sheet", args=[routine.pk])
    dates = iter(data.sheet_dates)
    counter = itertools.count()

    def save_sheet():
        day = next(dates)
        n = next(counter)
        form = {"date": day.isoformat()}
        for index, pk in enumerate(student_ids):
            form[f"status-{pk}"] = "absent" if (index + n) % 9 == 0 else "present"
        response = client.post(sheet_url, form)
        _check(response, 302, f"saving the attendance sheet for {day}")

    _queries("attendance sheet save (60 students)", save_sheet)
    measured("attendance_sheet_save_60", sample(save_sheet, repeat=REPEAT))
