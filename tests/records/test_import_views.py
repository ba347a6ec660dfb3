"""The spreadsheet import screens: upload, preview, confirm, errors, undo."""

import csv
import io
from datetime import date

import pytest
from bs4 import BeautifulSoup
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from records.import_views import import_url
from records.models import ImportBatch, ImportStatus, Student
from records.roles import Role
from records.spreadsheets.resources import resource_for
from tests.factories import AcademicSessionFactory, DepartmentFactory

pytestmark = pytest.mark.django_db

STUDENT_HEADERS = [
    "Full name (English)",
    "Full name (Bangla)",
    "Father's name",
    "Mother's name",
    "Date of birth",
    "Gender",
    "Guardian's mobile",
    "Department",
    "Semester",
    "Shift",
    "Session",
]


def student_row(n, **over):
    row = {
        "Full name (English)": f"Rahim Uddin {n}",
        "Full name (Bangla)": f"রহিম উদ্দিন {n}",
        "Father's name": "Karim Uddin",
        "Mother's name": "Rahima Khatun",
        "Date of birth": "15/01/2008",
        "Gender": "Male",
        "Guardian's mobile": "01712345678",
        "Department": "CST",
        "Semester": "1",
        "Shift": "Morning",
        "Session": "2026-27",
    }
    row.update(over)
    return [row[h] for h in STUDENT_HEADERS]


def csv_file(rows, headers=STUDENT_HEADERS, name="students.csv"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), "text/csv")


def xlsx_file(rows, headers=STUDENT_HEADERS, name="students.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def page_text(response) -> str:
    return " ".join(soup(response).get_text(" ").split())


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def sheet_rows(content: bytes, sheet: int = 0) -> list[list]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return workbook.get_sheet_by_index(sheet).to_python()


@pytest.fixture
def cst(db):
    return DepartmentFactory(code="CST", name="Computer Science and Technology")


@pytest.fixture
def session(db):
    return AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )


@pytest.fixture
def signed_in(client, registrar, password):
    assert client.login(username=registrar.username, password=password)
    return client


def upload(client, file, record_type="students"):
    return client.post(import_url(record_type), {"file": file})


def detail_url(batch):
    return reverse("records_imports:detail", args=[batch.pk])


# --- The whole flow ------------------------------------------------------------------


def test_upload_preview_confirm_and_undo(signed_in, registrar, cst, session):
    response = upload(signed_in, csv_file([student_row(1), student_row(2)]))

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(batch)
    assert batch.status == ImportStatus.CHECKED
    assert batch.created_by == registrar
    assert Student.objects.count() == 0  # a preview writes nothing

    page = signed_in.get(detail_url(batch))
    text = page_text(page)
    assert page.status_code == 200
    assert "Ready to import" in text
    assert "students.csv" in text
    counts = {
        dd["data-count"]: dd.get_text(strip=True)
        for dd in soup(page).select("[data-count]")
    }
    assert counts == {"new": "2", "update": "0", "unchanged": "0", "error": "0"}
    assert soup(page).select_one("button[data-confirm-import]") is not None
    assert Student.objects.count() == 0

    response = signed_in.post(reverse("records_imports:confirm", args=[batch.pk]))
    assert response.status_code == 302
    assert response["Location"] == detail_url(batch)
    assert Student.objects.count() == 2
    assert set(Student.objects.values_list("full_name_bangla", flat=True)) == {
        "রহিম উদ্দিন 1",
        "রহিম উদ্দিন 2",
    }
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    assert batch.imported_by == registrar
    assert any("2 added" in m for m in message_texts(response))

    page = signed_in.get(detail_url(batch))
    assert "Imported" in page_text(page)
    assert "Undo this import" in page_text(page)

    undo_url = reverse("records_imports:undo", args=[batch.pk])
    summary = signed_in.get(undo_url)
    assert summary.status_code == 200
    summary_text = " ".join(
        soup(summary).select_one("[data-undo-summary]").get_text(" ").split()
    )
    assert "2 records added by it will be deleted" in summary_text
    assert "0 records it changed get their old values back" in summary_text
    assert Student.objects.count() == 2  # the GET only asks

    response = signed_in.post(undo_url)
    assert response.status_code == 302
    assert Student.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UNDONE
    assert batch.undone_by == registrar
    assert "Undone by" in page_text(signed_in.get(detail_url(batch)))


def test_a_second_confirm_is_refused_with_the_conflict(signed_in, cst, session):
    upload(signed_in, csv_file([student_row(1)]))
    batch = ImportBatch.objects.get()
    confirm = reverse("records_imports:confirm", args=[batch.pk])

    signed_in.post(confirm)
    response = signed_in.post(confirm)

    assert response.status_code == 302
    assert response["Location"] == detail_url(batch)
    assert Student.objects.count() == 1
    texts = message_texts(response)
    assert any(f"Import #{batch.pk} was already imported by" in m for m in texts)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED


def test_a_changed_student_shows_old_and_new_values(signed_in, cst, session):
    upload(signed_in, csv_file([student_row(1)]))
    batch = ImportBatch.objects.get()
    signed_in.post(reverse("records_imports:confirm", args=[batch.pk]))
    student = Student.objects.get()

    headers = ["Registration number", "Father's name"]
    response = upload(
        signed_in,
        csv_file([[student.current_registration_number, "Abdul Karim"]], headers),
    )
    second = ImportBatch.objects.exclude(pk=batch.pk).get()
    assert response["Location"] == detail_url(second)
    assert second.status == ImportStatus.CHECKED
    assert second.counts["update"] == 1

    text = page_text(signed_in.get(detail_url(second)))
    assert "Father's name: Karim Uddin → Abdul Karim" in text


def test_ignored_columns_are_listed(signed_in, cst, session):
    headers = [*STUDENT_HEADERS, "Favourite colour"]
    upload(signed_in, csv_file([[*student_row(1), "Blue"]], headers))
    page = signed_in.get(detail_url(ImportBatch.objects.get()))
    assert (
        soup(page).select_one("[data-ignored-columns]").get_text(strip=True)
        == "Favourite colour"
    )


# --- Errors ---------------------------------------------------------------------------


def test_error_rows_are_shown_and_downloadable(signed_in, cst, session):
    response = upload(
        signed_in,
        xlsx_file([student_row(1), student_row(2, Gender="Robot"), student_row(3)]),
    )
    batch = ImportBatch.objects.get()
    assert response["Location"] == detail_url(batch)
    assert batch.status == ImportStatus.HAS_ERRORS
    assert Student.objects.count() == 0
    message = batch.report["errors"]["3"]
    assert message.startswith("Gender: ")

    page = signed_in.get(detail_url(batch))
    assert "Has errors" in page_text(page)
    cells = [
        td.get_text(" ", strip=True)
        for td in soup(page).select("[data-error-rows] tr[data-row='3'] td")
    ]
    assert cells[0] == "Row 3"
    assert cells[1] == "Gender"
    assert cells[2] == message.removeprefix("Gender: ")
    assert "Upload a corrected file" in page_text(page)
    assert soup(page).select_one("button[data-confirm-import]") is None

    report = signed_in.get(reverse("records_imports:errors", args=[batch.pk]))
    assert report.status_code == 200
    assert "attachment" in report["Content-Disposition"]
    rows = sheet_rows(b"".join(report.streaming_content))
    assert rows[0] == ["Errors", *STUDENT_HEADERS]
    assert len(rows) == 2  # the header and the one row with an error
    assert rows[1][0] == message
    assert rows[1][1] == "Rahim Uddin 2"
    assert rows[1][6] == "Robot"


def test_a_confirm_of_a_batch_with_errors_is_refused(signed_in, cst, session):
    upload(signed_in, csv_file([student_row(1, Gender="Robot")]))
    batch = ImportBatch.objects.get()

    response = signed_in.post(reverse("records_imports:confirm", args=[batch.pk]))

    assert response.status_code == 302
    assert any(
        "only a checked file can be imported" in m for m in message_texts(response)
    )
    assert Student.objects.count() == 0


def test_check_again_after_the_missing_department_is_added(signed_in, session):
    upload(signed_in, csv_file([student_row(1)]))
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.HAS_ERRORS  # no CST department yet

    DepartmentFactory(code="CST", name="Computer Science and Technology")
    response = signed_in.post(reverse("records_imports:check", args=[batch.pk]))

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKED


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("students.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG image"),
        ("students.csv", b"", "is empty"),
        ("students.xls", b"anything", "old Excel"),
    ],
)
def test_a_refused_file_reshows_the_form_and_keeps_nothing(
    signed_in, cst, session, name, content, words
):
    response = upload(signed_in, SimpleUploadedFile(name, content))

    assert response.status_code == 200
    assert words in page_text(response)
    assert ImportBatch.objects.count() == 0
    assert soup(response).select_one("input[type=file][name=file]") is not None


def test_no_header_match_is_a_file_error(signed_in, cst, session):
    upload(signed_in, csv_file([["x", "y"]], headers=["Colour", "Size"]))
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.HAS_ERRORS
    page = signed_in.get(detail_url(batch))
    assert "None of the column headers" in page_text(page)
    assert soup(page).select_one("[data-file-error]") is not None


# --- Large files: the task path ----------------------------------------------------------


def test_large_files_go_through_the_task(signed_in, cst, session, settings):
    settings.CAMPUSDESK_IMPORT_INLINE_ROWS = 0  # every file is "large"
    response = upload(signed_in, csv_file([student_row(1), student_row(2)]))

    batch = ImportBatch.objects.get()
    assert response["Location"] == detail_url(batch)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKED  # the immediate backend ran it
    assert batch.phase != "queued"
    assert any("in the background" in m for m in message_texts(response))

    response = signed_in.post(reverse("records_imports:confirm", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    assert Student.objects.count() == 2

    # Another click finds the batch imported: the conflict, nothing twice.
    response = signed_in.post(reverse("records_imports:confirm", args=[batch.pk]))
    assert any("already imported" in m for m in message_texts(response))
    assert Student.objects.count() == 2


def test_a_batch_waiting_for_the_worker_shows_progress(signed_in, cst, session):
    upload(signed_in, csv_file([student_row(1)]))
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.CHECKING, rows_done=400, rows_total=1000, phase="checking"
    )

    page = signed_in.get(detail_url(batch))
    section = soup(page).select_one("[data-import-progress]")
    assert section is not None
    assert section["data-progress-url"] == reverse(
        "records_imports:progress", args=[batch.pk]
    )
    assert soup(page).select_one("script[src$='records/js/import-progress.js']")
    assert "400 of 1000 rows" in page_text(page)
    assert soup(page).select_one("button[data-confirm-import]") is None


def test_progress_json(signed_in, cst, session):
    upload(signed_in, csv_file([student_row(1)]))
    batch = ImportBatch.objects.get()
    url = reverse("records_imports:progress", args=[batch.pk])

    data = signed_in.get(url).json()
    assert data["status"] == "checked"
    assert data["done"] is True
    assert data["rows_total"] == 1
    assert {"rows_done", "phase", "seconds_left"} <= set(data)

    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.IMPORTING, rows_done=250, rows_total=1000, phase="writing"
    )
    data = signed_in.get(url).json()
    assert data["done"] is False
    assert data["rows_done"] == 250
    assert data["percent"] == 25
    assert isinstance(data["seconds_left"], int)


# --- Permissions ----------------------------------------------------------------------------


def test_a_teacher_may_not_import_students(client, active_teacher, password):
    assert client.login(username=active_teacher.username, password=password)
    response = client.get(import_url("students"))
    assert response.status_code == 403
    response = client.post(import_url("students"), {"file": csv_file([student_row(1)])})
    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0
    assert (
        client.get(reverse("records_imports:template", args=["students"])).status_code
        == 403
    )


def test_a_user_without_any_import_type_gets_403_on_the_list(
    client, make_user, password
):
    clerk = make_user(Role.STUDENT, username="clerk")
    from django.contrib.auth.models import Permission

    clerk.user_permissions.add(Permission.objects.get(codename="access_admin"))
    assert client.login(username="clerk", password=password)
    assert client.get(reverse("records_imports:index")).status_code == 403


def test_unknown_record_type_is_404(signed_in):
    assert signed_in.get("/admin/imports/new/spaceships/").status_code == 404
    assert signed_in.get("/admin/imports/template/spaceships.xlsx").status_code == 404


def test_another_registrar_cannot_see_the_batch_but_the_head_can(
    signed_in, client, make_user, head, password, cst, session
):
    from django.test import Client

    from records import services

    upload(signed_in, csv_file([student_row(1)]))
    batch = ImportBatch.objects.get()

    other = make_user(Role.REGISTRAR, username="registrar2")
    services.registrar_set_departments(user=other, departments=[], all_departments=True)
    other_client = Client()
    assert other_client.login(username="registrar2", password=password)
    for name in ("detail", "progress", "errors", "undo"):
        url = reverse(f"records_imports:{name}", args=[batch.pk])
        assert other_client.get(url).status_code == 404
    confirm = reverse("records_imports:confirm", args=[batch.pk])
    assert other_client.post(confirm).status_code == 404
    assert Student.objects.count() == 0
    listing = other_client.get(reverse("records_imports:index"))
    assert listing.status_code == 200
    assert soup(listing).select(f"tr[data-batch='{batch.pk}']") == []

    head_client = Client()
    assert head_client.login(username=head.username, password=password)
    assert head_client.get(detail_url(batch)).status_code == 200
    listing = head_client.get(reverse("records_imports:index"))
    assert soup(listing).select(f"tr[data-batch='{batch.pk}']")


def test_the_list_shows_own_batches_and_import_buttons(signed_in, cst, session):
    upload(signed_in, csv_file([student_row(1)]))
    batch = ImportBatch.objects.get()

    response = signed_in.get(reverse("records_imports:index"))

    assert response.status_code == 200
    row = soup(response).select_one(f"tr[data-batch='{batch.pk}']")
    row_text = " ".join(row.get_text(" ").split())
    assert "students.csv" in row_text
    assert "Ready to import" in row_text
    assert row.select_one(f"a[href='{detail_url(batch)}']")
    buttons = [
        a.get_text(strip=True) for a in soup(response).select(".imports-actions a")
    ]
    assert "Import students" in buttons
    assert "Import teachers" in buttons


def test_the_menu_shows_spreadsheet_imports_to_a_registrar(signed_in):
    response = signed_in.get(reverse("wagtailadmin_home"))
    assert "Spreadsheet imports" in response.content.decode()


def test_the_upload_form_lists_the_columns(signed_in):
    response = signed_in.get(import_url("students"))
    assert response.status_code == 200
    page = soup(response)
    file_input = page.select_one("input[type=file][name=file]")
    assert file_input["accept"] == ".csv,.xlsx,.ods"
    text = page_text(response)
    assert "Full name (Bangla)" in text
    assert "Leave Registration number and Roll number empty" in text
    assert page.select_one(
        f"a[href='{reverse('records_imports:template', args=['students'])}']"
    )


def test_the_template_has_the_headers_an_example_and_the_rules(signed_in):
    response = signed_in.get("/admin/imports/template/students.xlsx")

    assert response.status_code == 200
    assert "students-template.xlsx" in response["Content-Disposition"]
    columns = resource_for("students").import_columns()
    headers = [str(c.column_name) for c in columns]
    rows = sheet_rows(response.content)
    assert rows[0] == headers
    assert rows[1][headers.index("Full name (Bangla)")] == "রহিম উদ্দিন"
    rules = sheet_rows(response.content, 1)
    assert rules[0] == ["Header", "Required", "Rule"]
    by_header = {row[0]: row for row in rules[1 : len(columns) + 1]}
    assert by_header["Full name (English)"][1] == "Yes"
    assert by_header["Date of birth"][2].startswith("a date")


def test_a_crash_during_the_check_marks_the_batch_failed(
    signed_in, cst, session, monkeypatch
):
    from records.spreadsheets import batches

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(batches, "run_import", explode)
    response = upload(signed_in, csv_file([student_row(1)]))

    batch = ImportBatch.objects.get()
    assert response["Location"] == detail_url(batch)
    assert batch.status == ImportStatus.FAILED
    assert any("unexpected error" in m for m in message_texts(response))
    page = signed_in.get(detail_url(batch))
    assert "RuntimeError" in page_text(page)
    assert soup(page).select_one("[data-import-progress]") is None


def test_listings_offer_an_import_button_to_those_who_may_import(
    client, registrar, password
):
    from django.urls import reverse

    client.force_login(registrar)
    response = client.get(reverse("students:index"))
    assert response.status_code == 200
    assert (
        reverse("records_imports:new", args=["students"]).encode() in response.content
    )
    response = client.get(reverse("sessions:index"))
    assert b"/admin/imports/new/" not in response.content
