"""The REST API under load, served by gunicorn on 127.0.0.1 (issue 9).

Two requests, each driven by concurrent clients that sign in with an API token
(``Authorization: Token <key>``) as the institute head:

- ``GET /api/v1/students/`` filtered (department and semester, varying from
  request to request) and ordered, a page of 20, over a few thousand students
  (``dashboard_data.build_dataset``);
- ``POST /api/v1/attendance/bulk/``: one class sitting of 60 students (routine,
  date, a record per student); each post is another sitting, or the same one
  with every mark flipped, so each one really writes.

The baseline, measured in the same run by the same gunicorn, is a minimal DRF
view (``benchmarks.api_bench_urls``: same middleware, same token
authentication, permission, throttles and renderer; a small answer; the POST
parses the same body). Reported per request: requests/s, p95 latency, and the
throughput ratio to the minimal view. The user throttle is raised for the run
(``CAMPUSDESK_API_RATE_USER``) so it never answers 429.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta

PREFIX = "api_"
CLIENTS = int(os.environ.get("BENCH_API_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_API_SECONDS", "8"))
WORKERS = os.environ.get("BENCH_API_WORKERS", "2")
STUDENTS = int(os.environ.get("BENCH_API_STUDENTS", "3000"))
SITTING_SIZE = 60
HEAD = "bench_api_head"
DEPARTMENT_CODE = "BAPI"

STUDENTS_PATH = "/api/v1/students/"
SITTING_PATH = "/api/v1/attendance/bulk/"
MINIMAL_PATH = "/bench/api-minimal/"


def _note(text: str) -> None:
    print(f"# {text}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Data ------------------------------------------------------------------------------


def _class_group(session_id: int) -> tuple[list[int], list[tuple[int, date]]]:
    """A class group of 60 active students with a slot every class day.

    Returns the student ids and every sitting (routine id, date) of the current
    session up to today.
    """
    from django.utils import timezone

    from records import services
    from records.models import (
        AcademicSession,
        ClassRoutine,
        Department,
        Student,
        StudentStatus,
        Subject,
        Weekday,
    )

    session = AcademicSession.objects.get(pk=session_id)
    department = Department.objects.filter(code=DEPARTMENT_CODE).first() or (
        services.department_create(code=DEPARTMENT_CODE, name="API Benchmark Class")
    )
    subject = Subject.objects.filter(
        department=department, code=f"{DEPARTMENT_CODE}-101"
    ).first() or services.subject_create(
        code=f"{DEPARTMENT_CODE}-101",
        name="Benchmark Subject",
        department=department,
        semester=1,
    )
    routines = []
    for weekday in Weekday:
        routine = ClassRoutine.objects.filter(
            subject=subject, session=session, day_of_week=weekday
        ).first()
        if routine is None:
            routine = services.routine_create(
                department=department,
                semester=1,
                shift="morning",
                session=session,
                subject=subject,
                day_of_week=weekday,
                start_time="09:00",
                end_time="09:45",
                room_number=f"{DEPARTMENT_CODE}-{weekday.value}",
            )
        routines.append(routine)
    group = Student.objects.filter(
        department=department,
        semester=1,
        shift="morning",
        session=session,
        status=StudentStatus.ACTIVE,
    )
    for n in range(group.count(), SITTING_SIZE):
        services.student_create(
            full_name_english=f"Bench Sitting Student {n + 1}",
            full_name_bangla="বেঞ্চ ছাত্র",
            father_name="Abdul Karim",
            mother_name="Rokeya Begum",
            date_of_birth=date(2008, 1, 15),
            gender="male",
            guardian_mobile="01712345678",
            department=department,
            semester=1,
            shift="morning",
            session=session,
        )
    student_ids = sorted(group.values_list("pk", flat=True))
    assert len(student_ids) == SITTING_SIZE, len(student_ids)
    today = timezone.localdate()
    by_weekday = {r.day_of_week: r.pk for r in routines}
    sittings = []
    day = max(session.start_date, today - timedelta(days=365))
    while day <= min(today, session.end_date):
        weekday = Weekday.of(day)
        if weekday is not None:
            sittings.append((by_weekday[weekday], day))
        day += timedelta(days=1)
    sittings.reverse()  # newest first
    return student_ids, sittings


def _setup() -> dict:
    from records import services
    from records.api_auth import api_token_create
    from records.models import User
    from records.roles import Role

    from . import dashboard_data

    started = time.perf_counter()
    data = dashboard_data.build_dataset(
        students=STUDENTS,
        attendance=STUDENTS * 10,
        marks=STUDENTS,
        applications=STUDENTS // 10,
    )
    student_ids, sittings = _class_group(data["current_session_id"])
    head = User.objects.filter(username=HEAD).first() or services.user_create(
        username=HEAD, password=None, role=Role.INSTITUTE_HEAD
    )
    _token, key = api_token_create(user=head, name="API benchmark")
    _note(
        f"api: {data['counts']['students'] + SITTING_SIZE} students, "
        f"{len(sittings)} sittings of {SITTING_SIZE}; set up in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return {
        "key": key,
        "department_ids": data["department_ids"],
        "student_ids": student_ids,
        "sittings": sittings,
    }


# --- Requests --------------------------------------------------------------------------


def _students_query(setup: dict):
    departments = setup["department_ids"]

    def make(n: int) -> tuple[str, str, dict | None]:
        department = departments[n % len(departments)]
        semester = n // len(departments) % 8 + 1
        query = (
            f"?department={department}&semester={semester}"
            "&ordering=full_name_english&page_size=20"
        )
        return "GET", STUDENTS_PATH + query, None

    return make


def _sitting_body(setup: dict, n: int) -> dict:
    """The n-th post: sittings in turn; a second round flips every mark."""
    sittings = setup["sittings"]
    routine, day = sittings[n % len(sittings)]
    flip = n // len(sittings) % 2
    return {
        "routine": routine,
        "date": day.isoformat(),
        "records": [
            {"student": pk, "is_present": (i % 4 != 0) != bool(flip), "note": ""}
            for i, pk in enumerate(setup["student_ids"])
        ],
    }


def _sitting(setup: dict, path: str = SITTING_PATH):
    def make(n: int):
        return "POST", path, _sitting_body(setup, n)

    return make


def _minimal_get(n: int):
    return "GET", MINIMAL_PATH, None


def _drive(base: str, key: str, make, ok) -> dict:
    """CLIENTS threads send requests for SECONDS; counts, latencies, failures."""
    import requests

    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    counter = iter(range(10**9))
    headers = {"Authorization": f"Token {key}"}

    def one(http, n):
        method, path, body = make(n)
        started = time.perf_counter()
        response = http.request(method, base + path, json=body, timeout=60)
        return response, (time.perf_counter() - started) * 1000

    # Warm-up, not counted: every worker's first requests load code and plans.
    warm = requests.Session()
    warm.headers.update(headers)
    for _ in range(2 * int(WORKERS) + 2):
        with lock:
            n = next(counter)
        one(warm, n)
    deadline = time.perf_counter() + SECONDS

    def client():
        http = requests.Session()
        http.headers.update(headers)
        while time.perf_counter() < deadline:
            with lock:
                n = next(counter)
            response, elapsed = one(http, n)
            with lock:
                if ok(response):
                    latencies.append(elapsed)
                else:
                    failures.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        _note(f"{len(failures)} failed; first: {failures[0]}")
    return {
        "rps": len(latencies) / SECONDS,
        "p95": _p95(latencies),
        "median": statistics.median(latencies) if latencies else float("nan"),
        "failed": len(failures),
    }


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(round(0.95 * (len(ordered) - 1)))] if ordered else float("nan")


def _is_page(response) -> bool:
    if response.status_code != 200:
        return False
    body = response.json()
    return "results" in body and len(body["results"]) <= 20


def _saved(response) -> bool:
    """Saved, and every one of the 60 marks written (created or changed)."""
    if response.status_code not in (200, 201):
        return False
    body = response.json()
    return body.get("created", 0) + body.get("updated", 0) == SITTING_SIZE


# --- Run ---------------------------------------------------------------------------------


def run(report) -> None:
    if not report.wants(PREFIX):
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        _note("api: PostgreSQL only (the dataset is loaded with COPY); skipped")
        return
    setup = _setup()
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.api_bench_settings",
        "CAMPUSDESK_API_RATE_USER": f"{10**9}/hour",
        "CAMPUSDESK_API_RATE_ANON": f"{10**9}/hour",
    }
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "gunicorn",
            "website.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            WORKERS,
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    key = setup["key"]
    try:
        _wait_for(base)
        minimal_get = _drive(base, key, _minimal_get, lambda r: r.status_code == 200)
        students = _drive(base, key, _students_query(setup), _is_page)
        minimal_post = _drive(
            base, key, _sitting(setup, MINIMAL_PATH), lambda r: r.status_code == 200
        )
        sitting = _drive(base, key, _sitting(setup), _saved)
    finally:
        server.terminate()
        server.wait(timeout=30)

    shape = f"{CLIENTS} clients, {WORKERS} gunicorn workers"
    for name, result, what in (
        ("api_baseline_get", minimal_get, "minimal DRF view, GET"),
        (
            "api_baseline_post",
            minimal_post,
            f"minimal DRF view, POST of {SITTING_SIZE}",
        ),
    ):
        report(
            f"{name}_rps",
            result["rps"],
            f"requests/s ({what}; {shape}; {result['failed']} failed)",
        )
        report(f"{name}_p95_ms", result["p95"], "ms")
    for name, result, baseline, what in (
        ("api_students", students, minimal_get, "GET students, filtered, page of 20"),
        (
            "api_sitting",
            sitting,
            minimal_post,
            f"POST attendance/bulk, {SITTING_SIZE} students",
        ),
    ):
        report(
            f"{name}_rps",
            result["rps"],
            f"requests/s ({what}; {shape}; {result['failed']} failed; "
            f"median {result['median']:.0f} ms)",
        )
        report(f"{name}_p95_ms", result["p95"], "ms")
        ratio = result["rps"] / baseline["rps"] if baseline["rps"] else float("nan")
        report(
            f"{name}_ratio",
            ratio,
            "of the minimal DRF view's requests/s (same run, same server)",
        )


def _wait_for(base: str) -> None:
    import requests

    for _ in range(300):
        try:
            requests.get(base + "/healthz", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")
