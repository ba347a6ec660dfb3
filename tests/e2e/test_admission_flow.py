"""An applicant applies in a real browser and follows the status link to approval."""

import re
from datetime import date

import pytest
from django.apps import apps as registry
from django.core.cache import cache
from django.db import connection
from playwright.sync_api import expect
from wagtail.models import Locale, Page, Site

from records.models import DocumentKind
from tests.factories import AcademicSessionFactory, DepartmentFactory
from website.models import AdmissionFormPage, HomePage
from workflows.models import AdmissionApplication

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
BANGLA_NAME = "নুসরাত জাহান"


def home_page() -> HomePage:
    """The migration's home page; a transactional test may have emptied it."""
    home = HomePage.objects.first()
    if home is not None:
        return home
    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
    home = root.add_child(instance=HomePage(title="Campusdesk", slug="home"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "root_page": home, "site_name": "Test"},
    )
    return home


@pytest.mark.django_db(transaction=True)
def test_an_applicant_applies_and_sees_the_approval(
    live_server, page, tmp_path, registrar, head, password
):
    from workflows.migrations import _defaults

    _defaults.create(registry, connection.alias)
    # The registrar and head fixtures' groups are the workflow stages' groups.
    cache.clear()
    cst = DepartmentFactory(code="CST", name="Computer Science and Technology")
    session = AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )
    form_page = AdmissionFormPage(
        title="Admission 2026-27",
        slug="admission",
        session=session,
        shifts_offered=["morning"],
        required_documents=[DocumentKind.SSC_CERTIFICATE],
    )
    home_page().add_child(instance=form_page)
    form_page.departments.add(cst)
    form_page.save_revision().publish()
    certificate = tmp_path / "ssc-certificate.pdf"
    certificate.write_bytes(PDF)

    page.goto(f"{live_server.url}{form_page.url}")
    expect(page.get_by_role("heading", name="Admission 2026-27")).to_be_visible()
    page.fill("input[name=full_name_english]", "Nusrat Jahan")
    page.get_by_label("Full name (Bangla)").fill(BANGLA_NAME)
    page.fill("input[name=father_name]", "Abdul Karim")
    page.fill("input[name=mother_name]", "Rokeya Begum")
    page.fill("input[name=date_of_birth]", "2008-03-14")
    page.fill("input[name=birth_certificate_no]", "20081234567890123")
    page.select_option("select[name=gender]", "female")
    page.fill("input[name=guardian_mobile]", "01712345678")
    page.fill("input[name=mobile_student]", "01812345678")
    page.locator("input[name=document_ssc_certificate]").set_input_files(
        str(certificate)
    )
    page.get_by_role("button", name="Submit application").click()

    expect(page.get_by_text("Your application number is")).to_be_visible()
    application = AdmissionApplication.objects.get()
    assert application.full_name_bangla == BANGLA_NAME
    expect(page.locator("#application-number")).to_have_text(
        application.application_number
    )
    assert application.documents.get().original_name == "ssc-certificate.pdf"

    status_link = page.locator("#status-link")
    status_href = status_link.get_attribute("href")
    status_link.click()
    expect(page.locator("#status")).to_have_text("Pending")
    expect(page.locator("#stage")).to_have_text("Registrar review")
    expect(page.get_by_text("ssc-certificate.pdf")).to_be_visible()

    # The registrar, then the head, approve on the review screen of the desk.
    review = f"{live_server.url}/admin/desk/admission/{application.pk}/"
    for user, stage_after in ((registrar, "Head approval"), (head, None)):
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        page.goto(review)
        page.get_by_role("button", name="Approve", exact=True).click()
        page.wait_for_load_state()
        application.refresh_from_db()
        if stage_after:
            assert application.stage.name == stage_after
    assert application.status == "approved"
    assert application.student.current_roll_number.startswith("CST-26M-")

    page.goto(status_href)
    expect(page.locator("#status")).to_have_text("Approved")
    expect(page.locator("#stage")).to_have_count(0)
    assert re.search(r"ADM-2026-\d{5}", page.content())
