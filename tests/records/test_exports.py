"""Listing exports: what is on screen, as CSV, XLSX or ODS, in words, safe, importable."""

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from records import services
from records.models import ActivityLog, Alumni, BloodGroup, Shift, Student
from records.permissions import EXPORT, RULES
from records.roles import Role
from records.spreadsheets.engine import run_import
from records.spreadsheets.intake import read_table
from records.spreadsheets.resources import resource_for
from tests.factories import (
    AcademicSessionFactory,
    DepartmentFactory,
    StudentFactory,
    TeacherFactory,
)
from tests.factories.admin import attendance_for

pytestmark = pytest.mark.django_db

FORMATS = ["csv", "xlsx", "ods"]
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def cst():
    return DepartmentFactory(code="CST", name="Computer Science and Technology")


@pytest.fixture
def civ():
    return DepartmentFactory(code="CIV", name="Civil Technology")


@pytest.fixture
def session():
    return AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )


@pytest.fixture
def registrar_client(client, registrar):
    client.force_login(registrar)
    return client


def content_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def read_export(response, fmt: str) -> list[list]:
    """Header row first, then the data rows, as the spreadsheet holds them."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith(CONTENT_TYPES[fmt])
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f".{fmt}" in disposition
    data = content_of(response)
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Bangla
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_index(0).to_python()


def as_dicts(rows: list[list]) -> list[dict]:
    headers = [str(h) for h in rows[0]]
    return [dict(zip(headers, row, strict=False)) for row in rows[1:]]


def export(client, name, fmt, **params):
    return client.get(reverse(f"{name}:index"), {"export": fmt, **params})


# --- Students: filters, search, scope, values --------------------------------------


@pytest.fixture
def students(cst, civ, session):
    return {
        "rahim": StudentFactory(
            full_name_english="Rahim Uddin",
            department=cst,
            session=session,
            shift=Shift.MORNING,
            date_of_birth=date(2008, 3, 9),
        ),
        "karim": StudentFactory(
            full_name_english="Karim Mia", department=cst, session=session
        ),
        "rahim_civil": StudentFactory(
            full_name_english="Rahim Civil", department=civ, session=session
        ),
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_student_export_holds_the_filtered_and_searched_rows(
    registrar_client, students, cst, fmt
):
    response = export(registrar_client, "students", fmt, department=cst.pk, q="Rahim")
    rows = as_dicts(read_export(response, fmt))
    assert [row["Full name (English)"] for row in rows] == ["Rahim Uddin"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_student_export_values_are_human(registrar_client, students, cst, fmt):
    response = export(registrar_client, "students", fmt, department=cst.pk)
    rows = {
        row["Full name (English)"]: row for row in as_dicts(read_export(response, fmt))
    }
    assert set(rows) == {"Rahim Uddin", "Karim Mia"}
    rahim = rows["Rahim Uddin"]
    student = students["rahim"]
    assert rahim["Department"] == "CST"
    assert rahim["Shift"] == "Morning"
    assert rahim["Gender"] == "Male"
    assert rahim["Session"] == "2026-27"
    assert rahim["Status"] == "Active"
    assert rahim["Registration number"] == student.current_registration_number
    assert rahim["Guardian's mobile"] == "01712345678"  # text: the 0 stays
    if fmt == "csv":
        assert rahim["Date of birth"] == "2008-03-09"
    else:
        assert rahim["Date of birth"] == date(2008, 3, 9)  # a date cell


def test_student_export_has_the_import_columns(registrar_client, students):
    response = export(registrar_client, "students", "csv")
    headers = read_export(response, "csv")[0]
    assert headers == resource_for("students").export_headers()


def test_export_follows_the_ordering_and_holds_every_page(registrar_client, cst):
    departments = [DepartmentFactory() for _ in range(55)]  # more than one page
    ascending = export(registrar_client, "departments", "csv", ordering="code")
    codes = [row["Code"] for row in as_dicts(read_export(ascending, "csv"))]
    expected = sorted([d.code for d in departments] + [cst.code])
    assert codes == expected
    descending = export(registrar_client, "departments", "csv", ordering="-code")
    codes = [row["Code"] for row in as_dicts(read_export(descending, "csv"))]
    assert codes == expected[::-1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_registrar_of_one_department_exports_only_its_rows(
    client, make_user, students, cst, fmt
):
    user = make_user(Role.REGISTRAR, username="cst-registrar")
    services.registrar_set_departments(
        user=user, departments=[cst], all_departments=False
    )
    client.force_login(user)
    rows = as_dicts(read_export(export(client, "students", fmt), fmt))
    assert {row["Full name (English)"] for row in rows} == {"Rahim Uddin", "Karim Mia"}
    # Asking for another department's rows gives none of them.
    civ_id = students["rahim_civil"].department_id
    rows = as_dicts(
        read_export(export(client, "students", fmt, department=civ_id), fmt)
    )
    assert "Rahim Civil" not in {row["Full name (English)"] for row in rows}


@pytest.mark.parametrize("fmt", FORMATS)
def test_formula_like_text_is_escaped(registrar_client, cst, session, fmt):
    StudentFactory(
        full_name_english=FORMULA,
        father_name="+8801712345678",
        mother_name="@SUM(1,2)",
        department=cst,
        session=session,
    )
    rows = as_dicts(read_export(export(registrar_client, "students", fmt), fmt))
    (row,) = rows
    assert row["Full name (English)"] == "'" + FORMULA
    assert row["Father's name"] == "'+8801712345678"
    assert row["Mother's name"] == "'@SUM(1,2)"


def test_xlsx_export_has_no_formula_cells(registrar_client, cst, session):
    import zipfile

    StudentFactory(full_name_english=FORMULA, department=cst, session=session)
    data = content_of(export(registrar_client, "students", "xlsx"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet


# --- Listings without a resource -----------------------------------------------------


def test_ods_export_of_sessions(registrar_client):
    AcademicSessionFactory(
        name="2030-31",
        start_date=date(2030, 7, 1),
        end_date=date(2031, 6, 30),
        is_current=True,
    )
    response = export(registrar_client, "sessions", "ods", q="2030")
    rows = read_export(response, "ods")
    assert rows[0] == ["Name", "Start date", "End date", "Current session"]
    assert rows[1:] == [["2030-31", date(2030, 7, 1), date(2031, 6, 30), "Yes"]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_alumni_export_in_words(registrar_client, cst, session, fmt):
    Alumni.objects.create(
        student=StudentFactory(
            full_name_english="Nasima Akter", department=cst, session=session
        ),
        graduation_year=2024,
        current_organization="=cmd|' /C calc'!A0",
        contact_mobile="01812345678",
    )
    response = export(registrar_client, "alumni", fmt)
    assert "alumni" in response["Content-Disposition"]
    (row,) = as_dicts(read_export(response, fmt))
    assert row["Full name (English)"] == "Nasima Akter"
    assert row["Department"] == "Computer Science and Technology"  # str(department)
    assert row["Session"] == "2026-27"
    assert row["Graduation year"] in (2024, "2024")
    assert row["Organisation"] == "'=cmd|' /C calc'!A0"
    assert row["Contact mobile"] == "01812345678"


def test_subject_export_shows_choice_labels(registrar_client, cst):
    from tests.factories import SubjectFactory

    SubjectFactory(code="66611", name="Programming", department=cst, semester=3)
    (row,) = as_dicts(read_export(export(registrar_client, "subjects", "xlsx"), "xlsx"))
    assert row["Semester"] == "3rd semester"
    assert row["Department"] == "Computer Science and Technology"
    assert row["Active"] in ("Yes", True)


def test_activity_log_exports_as_ods(head, client, cst):
    from records.activity import activity_record

    activity_record(
        action="update",
        instance=cst,
        user=head,
        description="renamed the department",
        changes={"name": {"before": "Old", "after": "New"}},
    )
    client.force_login(head)
    response = export(client, "activity_log", "ods", q="renamed")
    assert "activity-log" in response["Content-Disposition"]
    (row,) = as_dicts(read_export(response, "ods"))
    assert row["Description"] == "renamed the department"
    assert row["Action"] == "Update"  # the label, not "update"
    assert '"before": "Old"' in row["Changes"]
    assert isinstance(row["Time"], datetime)  # a date-time cell


# --- Activity, buttons, refusals -------------------------------------------------------


def test_every_export_writes_an_activity_entry(
    registrar, registrar_client, students, cst
):
    before = ActivityLog.objects.count()
    response = export(registrar_client, "students", "ods", department=cst.pk)
    assert response.status_code == 200
    entry = ActivityLog.objects.order_by("-pk").first()
    assert ActivityLog.objects.count() == before + 1
    assert (entry.action_type, entry.entity_type, entry.user) == (
        "export",
        "student",
        registrar,
    )
    assert entry.changes == {
        "format": "ods",
        "filters": {"department": str(cst.pk)},
        "rows": 2,
    }


@pytest.mark.parametrize(
    "name",
    [
        "students",
        "teachers",
        "alumni",
        "documents",
        "departments",
        "sessions",
        "subjects",
        "routines",
        "attendance",
        "marks",
        "activity_log",
    ],
)
def test_every_listing_offers_three_formats_with_its_filters(registrar_client, name):
    response = registrar_client.get(
        reverse(f"{name}:index"), {"q": "x y", "ordering": "-pk", "p": "2"}
    )
    assert response.status_code == 200
    view = response.context["view"]
    urls = {
        str(button.label): button.url
        for button in view.header_more_buttons
        if "export=" in (button.url or "")
    }
    assert set(urls) == {"Download CSV", "Download XLSX", "Download ODS"}
    for label, url in urls.items():
        fmt = label.split()[-1].lower()
        assert url.startswith(reverse(f"{name}:index") + "?")
        assert f"export={fmt}" in url
        assert "q=x+y" in url and "ordering=-pk" in url
        assert "p=2" not in url
    for fmt in FORMATS:
        assert export(registrar_client, name, fmt).status_code == 200


def test_buttons_follow_a_filter_changed_in_place(registrar_client, cst):
    """Filtering refreshes the results only; its header buttons carry the filter."""
    response = registrar_client.get(
        reverse("students:index_results"),
        {"department": cst.pk, "_w_filter_fragment": "1"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "w-teleport" in content
    expected = reverse("students:index") + f"?department={cst.pk}&amp;export=ods"
    assert expected in content  # and no "_w_filter_fragment" in between


def test_unknown_format_is_a_bad_request(registrar_client, students):
    response = export(registrar_client, "students", "pdf")
    assert response.status_code == 400
    # An empty value is just the listing.
    assert export(registrar_client, "students", "").status_code == 200


def test_no_export_right_means_403_and_no_buttons(
    client, registrar, students, monkeypatch
):
    monkeypatch.delitem(RULES[Role.REGISTRAR]["student"], EXPORT)
    client.force_login(registrar)
    for fmt in FORMATS:
        assert export(client, "students", fmt).status_code == 403
    response = client.get(reverse("students:index"))
    assert response.status_code == 200
    urls = [b.url or "" for b in response.context["view"].header_more_buttons]
    assert not [url for url in urls if "export=" in url]


def test_export_queries_do_not_grow_with_the_rows(registrar_client, cst, session):
    student = StudentFactory(department=cst, session=session)
    attendance_for(student, present=2, absent=1)

    def queries(name):
        with CaptureQueriesContext(connection) as ctx:
            response = export(registrar_client, name, "csv")
            content_of(response)
        return len(ctx)

    few = {name: queries(name) for name in ("students", "attendance", "alumni")}
    for _ in range(5):
        other = StudentFactory(department=DepartmentFactory(), session=session)
        attendance_for(other, present=3, absent=2)
        Alumni.objects.create(student=other, graduation_year=2024)
    many = {name: queries(name) for name in ("students", "attendance", "alumni")}
    assert many == few


# --- The round trip ------------------------------------------------------------------


def test_export_edit_import_changes_exactly_the_edited_cells(
    registrar, registrar_client, cst, session, tmp_path
):
    rahim = StudentFactory(
        full_name_english="Rahim Uddin",
        department=cst,
        session=session,
        father_nid="1234567890",
        present_division="dhaka",
        previous_exam_gpa="4.17",
        previous_exam_passing_year=2024,
        mobile_student="01912345678",
    )
    karim = StudentFactory(
        full_name_english="Karim Mia",
        department=cst,
        session=session,
        birth_certificate_no="20081234567890123",
    )
    others = [
        StudentFactory(full_name_english=FORMULA, department=cst, session=session),
        StudentFactory(full_name_english="Shanta Das", department=cst, session=session),
    ]
    response = export(registrar_client, "students", "xlsx")
    source = tmp_path / "students.xlsx"
    source.write_bytes(content_of(response))

    book = openpyxl.load_workbook(source)
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    name_col = headers.index("Full name (English)") + 1
    mobile_col = headers.index("Guardian's mobile") + 1
    reg_col = headers.index("Registration number") + 1
    row_of = {
        sheet.cell(row=r, column=reg_col).value: r for r in range(2, sheet.max_row + 1)
    }
    sheet.cell(
        row=row_of[rahim.current_registration_number], column=name_col
    ).value = "Rahim Uddin Khan"
    sheet.cell(
        row=row_of[karim.current_registration_number], column=mobile_col
    ).value = "01911111111"
    edited = tmp_path / "x.xlsx"
    book.save(edited)

    plan = run_import(
        resource_for("students"),
        read_table(str(edited), filename="x.xlsx"),
        user=registrar,
        dry_run=True,
        reason="t",
        tag="t",
    )
    assert plan.ok, (plan.file_errors, plan.error_messages())
    assert plan.counts["update"] == 2
    assert plan.counts["unchanged"] == len(others)
    assert plan.counts["new"] == plan.counts["error"] == 0
    changes = {row.number: row.changes for row in plan.rows if row.action == "update"}
    assert changes == {
        row_of[rahim.current_registration_number]: [
            ("Full name (English)", "Rahim Uddin", "Rahim Uddin Khan")
        ],
        row_of[karim.current_registration_number]: [
            ("Guardian's mobile", "01712345678", "01911111111")
        ],
    }
    # A dry run: nothing changed.
    assert Student.objects.get(pk=rahim.pk).full_name_english == "Rahim Uddin"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unedited_export_imports_back_unchanged(
    registrar, registrar_client, cst, session, tmp_path, fmt
):
    StudentFactory(full_name_english=FORMULA, department=cst, session=session)
    StudentFactory(
        department=cst,
        session=session,
        mobile_student="01812345678",
        previous_exam_gpa="3.50",
    )
    TeacherFactory(department=cst, email="nasrin@example.edu.bd")
    for name in ("students", "teachers"):
        path = tmp_path / f"{name}.{fmt}"
        path.write_bytes(content_of(export(registrar_client, name, fmt)))
        plan = run_import(
            resource_for(name),
            read_table(str(path), filename=path.name),
            user=registrar,
            dry_run=True,
            reason="t",
            tag="t",
        )
        assert plan.ok, (name, plan.file_errors, plan.error_messages())
        assert plan.counts["unchanged"] == plan.counts["total"] > 0, (
            name,
            [(r.number, r.action, r.changes) for r in plan.rows],
        )


# Round-trip cases that once failed: B+ read as B- (choice keys dropped + and -),
# and a mixed-case teacher email planned as a new, duplicate teacher.


def test_blood_group_survives_the_round_trip(
    registrar, registrar_client, cst, session, tmp_path
):
    StudentFactory(department=cst, session=session, blood_group=BloodGroup.B_POS)
    path = tmp_path / "students.xlsx"
    path.write_bytes(content_of(export(registrar_client, "students", "xlsx")))
    plan = run_import(
        resource_for("students"),
        read_table(str(path), filename=path.name),
        user=registrar,
        dry_run=True,
        reason="t",
        tag="t",
    )
    assert plan.counts["unchanged"] == 1, [r.changes for r in plan.rows]


def test_mixed_case_teacher_email_survives_the_round_trip(
    registrar, registrar_client, cst, tmp_path
):
    TeacherFactory(department=cst, email="Nasrin.Akter@Example.edu.bd")
    path = tmp_path / "teachers.csv"
    path.write_bytes(content_of(export(registrar_client, "teachers", "csv")))
    plan = run_import(
        resource_for("teachers"),
        read_table(str(path), filename=path.name),
        user=registrar,
        dry_run=True,
        reason="t",
        tag="t",
    )
    assert plan.counts["unchanged"] == 1, [(r.action, r.changes) for r in plan.rows]
