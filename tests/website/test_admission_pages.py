"""The public admission form, its status link and the teacher signup page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.apps import apps as registry
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from records.models import DocumentKind
from records.roles import AdmissionStatus, Role
from tests.factories import AcademicSessionFactory, DepartmentFactory
from website.admission_views import status_url
from website.models import AdmissionFormPage, HomePage, TeacherSignupPage
from workflows import services
from workflows.models import AdmissionApplication, TeacherSignupRequest

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def png_bytes() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


BANGLA_NAME = "নুসরাত জাহান"


def page_text(response) -> str:
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return " ".join(soup.get_text(" ").split())


def field_errors(response, name: str) -> str:
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    block = soup.find(id=f"id_{name}-errors")
    return " ".join(block.get_text(" ").split()) if block else ""


@pytest.fixture(autouse=True)
def workflows_and_cache(db):
    from workflows.migrations import _defaults

    _defaults.create(registry, connection.alias)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cst(db):
    return DepartmentFactory(code="CST", name="Computer Science and Technology")


@pytest.fixture
def session(db):
    return AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )


@pytest.fixture
def admission_page(cst, session):
    home = HomePage.objects.first()
    page = AdmissionFormPage(
        title="Admission 2026-27",
        slug="admission",
        intro="<p>Apply here.</p>",
        session=session,
        shifts_offered=["morning", "day"],
        required_documents=[DocumentKind.SSC_CERTIFICATE],
        thank_you_text="<p>We will be in touch.</p>",
    )
    home.add_child(instance=page)
    page.departments.add(cst)
    page.save_revision().publish()
    return AdmissionFormPage.objects.get(pk=page.pk)


@pytest.fixture
def signup_page(db):
    home = HomePage.objects.first()
    page = TeacherSignupPage(
        title="Teacher signup", slug="teacher-signup", intro="<p>Teachers.</p>"
    )
    home.add_child(instance=page)
    return page


def form_data(cst, **over) -> dict:
    """Every field of the form, filled."""
    data = {
        "full_name_english": "Nusrat Jahan",
        "full_name_bangla": BANGLA_NAME,
        "father_name": "Abdul Karim",
        "father_nid": "1234567890",
        "mother_name": "Rokeya Begum",
        "mother_nid": "1234567890123",
        "date_of_birth": "2008-03-14",
        "birth_certificate_no": "20081234567890123",
        "gender": "female",
        "religion": "islam",
        "blood_group": "B+",
        "mobile_student": "01812345678",
        "guardian_mobile": "01712345678",
        "email": "nusrat@example.com",
        "emergency_contact": "Abdul Karim, father, 01712345678",
        "present_village": "Baliadi",
        "present_post_office": "Baliadi",
        "present_upazila": "Kaliakair",
        "present_district": "Gazipur",
        "present_division": "dhaka",
        "permanent_village": "Char Kalia",
        "permanent_post_office": "Kalia",
        "permanent_upazila": "Kalia",
        "permanent_district": "Narail",
        "permanent_division": "khulna",
        "previous_exam": "ssc",
        "previous_exam_board": "dhaka",
        "previous_exam_group": "science",
        "previous_exam_roll": "123456",
        "previous_exam_registration": "1234567890",
        "previous_exam_passing_year": "2024",
        "previous_exam_gpa": "4.75",
        "previous_institution": "Kaliakair High School",
        "desired_department": str(cst.pk),
        "desired_shift": "morning",
        "website": "",
    }
    data.update(over)
    return data


def pdf(name="ssc.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def submit(client, page, data, **files):
    files.setdefault("document_ssc_certificate", pdf())
    return client.post(page.url, {**data, **files})


def test_the_form_shows_every_field_and_the_documents(client, admission_page):
    response = client.get(admission_page.url)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("full_name_bangla", "previous_exam_gpa", "desired_shift"):
        assert f'name="{name}"' in html
    assert 'name="document_ssc_certificate"' in html
    assert 'name="document_photo"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "Apply here." in page_text(response)


def test_a_complete_form_makes_an_application_with_every_field(
    client, admission_page, cst, session
):
    response = submit(client, admission_page, form_data(cst))
    assert response.status_code == 200, page_text(response)
    application = AdmissionApplication.objects.get()
    text = page_text(response)
    assert application.application_number in text
    assert application.application_number == "ADM-2026-00001"

    # Property 5/6: every field is stored as typed.
    assert application.full_name_bangla == BANGLA_NAME
    assert application.date_of_birth == date(2008, 3, 14)
    assert application.previous_exam_gpa == Decimal("4.75")
    assert application.previous_exam_passing_year == 2024
    assert application.desired_department == cst
    assert application.session == session
    assert application.semester == 1
    for name, value in form_data(cst).items():
        if name in (
            "website",
            "desired_department",
            "date_of_birth",
            "previous_exam_gpa",
            "previous_exam_passing_year",
        ):
            continue
        assert getattr(application, name) == value, name

    document = application.documents.get()
    assert document.kind == DocumentKind.SSC_CERTIFICATE
    assert document.original_name == "ssc.pdf"
    assert document.content_type == "application/pdf"
    with document.file.open("rb") as stored:
        assert stored.read() == PDF

    soup = BeautifulSoup(response.content.decode(), "html.parser")
    link = soup.find(id="status-link")["href"]
    assert link.endswith(status_url(application))
    status = client.get(status_url(application))
    assert status.status_code == 200
    status_text = page_text(status)
    assert "Pending" in status_text
    assert "Registrar review" in status_text
    assert "ssc.pdf" in status_text


def test_a_forged_status_token_is_not_found(client, admission_page, cst):
    submit(client, admission_page, form_data(cst))
    application = AdmissionApplication.objects.get()
    assert client.get("/admission/status/forged/").status_code == 404
    url = status_url(application)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    forged = reverse("admission_status", args=[token[:-2] + "xx"])
    assert client.get(forged).status_code == 404
    from django.core import signing

    other_salt = signing.dumps(application.pk, salt="something-else")
    assert client.get(reverse("admission_status", args=[other_salt])).status_code == 404


def test_missing_fields_are_shown_and_nothing_is_made(client, admission_page, cst):
    data = form_data(cst, full_name_english="", guardian_mobile="12")
    response = client.post(admission_page.url, data)
    assert response.status_code == 200
    assert "This field is required." in field_errors(response, "full_name_english")
    assert "mobile" in field_errors(response, "guardian_mobile")
    assert "This field is required." in field_errors(
        response, "document_ssc_certificate"
    )
    assert not AdmissionApplication.objects.exists()


def test_a_png_named_pdf_is_refused_and_nothing_is_made(client, admission_page, cst):
    response = submit(
        client,
        admission_page,
        form_data(cst),
        document_ssc_certificate=pdf("ssc.pdf", png_bytes()),
    )
    assert response.status_code == 200
    assert "ssc.pdf is named like a PDF file but its content is PNG" in field_errors(
        response, "document_ssc_certificate"
    )
    assert not AdmissionApplication.objects.exists()
    response = submit(
        client,
        admission_page,
        form_data(cst),
        document_ssc_certificate=pdf("ssc.pdf", b"just some text, not a document"),
    )
    assert "is not a PDF, JPEG, PNG file" in field_errors(
        response, "document_ssc_certificate"
    )
    assert not AdmissionApplication.objects.exists()


def test_a_refused_document_in_the_service_undoes_the_application(
    client, admission_page, cst, monkeypatch
):
    """The service's own check (after the form's) rolls the application back."""
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError("That file cannot be stored.")

    monkeypatch.setattr(services, "admission_document_add", refuse)
    response = submit(client, admission_page, form_data(cst))
    assert response.status_code == 200
    assert "That file cannot be stored." in field_errors(
        response, "document_ssc_certificate"
    )
    assert not AdmissionApplication.objects.exists()


def test_a_png_photo_is_kept(client, admission_page, cst):
    response = submit(
        client,
        admission_page,
        form_data(cst),
        document_photo=SimpleUploadedFile(
            "me.png", png_bytes(), content_type="image/png"
        ),
    )
    assert response.status_code == 200, page_text(response)
    kinds = set(AdmissionApplication.objects.get().documents.values_list("kind"))
    assert kinds == {("ssc_certificate",), ("photo",)}


def test_a_duplicate_birth_registration_number_is_an_error(client, admission_page, cst):
    submit(client, admission_page, form_data(cst))
    first = AdmissionApplication.objects.get()
    response = submit(
        client, admission_page, form_data(cst, mobile_student="01912345678")
    )
    assert response.status_code == 200
    errors = field_errors(response, "birth_certificate_no")
    assert "20081234567890123" in errors
    assert first.application_number in errors
    assert AdmissionApplication.objects.count() == 1


def test_only_the_pages_departments_and_shifts_are_accepted(
    client, admission_page, cst, session
):
    other = DepartmentFactory(code="EEE", name="Electrical")
    admission_page.shifts_offered = ["day"]
    admission_page.save()
    response = submit(
        client,
        admission_page,
        form_data(cst, desired_department=str(other.pk), desired_shift="morning"),
    )
    assert field_errors(response, "desired_department")
    assert field_errors(response, "desired_shift")
    assert not AdmissionApplication.objects.exists()


def test_a_filled_honeypot_pretends_and_makes_nothing(client, admission_page, cst):
    response = submit(client, admission_page, form_data(cst, website="spam.example"))
    assert response.status_code == 200
    assert "Thank you" in page_text(response)
    assert not AdmissionApplication.objects.exists()


def test_too_many_submissions_from_one_address(client, admission_page, cst, settings):
    settings.CAMPUSDESK_ADMISSION_RATE_PER_HOUR = 2
    bad = form_data(cst, full_name_english="")
    assert client.post(admission_page.url, bad).status_code == 200
    assert client.post(admission_page.url, bad).status_code == 200
    response = submit(client, admission_page, form_data(cst))
    assert response.status_code == 429
    assert "Too many submissions" in page_text(response)
    assert not AdmissionApplication.objects.exists()
    # Another address is not held back.
    other = client.post(
        admission_page.url,
        {**form_data(cst), "document_ssc_certificate": pdf()},
        REMOTE_ADDR="10.0.0.9",
    )
    assert other.status_code == 200


def test_a_closed_form_says_so(client, admission_page, cst):
    today = timezone.localdate()
    admission_page.closes_on = today - timedelta(days=1)
    admission_page.save()
    response = client.get(admission_page.url)
    assert "Admissions are closed" in page_text(response)
    assert 'name="full_name_english"' not in response.content.decode()
    response = submit(client, admission_page, form_data(cst))
    assert "Admissions are closed" in page_text(response)
    assert not AdmissionApplication.objects.exists()

    admission_page.closes_on = None
    admission_page.opens_on = today + timedelta(days=3)
    admission_page.save()
    assert "Admissions are closed" in page_text(client.get(admission_page.url))


def test_a_signed_in_applicant_is_linked(client, admission_page, cst, make_user):
    user = make_user(Role.STUDENT, username="applicant")
    client.force_login(user)
    response = submit(client, admission_page, form_data(cst))
    assert response.status_code == 200, page_text(response)
    assert AdmissionApplication.objects.get().user == user


def test_a_returned_application_takes_a_document_and_is_resubmitted(
    client, admission_page, cst, registrar
):
    submit(client, admission_page, form_data(cst))
    application = AdmissionApplication.objects.get()
    services.request_return(
        request=application, acting_user=registrar, note="Send your testimonial."
    )
    url = status_url(application)
    response = client.get(url)
    text = page_text(response)
    assert "Returned for more information" in text
    assert "Send your testimonial." in text

    response = client.post(
        url,
        {"action": "upload", "kind": "testimonial", "file": pdf("testimonial.pdf")},
    )
    assert response.status_code == 302
    assert application.documents.filter(kind="testimonial").exists()

    response = client.post(url, {"action": "resubmit"}, follow=True)
    assert "Your application was resubmitted." in page_text(response)
    application.refresh_from_db()
    assert application.status == "pending"
    assert application.stage.name == "Registrar review"
    # Pending again: no more uploads.
    assert 'value="resubmit"' not in client.get(url).content.decode()


def test_a_rejected_application_shows_the_note(client, admission_page, cst, registrar):
    submit(client, admission_page, form_data(cst))
    application = AdmissionApplication.objects.get()
    services.request_reject(
        request=application, acting_user=registrar, note="GPA below the minimum."
    )
    text = page_text(client.get(status_url(application)))
    assert "Rejected" in text
    assert "GPA below the minimum." in text


def signup_data(cst, **over):
    data = {
        "full_name_english": "Nasrin Akter",
        "full_name_bangla": "নাসরিন আক্তার",
        "email": "nasrin@example.com",
        "mobile_number": "01712345679",
        "designation": "Instructor",
        "department": str(cst.pk),
        "qualifications": "BSc in CSE",
        "specializations": "Networking",
        "username": "nasrin",
        "password1": "a-long-secret-123",
        "password2": "a-long-secret-123",
        "website": "",
    }
    data.update(over)
    return data


def test_a_teacher_signup_keeps_only_a_hash(client, signup_page, cst):
    response = client.post(signup_page.url, signup_data(cst))
    assert response.status_code == 200, page_text(response)
    assert "a head will review your request" in page_text(response).lower()
    signup = TeacherSignupRequest.objects.get()
    assert signup.username == "nasrin"
    assert signup.department == cst
    assert signup.password_hash != "a-long-secret-123"
    assert signup.password_hash.startswith(("md5$", "pbkdf2", "argon2", "bcrypt"))
    from django.contrib.auth.hashers import check_password

    assert check_password("a-long-secret-123", signup.password_hash)
    row = TeacherSignupRequest.objects.filter(pk=signup.pk).values().get()
    assert not any("a-long-secret-123" in str(value) for value in row.values())
    from records.models import ActivityLog

    for entry in ActivityLog.objects.values():
        assert not any("a-long-secret-123" in str(value) for value in entry.values())
    history = signup.history.values()
    for entry in history:
        assert not any("a-long-secret-123" in str(value) for value in entry.values())


def test_teacher_signup_checks_the_passwords(client, signup_page, cst):
    response = client.post(
        signup_page.url, signup_data(cst, password2="something-else-1")
    )
    assert "The two passwords differ." in field_errors(response, "password2")
    response = client.post(
        signup_page.url, signup_data(cst, password1="123", password2="123")
    )
    assert field_errors(response, "password1")
    assert not TeacherSignupRequest.objects.exists()


def test_teacher_signup_honeypot_and_rate_limit(client, signup_page, cst, settings):
    response = client.post(signup_page.url, signup_data(cst, website="x"))
    assert response.status_code == 200
    assert not TeacherSignupRequest.objects.exists()
    settings.CAMPUSDESK_ADMISSION_RATE_PER_HOUR = 1
    assert client.post(signup_page.url, signup_data(cst)).status_code == 429
    assert not TeacherSignupRequest.objects.exists()


def test_a_student_not_yet_admitted_is_sent_to_the_form(
    client, admission_page, make_user, password
):
    make_user(Role.STUDENT, username="newcomer")
    response = client.post(
        reverse("accounts:login"), {"username": "newcomer", "password": password}
    )
    assert response.status_code == 302
    assert response["Location"] == admission_page.url


def test_an_admitted_student_signs_in_as_before(
    client, admission_page, make_user, password
):
    user = make_user(Role.STUDENT, username="admitted")
    user.admission_status = AdmissionStatus.APPROVED
    user.save(update_fields=["admission_status"])
    response = client.post(
        reverse("accounts:login"), {"username": "admitted", "password": password}
    )
    assert response["Location"] == reverse("accounts:profile")
    teacher = make_user(Role.REGISTRAR, username="staffer")
    client.logout()
    response = client.post(
        reverse("accounts:login"), {"username": teacher.username, "password": password}
    )
    assert response["Location"] == reverse("accounts:profile")


def test_the_admission_page_is_edited_in_the_admin(
    client, cst, session, django_user_model
):
    from wagtail.test.utils.form_data import rich_text

    admin = django_user_model.objects.create_superuser("boss", password="x-long-pw")
    client.force_login(admin)
    home = HomePage.objects.first()
    url = reverse(
        "wagtailadmin_pages:add", args=["website", "admissionformpage", home.pk]
    )
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="required_documents"' in html
    assert 'name="departments"' in html
    response = client.post(
        url,
        {
            "title": "Admission",
            "slug": "admission",
            "intro": rich_text("<p>Apply here.</p>"),
            "thank_you_text": rich_text("<p>Thanks.</p>"),
            "session": str(session.pk),
            "departments": [str(cst.pk)],
            "shifts_offered": ["day"],
            "required_documents": ["ssc_certificate", "birth_certificate"],
            "action-publish": "publish",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    page = AdmissionFormPage.objects.get()
    assert page.live
    assert page.shifts_offered == ["day"]
    assert page.required_documents == ["ssc_certificate", "birth_certificate"]
    assert list(page.departments.all()) == [cst]
    form = client.get(page.url).content.decode()
    assert 'name="document_birth_certificate"' in form
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert edit.status_code == 200
    soup = BeautifulSoup(edit.content.decode(), "html.parser")
    ticked = {
        box["value"] for box in soup.select("input[name=required_documents][checked]")
    }
    assert ticked == {"ssc_certificate", "birth_certificate"}


def test_a_student_with_a_record_signs_in_as_before(
    client, admission_page, make_user, password, cst, session
):
    from tests.factories import StudentFactory

    user = make_user(Role.STUDENT, username="enrolled")
    StudentFactory(user=user, department=cst, session=session)
    response = client.post(
        reverse("accounts:login"), {"username": "enrolled", "password": password}
    )
    assert response["Location"] == reverse("accounts:profile")
