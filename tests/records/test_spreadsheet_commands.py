"""manage.py export_records / import_records: real files, all rows or none."""

import csv
import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from records import services
from records.management.commands.import_records import ProgressBar
from records.models import ActivityLog, HistoricalStudent, Student, Teacher
from records.roles import Role
from records.spreadsheets.writers import write_csv
from tests.factories import (
    AcademicSessionFactory,
    DepartmentFactory,
    StudentFactory,
    TeacherFactory,
)
from tests.factories.admin import attendance_for, final_mark_for

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
    b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def cst():
    return DepartmentFactory(code="CST", name="Computer Science and Technology")


@pytest.fixture
def session():
    return AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )


@pytest.fixture
def world(cst, session):
    students = [
        StudentFactory(
            full_name_english="=HYPERLINK(1)", department=cst, session=session
        ),
        StudentFactory(
            department=cst,
            session=session,
            mobile_student="01812345678",
            previous_exam_gpa="4.17",
            present_division="dhaka",
        ),
        StudentFactory(department=cst, session=session),
    ]
    TeacherFactory(department=cst, joining_date=date(2020, 1, 2))
    subject = attendance_for(students[1], present=2, absent=1)
    final_mark_for(students[1], subject=subject, obtained="42.5", total=50)
    return students


def run(name, *args, **kwargs):
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def history_count():
    return HistoricalStudent.objects.count()


# --- Export, then import the same file -----------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
@pytest.mark.parametrize(
    "record_type", ["students", "teachers", "routines", "attendance", "marks"]
)
def test_export_then_import_changes_nothing(
    registrar, world, tmp_path, fmt, record_type
):
    path = tmp_path / f"{record_type}.{fmt}"
    out, _err = run("export_records", record_type, str(path), user=registrar.username)
    assert path.exists()
    exported = int(out.split()[0].replace(",", ""))
    assert exported > 0
    history = history_count()
    out, _err = run("import_records", record_type, str(path), user=registrar.username)
    assert out.strip() == f"0 new, 0 updated, {exported} unchanged"
    assert history_count() == history


def test_departments_round_trip_as_the_head(head, world, tmp_path):
    """Registrars may only read departments; the head may change them."""
    path = tmp_path / "departments.xlsx"
    run("export_records", "departments", str(path), user=head.username)
    out, _err = run("import_records", "departments", str(path), user=head.username)
    assert out.strip() == "0 new, 0 updated, 1 unchanged"


def test_export_holds_only_what_the_user_may_see(make_user, world, cst, tmp_path):
    other = DepartmentFactory(code="CIV", name="Civil Technology")
    StudentFactory(
        full_name_english="Outside", department=other, session=world[0].session
    )
    user = make_user(Role.REGISTRAR, username="cst-registrar")
    services.registrar_set_departments(
        user=user, departments=[cst], all_departments=False
    )
    path = tmp_path / "students.csv"
    out, _err = run("export_records", "students", str(path), user=user.username)
    assert out.startswith("3 students written")
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))
    assert len(rows) == 3
    assert "Outside" not in {row["Full name (English)"] for row in rows}
    entry = ActivityLog.objects.order_by("-pk").first()
    assert (entry.action_type, entry.entity_type, entry.user) == (
        "export",
        "student",
        user,
    )
    assert entry.changes["rows"] == 3


def test_export_by_default_acts_as_the_first_superuser(world, tmp_path):
    from records.models import User

    root = User.objects.create_superuser("root", "root@example.edu.bd", "x")
    path = tmp_path / "teachers.ods"
    out, _err = run("export_records", "teachers", str(path))
    assert out.startswith("1 teacher written")
    assert ActivityLog.objects.order_by("-pk").first().user == root


def test_without_a_superuser_the_user_must_be_named(world, tmp_path):
    with pytest.raises(CommandError, match="--user"):
        run("export_records", "students", str(tmp_path / "s.csv"))
    with pytest.raises(CommandError, match="--user"):
        run("import_records", "students", str(tmp_path / "s.csv"))


def test_unknown_or_inactive_user(registrar, make_user, world, tmp_path):
    path = tmp_path / "s.csv"
    with pytest.raises(CommandError, match="no user 'nobody'"):
        run("export_records", "students", str(path), user="nobody")
    inactive = make_user(Role.REGISTRAR, username="gone")
    type(inactive).objects.filter(pk=inactive.pk).update(is_active=False)
    with pytest.raises(CommandError, match="not active"):
        run("export_records", "students", str(path), user="gone")


def test_export_refuses_an_unknown_extension(registrar, tmp_path):
    with pytest.raises(CommandError, match=r"\.csv, \.xlsx or \.ods"):
        run("export_records", "students", str(tmp_path / "s.pdf"), user="registrar1")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("command", ["import_records", "export_records"])
def test_unknown_record_type(registrar, tmp_path, command):
    path = tmp_path / "s.csv"
    path.write_bytes(b"a\n1\n")
    with pytest.raises(CommandError) as excinfo:
        run(command, "pupils", str(path), user=registrar.username)
    message = str(excinfo.value)
    assert "pupils" in message
    assert "students, teachers, departments, routines, attendance, marks" in message


# --- Import: errors, dry run, refusals ----------------------------------------------


def _student_rows(path, rows):
    headers = [
        "Full name (English)",
        "Full name (Bangla)",
        "Father's name",
        "Mother's name",
        "Date of birth",
        "Gender",
        "Guardian's mobile",
        "Department",
        "Shift",
        "Session",
    ]
    with open(path, "wb") as out:
        write_csv(headers, rows, out)


def _new_student(name, mobile="01712345678", department="CST"):
    return [
        name,
        "নতুন",
        "Abdul",
        "Rokeya",
        "2008-01-15",
        "Male",
        mobile,
        department,
        "Morning",
        "2026-27",
    ]


def test_a_bad_row_fails_the_whole_file(registrar, cst, session, tmp_path):
    path = tmp_path / "new.csv"
    _student_rows(
        path,
        [
            _new_student("Good One"),
            _new_student("Bad Mobile", mobile="12345"),
            _new_student("Good Two"),
        ],
    )
    activity = ActivityLog.objects.count()
    with pytest.raises(CommandError) as excinfo:
        run("import_records", "students", str(path), user=registrar.username)
    message = str(excinfo.value)
    assert "1 of 3 rows have errors; nothing was written" in message
    assert "row 3, Guardian's mobile:" in message
    assert not Student.objects.exists()
    assert ActivityLog.objects.count() == activity


def test_errors_are_listed_up_to_fifty(registrar, cst, session, tmp_path):
    path = tmp_path / "bad.csv"
    _student_rows(
        path, [_new_student(f"Bad {n}", department="NOPE") for n in range(60)]
    )
    with pytest.raises(CommandError) as excinfo:
        run("import_records", "students", str(path), user=registrar.username)
    lines = str(excinfo.value).splitlines()
    assert lines[0] == "bad.csv: 60 of 60 rows have errors; nothing was written."
    assert lines[1].startswith("row 2, Department: ")
    assert len([line for line in lines if line.startswith("row ")]) == 50
    assert lines[-1] == "... and 10 more"


def test_dry_run_writes_nothing(registrar, cst, session, tmp_path):
    path = tmp_path / "new.csv"
    _student_rows(path, [_new_student("One"), _new_student("Two", "01812345678")])
    activity = ActivityLog.objects.count()
    out, _err = run(
        "import_records", "students", str(path), dry_run=True, user=registrar.username
    )
    assert out.strip() == "2 new, 0 updated, 0 unchanged (dry run: nothing written)"
    assert not Student.objects.exists()
    assert history_count() == 0
    assert ActivityLog.objects.count() == activity

    out, _err = run("import_records", "students", str(path), user=registrar.username)
    assert out.strip() == "2 new, 0 updated, 0 unchanged"
    assert Student.objects.count() == 2
    entry = ActivityLog.objects.filter(action_type="import").get()
    assert entry.user == registrar
    assert entry.entity_id.startswith("cli:")
    assert "import from command line (new.csv)" in entry.description
    row = Student.objects.get(full_name_english="One").history.get()
    assert row.history_change_reason == "import from command line (new.csv)"
    assert row.history_user == registrar


def test_an_update_is_written(registrar, world, tmp_path):
    student = world[2]
    path = tmp_path / "edit.csv"
    with open(path, "wb") as out:
        write_csv(
            ["Registration number", "Guardian's mobile"],
            [[student.current_registration_number, "01999999999"]],
            out,
        )
    out, _err = run("import_records", "students", str(path), user=registrar.username)
    assert out.strip() == "0 new, 1 updated, 0 unchanged"
    student.refresh_from_db()
    assert student.guardian_mobile == "01999999999"


def test_a_png_named_csv_is_refused(registrar, tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(PNG)
    with pytest.raises(CommandError) as excinfo:
        run("import_records", "students", str(path), user=registrar.username)
    message = str(excinfo.value)
    assert "students.csv" in message
    assert "PNG image" in message


def test_a_missing_file(registrar, tmp_path):
    with pytest.raises(CommandError, match="no file"):
        run(
            "import_records",
            "students",
            str(tmp_path / "nope.xlsx"),
            user=registrar.username,
        )


def test_out_of_scope_rows_are_errors(make_user, world, tmp_path):
    """The acting user's permissions apply: a teacher may not import students."""
    teacher = make_user(Role.TEACHER, username="t1")
    path = tmp_path / "new.csv"
    _student_rows(path, [_new_student("Somebody")])
    with pytest.raises(CommandError, match="row 2"):
        run("import_records", "students", str(path), user=teacher.username)
    assert not Student.objects.filter(full_name_english="Somebody").exists()


def test_ignored_columns_are_mentioned(registrar, world, tmp_path):
    path = tmp_path / "students.xlsx"
    run("export_records", "students", str(path), user=registrar.username)
    _out, err = run("import_records", "students", str(path), user=registrar.username)
    assert "Columns not imported: Status" in err


# --- The progress bar ------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_redraws_in_place():
    stream = io.StringIO()
    bar = ProgressBar(stream, enabled=True, width=10)
    bar(10_000, 20_000, "checking")
    bar(20_000, 20_000, "writing")
    bar.finish()
    assert stream.getvalue() == (
        "\r[#####     ] 10,000/20,000 checking\r[##########] 20,000/20,000 writing \n"
    )


def test_progress_is_quiet_without_a_terminal_or_at_verbosity_0(
    registrar, world, tmp_path, monkeypatch
):
    path = tmp_path / "students.csv"
    run("export_records", "students", str(path), user=registrar.username)
    _out, err = run("import_records", "students", str(path), user=registrar.username)
    assert "\r" not in err  # a StringIO is not a terminal

    terminal = FakeTerminal()
    call_command(
        "import_records",
        "students",
        str(path),
        user=registrar.username,
        stdout=io.StringIO(),
        stderr=terminal,
    )
    assert "\r[" in terminal.getvalue()
    assert "checked" in terminal.getvalue()

    quiet = FakeTerminal()
    call_command(
        "import_records",
        "students",
        str(path),
        user=registrar.username,
        verbosity=0,
        stdout=io.StringIO(),
        stderr=quiet,
    )
    assert quiet.getvalue() == ""


def test_teachers_file_round_trip_keeps_teachers(registrar, world, tmp_path):
    path = tmp_path / "teachers.csv"
    run("export_records", "teachers", str(path), user=registrar.username)
    before = Teacher.objects.count()
    run("import_records", "teachers", str(path), user=registrar.username)
    assert Teacher.objects.count() == before
