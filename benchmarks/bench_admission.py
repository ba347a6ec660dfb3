"""The public admission form under load, served by gunicorn on 127.0.0.1.

Concurrent clients submit complete applications (no uploads) to the live
admission form page; the baseline in the same run is a minimal Django view
that does one INSERT, behind the same middleware (sessions, CSRF) and the same
gunicorn. Both are driven the same way: each client fetches the page once for
its CSRF cookie, then posts in a loop where a browser would (the form's
action). Reported: submissions/s, p95 latency, and the throughput ratio (goal:
at least 0.4 of the minimal view, p95 under 300 ms).
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date

PREFIX = "admission_form_"
CLIENTS = int(os.environ.get("BENCH_ADMISSION_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_ADMISSION_SECONDS", "8"))
WORKERS = os.environ.get("BENCH_ADMISSION_WORKERS", "2")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _setup() -> str:
    """A live admission page for CST, morning shift, no required documents."""
    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from records import services
    from records.models import AcademicSession, Department
    from website.models import AdmissionFormPage, HomePage
    from website.settings import bench as bench_settings
    from workflows.migrations import _defaults

    _defaults.create(apps, connection.alias)
    # The production cache's table, for the run with production's cache (the
    # migration makes it only when the settings migrating use that cache).
    with override_settings(CACHES=bench_settings.PRODUCTION_CACHES):
        call_command("createcachetable", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_insert "
            "(id bigserial PRIMARY KEY, note text, at timestamptz DEFAULT now())"
        )
    department = Department.objects.filter(code="CST").first() or (
        services.department_create(code="CST", name="Computer Science and Technology")
    )
    session = AcademicSession.objects.filter(name="2026-27").first() or (
        services.academic_session_create(
            name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
        )
    )
    page = AdmissionFormPage.objects.filter(slug="bench-admission").first()
    if page is None:
        page = AdmissionFormPage(
            title="Admission (benchmark)",
            slug="bench-admission",
            session=session,
            shifts_offered=["morning"],
            required_documents=[],
        )
        HomePage.objects.first().add_child(instance=page)
        page.departments.add(department)
        page.save_revision().publish()
    return page.url, department.pk


def _form(n: int, department_id: int) -> dict:
    return {
        "full_name_english": f"Bench Applicant {n}",
        "full_name_bangla": "বেঞ্চ আবেদনকারী",
        "father_name": "Abdul Karim",
        "mother_name": "Rokeya Begum",
        "date_of_birth": "2008-03-14",
        "birth_certificate_no": f"2008{n:013d}",
        "gender": "female",
        "guardian_mobile": "01712345678",
        "mobile_student": f"018{n:08d}",
        "email": f"bench{n}@example.com",
        "previous_exam": "ssc",
        "previous_exam_board": "dhaka",
        "previous_exam_group": "science",
        "previous_exam_passing_year": "2024",
        "previous_exam_gpa": "4.50",
        "desired_department": str(department_id),
        "desired_shift": "morning",
        "website": "",
    }


FORM_ACTION = re.compile(rb'<form[^>]*\saction="([^"]+)"')


def _form_target(path: str, page: bytes) -> str:
    """Where a browser posts: the form's action, or the page itself."""
    found = FORM_ACTION.search(page)
    return found.group(1).decode() if found else path


def _drive(base: str, path: str, make_data, ok) -> tuple[int, list[float], int]:
    """CLIENTS threads post for SECONDS; returns (successes, latencies ms, failures)."""
    import requests

    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    counter = iter(range(10**9))
    deadline = time.perf_counter() + SECONDS

    def client():
        http = requests.Session()
        target = base + _form_target(path, http.get(base + path, timeout=30).content)
        token = http.cookies.get("csrftoken", "")
        while time.perf_counter() < deadline:
            with lock:
                n = next(counter)
            data = {**make_data(n), "csrfmiddlewaretoken": token}
            started = time.perf_counter()
            response = http.post(
                target, data=data, headers={"Referer": base + path}, timeout=30
            )
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok(response):
                    latencies.append(elapsed)
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), latencies, failures[0]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(round(0.95 * (len(ordered) - 1)))] if ordered else float("nan")


# Besides the benchmark's own server (the settings of ``website.settings.bench``:
# a cache in each process, a new database connection per request, as
# production's defaults do), the same two runs under two other settings, for
# the record: production's default cache (the database cache, which the
# form's rate limit and cached page then read with queries), and persistent
# database connections (``DJANGO_CONN_MAX_AGE``), which make every request
# cheaper but the one-INSERT view the most.
VARIANTS = {
    "production_cache": {"CAMPUSDESK_BENCH_CACHE": "production"},
    "persistent_connections": {"DJANGO_CONN_MAX_AGE": "60"},
}


def run(report) -> None:
    if not report.wants(PREFIX):
        return
    page_path, department_id = _setup()
    base_rate, base_lat, base_fail, rate, lat, fail = _measure(
        page_path, department_id, {}
    )
    report(
        "admission_form_baseline_per_s",
        base_rate,
        f"requests/s (minimal view, one INSERT; p95 {_p95(base_lat):.0f} ms, "
        f"{base_fail} failed)",
    )
    report(
        "admission_form_submissions_per_s",
        rate,
        f"submissions/s ({CLIENTS} clients, {WORKERS} gunicorn workers, "
        f"{fail} failed; median {statistics.median(lat) if lat else 0:.0f} ms)",
    )
    report(
        "admission_form_throughput",
        1 / rate if rate else float("inf"),
        "s per submission",
        baseline_name="the minimal view (goal ratio >= 0.4)",
        baseline_value=1 / base_rate if base_rate else None,
    )
    report("admission_form_p95_ms", _p95(lat), "ms (goal < 300)")
    for variant, extra in VARIANTS.items():
        name = f"admission_form_{variant}_throughput"
        if not report.wants(name):
            continue
        base_rate, base_lat, base_fail, rate, lat, fail = _measure(
            page_path, department_id, extra
        )
        report(
            name,
            1 / rate if rate else float("inf"),
            f"s per submission ({rate:.1f} submissions/s, p95 {_p95(lat):.0f} ms, "
            f"{fail} failed; minimal view {base_rate:.1f} requests/s, "
            f"{base_fail} failed)",
            baseline_name="the minimal view under the same settings",
            baseline_value=1 / base_rate if base_rate else None,
        )


_RUNS = itertools.count()


def _measure(page_path: str, department_id: int, extra_env: dict) -> tuple:
    """Both phases against a fresh gunicorn with ``extra_env``."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "website.settings.bench",
        "CAMPUSDESK_ADMISSION_RATE_PER_HOUR": str(10**9),
        "CAMPUSDESK_BENCH_URLS": "1",
        # The e-mails are queued as tasks; the console would print nothing.
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        **extra_env,
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
    offset = next(_RUNS) * 10**6  # each run's applicants are new people
    try:
        _wait_for(base)
        number = re.compile(rb"ADM-\d{4}-\d{5}")
        base_count, base_lat, base_fail = _drive(
            base,
            "/bench/insert/",
            lambda n: {"note": f"row {n}"},
            lambda r: r.status_code == 200,
        )
        count, lat, fail = _drive(
            base,
            page_path,
            lambda n: _form(n + offset, department_id),
            lambda r: r.status_code == 200 and number.search(r.content) is not None,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return base_count / SECONDS, base_lat, base_fail, count / SECONDS, lat, fail


def _wait_for(base: str) -> None:
    import requests

    for _ in range(100):
        try:
            requests.get(base + "/healthz", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")
