"""A registrar imports students from a spreadsheet in a real browser."""

import csv
import io
from datetime import date

import pytest
from playwright.sync_api import expect

from records import services
from records.models import ImportBatch, ImportStatus, Student
from records.roles import Role
from tests.factories import AcademicSessionFactory, DepartmentFactory

pytestmark = pytest.mark.e2e

HEADERS = [
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


def students_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerow(
        [
            "Nusrat Jahan",
            "নুসরাত জাহান",
            "Abdul Karim",
            "Rokeya Begum",
            "2008-03-14",
            "Female",
            "01712345678",
            "CST",
            "1",
            "Morning",
            "2026-27",
        ]
    )
    return out.getvalue().encode("utf-8")


@pytest.mark.django_db(transaction=True)
def test_registrar_uploads_previews_and_confirms_an_import(
    live_server, page, make_user, password
):
    registrar = make_user(Role.REGISTRAR, username="registrar")
    services.registrar_set_departments(
        user=registrar, departments=[], all_departments=True
    )
    DepartmentFactory(code="CST", name="Computer Science and Technology")
    AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "registrar")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.get_by_role("link", name="Spreadsheet imports").click()
    page.wait_for_url(f"{live_server.url}/admin/imports/")
    page.get_by_role("link", name="Import students").click()
    page.wait_for_url(f"{live_server.url}/admin/imports/new/students/")

    page.set_input_files(
        "input[type=file][name=file]",
        files=[
            {"name": "students.csv", "mimeType": "text/csv", "buffer": students_csv()}
        ],
    )
    page.get_by_role("button", name="Upload and check").click()

    # The preview: one new student, nothing written yet.
    batch = ImportBatch.objects.get()
    page.wait_for_url(f"{live_server.url}/admin/imports/{batch.pk}/")
    expect(page.locator("[data-import-status]")).to_contain_text("Ready to import")
    expect(page.locator("[data-count='new']")).to_have_text("1")
    expect(page.locator("[data-preview-rows] tr[data-row='2']")).to_contain_text("New")
    assert Student.objects.count() == 0

    page.get_by_role("button", name="Confirm import").click()

    expect(page.locator("[data-import-status]")).to_contain_text("Imported")
    expect(page.get_by_text(f"Import #{batch.pk} is done: 1 added")).to_be_visible()
    expect(page.get_by_role("link", name="Undo this import")).to_be_visible()
    student = Student.objects.get()
    assert student.full_name_bangla == "নুসরাত জাহান"
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED


@pytest.mark.django_db(transaction=True)
def test_the_progress_bar_follows_the_batch_and_reloads_when_done(
    live_server, page, make_user, password
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from records.spreadsheets import batches

    registrar = make_user(Role.REGISTRAR, username="registrar")
    services.registrar_set_departments(
        user=registrar, departments=[], all_departments=True
    )
    DepartmentFactory(code="CST", name="Computer Science and Technology")
    AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )
    batch = batches.import_batch_create(
        record_type="students",
        uploaded_file=SimpleUploadedFile("students.csv", students_csv()),
        acting_user=registrar,
    )
    # As the task worker leaves it midway through a large file.
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.CHECKING, rows_done=400, rows_total=1000, phase="checking"
    )

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "registrar")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/imports/{batch.pk}/")

    text = page.locator("[data-progress-text]")
    expect(text).to_contain_text("400 of 1000 rows")
    ImportBatch.objects.filter(pk=batch.pk).update(rows_done=700)
    expect(text).to_contain_text("700 of 1000 rows")
    expect(page.locator("[data-progress-track]")).to_have_attribute(
        "aria-valuenow", "70"
    )

    # The worker finishes: the page reloads itself and shows the preview.
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.UPLOADED)
    batches.import_batch_check(batch=batch, acting_user=registrar)
    expect(page.locator("[data-import-status]")).to_contain_text("Ready to import")
    expect(page.get_by_role("button", name="Confirm import")).to_be_visible()
