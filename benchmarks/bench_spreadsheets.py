"""Spreadsheet import and export, side by side with django-import-export's defaults.

Import: a realistic 20,000-row student CSV (15 columns, Bangla names,
department and session by name) is imported by Campusdesk's engine (check,
then the confirmed import with history rows and the activity entry) and by
import-export's default ``ModelResource`` (with simple-history on the model,
as ours), on the same file. The default runs at a few hundred rows/s, so
this takes about a minute.
PostgreSQL COPY of the same rows is the floor.

Export: 100,000 students to XLSX by our export (the listing's export) and by
import-export's default ``export()`` (on ``BASELINE_EXPORT_ROWS`` rows); peak
memory of ours at 20,000 and 100,000 rows shows it does not grow.

Each measurement runs in a fresh child process so that peak memory (ru_maxrss)
is the measurement's own.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import random
import resource as rlimit
import tempfile
import time
from datetime import date
from pathlib import Path

PREFIX = ""  # import_ and export_ lines; run() checks which are wanted
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "20000"))
# The default import runs on the same whole file (about a minute); set this
# lower for a quick look (its rate is then flattered: it slows as rows grow).
BASELINE_ROWS = int(os.environ.get("BENCH_IMPORT_BASELINE_ROWS", str(ROWS)))
EXPORT_ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "100000"))
BASELINE_EXPORT_ROWS = int(os.environ.get("BENCH_EXPORT_BASELINE_ROWS", "20000"))

HEADERS = [
    "full_name_english",
    "full_name_bangla",
    "father_name",
    "mother_name",
    "date_of_birth",
    "gender",
    "religion",
    "guardian_mobile",
    "mobile_student",
    "department",
    "semester",
    "shift",
    "session",
    "current_roll_number",
    "current_registration_number",
]
FIRST = ["Rahim", "Karim", "Nasrin", "Fatema", "Sumaiya", "Tanvir", "Arif", "Mitu"]
LAST = ["Uddin", "Hossain", "Akter", "Khatun", "Islam", "Rahman", "Ahmed", "Begum"]
BANGLA_FIRST = ["রহিম", "করিম", "নাসরিন", "ফাতেমা", "সুমাইয়া", "তানভীর", "আরিফ", "মিতু"]
BANGLA_LAST = ["উদ্দিন", "হোসেন", "আক্তার", "খাতুন", "ইসলাম", "রহমান", "আহমেদ", "বেগম"]


def write_student_csv(
    path: Path, rows: int, departments: list[str], session: str
) -> None:
    rng = random.Random(20_000)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in range(rows):
            i, j = rng.randrange(8), rng.randrange(8)
            dept = departments[n % len(departments)]
            shift = "morning" if n % 2 else "day"
            writer.writerow(
                [
                    f"{FIRST[i]} {LAST[j]} {n}",
                    f"{BANGLA_FIRST[i]} {BANGLA_LAST[j]}",
                    f"{FIRST[j]} {LAST[i]}",
                    f"{FIRST[(i + 3) % 8]} {LAST[(j + 5) % 8]}",
                    date(2005 + n % 5, 1 + n % 12, 1 + n % 28).isoformat(),
                    "male" if n % 2 else "female",
                    "islam",
                    f"017{rng.randrange(10**8):08d}",
                    f"018{rng.randrange(10**8):08d}",
                    dept,
                    1 + n % 8,
                    shift,
                    session,
                    f"B{dept}-{'M' if n % 2 else 'D'}-{n:06d}",
                    f"B2026-{dept}-{n:06d}",
                ]
            )


# --- the measurements (each in a child process) -------------------------------------


def _child(target, args, queue):
    try:
        import django

        django.setup()
        started = time.perf_counter()
        extra = target(*args)
        seconds = time.perf_counter() - started
        peak_mb = rlimit.getrusage(rlimit.RUSAGE_SELF).ru_maxrss / 1024
        # A measurement may time its own core (leaving out the table reset).
        queue.put({"seconds": seconds, "peak_mb": peak_mb, **(extra or {})})
    except BaseException:
        import traceback

        queue.put({"error": traceback.format_exc()})


def measure(target, *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(target, args, queue))
    process.start()
    result = queue.get()
    process.join()
    if "error" in result:
        raise RuntimeError(f"{target.__name__} failed:\n{result['error']}")
    return result


def _reset_students():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE records_student, records_historicalstudent, "
            "records_numbersequence RESTART IDENTITY CASCADE"
        )


def ours_import(path: str, dry_run: bool, with_history: bool = True) -> dict:
    from records.models import User
    from records.spreadsheets.engine import run_import
    from records.spreadsheets.intake import read_table
    from records.spreadsheets.resources import resource_for

    _reset_students()
    user = User.objects.get(username="bench-registrar")
    started = time.perf_counter()
    table = read_table(path, filename="students.csv")
    read = time.perf_counter() - started
    plan = run_import(
        resource_for("students"),
        table,
        user=user,
        dry_run=dry_run,
        reason="import #1 (students.csv)",
        tag="import:1",
        with_history=with_history,
    )
    seconds = time.perf_counter() - started
    assert plan.ok, plan.as_report()["rows"][:3]
    return {
        "rows": plan.counts["total"],
        "read": read,
        "plan": plan.seconds,
        "seconds": seconds,
    }


def default_import(path: str, rows: int) -> dict:
    import tablib
    from import_export import fields, resources, widgets

    from records.models import AcademicSession, Department, Student

    class DefaultStudentResource(resources.ModelResource):
        department = fields.Field(
            attribute="department",
            column_name="department",
            widget=widgets.ForeignKeyWidget(Department, "code"),
        )
        session = fields.Field(
            attribute="session",
            column_name="session",
            widget=widgets.ForeignKeyWidget(AcademicSession, "name"),
        )

        class Meta:
            model = Student

    _reset_students()
    started = time.perf_counter()
    with open(path, encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(rows + 1)]
    dataset = tablib.Dataset().load("".join(lines), format="csv")
    result = DefaultStudentResource().import_data(
        dataset, dry_run=False, raise_errors=True
    )
    seconds = time.perf_counter() - started
    assert not result.has_errors()
    return {"rows": rows, "seconds": seconds}


def copy_import(path: str) -> dict:
    from django.db import connection

    from records.models import AcademicSession, Department

    _reset_students()
    started = time.perf_counter()
    departments = dict(Department.objects.values_list("code", "pk"))
    sessions = dict(AcademicSession.objects.values_list("name", "pk"))
    columns = [
        "full_name_english",
        "full_name_bangla",
        "father_name",
        "mother_name",
        "date_of_birth",
        "gender",
        "religion",
        "guardian_mobile",
        "mobile_student",
        "department_id",
        "semester",
        "shift",
        "session_id",
        "current_roll_number",
        "current_registration_number",
        "status",
        "created_at",
        "updated_at",
    ]
    blanks = _blank_text_columns()
    columns += blanks
    now = time.strftime("%Y-%m-%d %H:%M:%S+00")
    rows = 0
    with connection.cursor() as cursor, open(path, encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        with cursor.copy(
            f"COPY records_student ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for row in reader:
                values = row[:9] + [
                    departments[row[9]],
                    row[10],
                    row[11],
                    sessions[row[12]],
                    row[13],
                    row[14],
                    "active",
                    now,
                    now,
                ]
                copy.write_row(values + [""] * len(blanks))
                rows += 1
    return {"rows": rows, "seconds": time.perf_counter() - started}


def _blank_text_columns():
    from django.db import models

    from records.models import Student

    covered = {
        "full_name_english",
        "full_name_bangla",
        "father_name",
        "mother_name",
        "gender",
        "religion",
        "guardian_mobile",
        "mobile_student",
        "shift",
        "current_roll_number",
        "current_registration_number",
        "status",
    }
    return [
        f.column
        for f in Student._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.FileField)
        and f.column not in covered
        and not f.null
    ]


def ours_export(path: str, rows: int) -> dict:
    from records.models import Student
    from records.spreadsheets.resources import resource_for
    from records.spreadsheets.writers import write_xlsx

    resource = resource_for("students")
    queryset = Student.objects.order_by("pk")[:rows]
    written = write_xlsx(
        resource.export_headers(), resource.export_rows(queryset), path
    )
    return {"rows": written}


def default_export(path: str, rows: int) -> dict:
    from import_export import resources

    from records.models import Student

    class DefaultStudentResource(resources.ModelResource):
        class Meta:
            model = Student

    dataset = DefaultStudentResource().export(Student.objects.order_by("pk")[:rows])
    Path(path).write_bytes(dataset.xlsx)
    return {"rows": rows}


# --- set-up and report ---------------------------------------------------------------


def _setup() -> tuple[list[str], str]:
    from records import services
    from records.models import AcademicSession, Department, User
    from records.roles import Role

    codes = ["CST", "EEE", "CE", "ME", "ET", "PT"]
    for code in codes:
        if not Department.objects.filter(code=code).exists():
            services.department_create(code=code, name=f"Bench {code}")
    if not AcademicSession.objects.filter(name="2026-27").exists():
        services.academic_session_create(
            name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
        )
    if not User.objects.filter(username="bench-registrar").exists():
        user = services.user_create(
            username="bench-registrar", password="x" * 20, role=Role.REGISTRAR
        )
        services.registrar_set_departments(
            user=user, departments=[], all_departments=True
        )
    return codes, "2026-27"


def _load_export_students(rows: int) -> None:
    """Fill the student table to ``rows`` with COPY (the export's input)."""
    from django.db import connection

    from records.models import Student

    _reset_students()
    codes, session = _setup()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "students.csv"
        write_student_csv(path, rows, codes, session)
        copy_import(str(path))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE records_student")
    assert Student.objects.count() == rows


def run(report) -> None:
    wants_import = report.wants("import_")
    wants_export = report.wants("export_")
    wants_history = report.wants("history_import")
    if not (wants_import or wants_export or wants_history):
        return
    codes, session = _setup()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "students.csv"
        write_student_csv(path, ROWS, codes, session)
        if wants_import:
            _run_import(report, str(path))
        if wants_history:
            _run_history(report, str(path))
        if wants_export:
            _run_export(report, tmp)


def _run_import(report, path: str) -> None:
    baseline = measure(default_import, path, BASELINE_ROWS)
    base_rate = baseline["rows"] / baseline["seconds"]
    check = measure(ours_import, path, True)
    confirm = measure(ours_import, path, False)
    copy = measure(copy_import, path)
    check_rate = check["rows"] / check["seconds"]
    confirm_rate = confirm["rows"] / confirm["seconds"]
    copy_rate = copy["rows"] / copy["seconds"]
    report(
        "import_default_rows_per_s",
        base_rate,
        f"rows/s ({BASELINE_ROWS} rows, import-export ModelResource, history on)",
    )
    report(
        "import_confirm_rows_per_s",
        confirm_rate,
        f"rows/s ({confirm['rows']} rows: read {confirm['read']:.2f}s, "
        f"plan {confirm['plan']:.2f}s, total {confirm['seconds']:.2f}s)",
    )
    report(
        "import_confirm_speedup",
        1 / confirm_rate,
        "s/row",
        baseline_name="import-export default (goal ratio >= 20)",
        baseline_value=1 / base_rate,
    )
    report(
        "import_check_rows_per_s",
        check_rate,
        f"rows/s (preview: total {check['seconds']:.2f}s)",
    )
    report(
        "import_check_vs_confirm",
        1 / check_rate,
        "s/row",
        baseline_name="the confirmed import (goal ratio >= 1)",
        baseline_value=1 / confirm_rate,
    )
    report(
        "import_copy_rows_per_s", copy_rate, "rows/s (PostgreSQL COPY, no validation)"
    )
    report(
        "import_vs_copy",
        1 / confirm_rate,
        "s/row",
        baseline_name="COPY",
        baseline_value=1 / copy_rate,
    )
    report("import_confirm_peak_mb", confirm["peak_mb"], "MB peak RSS (goal < 300)")
    report("import_check_peak_mb", check["peak_mb"], "MB peak RSS")


def _run_history(report, path: str) -> None:
    """Issue 5's goal: history costs under 1.5x on a 20,000-row import."""
    on, off = [], []
    for _ in range(3):
        off.append(measure(ours_import, path, False, False)["seconds"])
        on.append(measure(ours_import, path, False, True)["seconds"])
    on_s, off_s = sorted(on)[1], sorted(off)[1]
    report(
        "history_import_20k_on",
        on_s,
        "s (median of 3, history rows written)",
        baseline_name="history off (goal ratio >= 0.67: under 1.5x)",
        baseline_value=off_s,
    )
    report("history_import_20k_off", off_s, "s (median of 3, no history rows)")


def _run_export(report, tmp: str) -> None:
    _load_export_students(EXPORT_ROWS)
    out = Path(tmp) / "export.xlsx"
    baseline = measure(default_export, str(out), BASELINE_EXPORT_ROWS)
    base_rate = baseline["rows"] / baseline["seconds"]
    small = measure(ours_export, str(out), EXPORT_ROWS // 5)
    large = measure(ours_export, str(out), EXPORT_ROWS)
    rate = large["rows"] / large["seconds"]
    report(
        "export_default_rows_per_s",
        base_rate,
        f"rows/s ({BASELINE_EXPORT_ROWS} rows, import-export export() to XLSX)",
    )
    report("export_xlsx_rows_per_s", rate, f"rows/s ({large['rows']} rows to XLSX)")
    report(
        "export_xlsx_speedup",
        1 / rate,
        "s/row",
        baseline_name="import-export default (goal ratio >= 10)",
        baseline_value=1 / base_rate,
    )
    report(
        "export_peak_mb_small",
        small["peak_mb"],
        f"MB peak RSS at {small['rows']} rows",
    )
    report(
        "export_peak_mb_large",
        large["peak_mb"],
        f"MB peak RSS at {large['rows']} rows",
        baseline_name=f"{small['rows']} rows (ratio near 1 = flat)",
        baseline_value=small["peak_mb"],
    )
    _ = json  # kept for ad-hoc dumps while profiling
