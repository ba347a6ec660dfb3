"""The approval desk in the admin: what waits, review, decide, bulk, workflow editing."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records import services as record_services
from records.models import Student
from records.roles import AccountStatus, Role
from tests.factories import AcademicSessionFactory, DepartmentFactory
from workflows import services
from workflows.models import (
    AdmissionApplication,
    RequestStatus,
    Workflow,
    WorkflowStage,
)

from .test_services import application_fields

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def cst(db):
    return DepartmentFactory(code="CST", name="Computer Science and Technology")


@pytest.fixture
def session(db):
    return AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )


@pytest.fixture
def head(make_user):
    return make_user(
        Role.INSTITUTE_HEAD, username="head1", first_name="Rahima", last_name="Khatun"
    )


@pytest.fixture
def application(cst, session):
    return services.admission_submit(**application_fields(cst, session))


def second_application(cst, session):
    return services.admission_submit(
        **application_fields(
            cst,
            session,
            full_name_english="Rafiq Islam",
            birth_certificate_no="20081234567890999",
            mobile_student="01912345678",
            email="rafiq@example.com",
        )
    )


def login(client, user, password):
    assert client.login(username=user.username, password=password)
    return client


def review(application):
    return reverse("workflows_desk:review", args=["admission", application.pk])


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_registrar_sees_a_pending_admission_on_desk_and_dashboard(
    client, password, registrar, application
):
    login(client, registrar, password)
    response = client.get(reverse("workflows_desk:index"))
    assert response.status_code == 200
    content = response.content.decode()
    assert application.application_number in content
    assert 'data-kind="admission" data-count="1"' in content
    assert review(application) in content

    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Awaiting your action" in home
    assert 'data-kind="admission" data-count="1"' in home


def test_the_head_acts_only_after_the_registrar(
    client, password, registrar, head, application
):
    login(client, head, password)
    desk = client.get(reverse("workflows_desk:index")).content.decode()
    assert application.application_number not in desk
    # The head may see the application, but not act at the registrar's stage.
    page = client.get(review(application))
    assert page.status_code == 200
    assert b"data-decision-form" not in page.content
    assert b"Registrar review: members of Registrars act" in page.content

    login(client, registrar, password)
    response = client.post(review(application), {"action": "approve", "note": ""})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.stage.name == "Head approval"

    login(client, head, password)
    desk = client.get(reverse("workflows_desk:index")).content.decode()
    assert application.application_number in desk
    response = client.post(review(application), {"action": "approve"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == RequestStatus.APPROVED
    assert Student.objects.count() == 1

    # Once more: a clear message, no second student, no 500.
    response = client.post(review(application), {"action": "approve"}, follow=True)
    assert response.status_code == 200
    assert (
        f"Admission application {application.pk} was approved by Rahima Khatun"
        in response.content.decode()
    )
    assert Student.objects.count() == 1
    # The review screen shows the trail and the history.
    page = client.get(review(application)).content.decode()
    assert "data-trail" in page and "Head approval" in page


def test_reject_needs_a_note(client, password, registrar, application):
    login(client, registrar, password)
    response = client.post(review(application), {"action": "reject", "note": " "})
    assert response.status_code == 400
    assert "Write a note saying why." in response.content.decode()
    application.refresh_from_db()
    assert application.status == RequestStatus.PENDING

    response = client.post(
        review(application), {"action": "reject", "note": "GPA below the minimum"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == RequestStatus.REJECTED
    assert application.review_notes == "GPA below the minimum"


def test_return_with_a_note(client, password, registrar, application):
    login(client, registrar, password)
    response = client.post(
        review(application), {"action": "return", "note": "Upload the transcript"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == RequestStatus.RETURNED


def test_a_registrar_of_another_department_gets_404(
    client, password, make_user, application
):
    other = DepartmentFactory(code="EEE", name="Electrical")
    user = record_services.registrar_set_departments(
        user=make_user(Role.REGISTRAR), departments=[other], all_departments=False
    )
    login(client, user, password)
    assert client.get(review(application)).status_code == 404
    desk = client.get(reverse("workflows_desk:index"))
    assert desk.status_code == 200
    assert application.application_number not in desk.content.decode()


def test_a_teacher_gets_a_403_page_on_the_desk(client, password, make_user):
    teacher = make_user(Role.TEACHER, account_status=AccountStatus.ACTIVE)
    login(client, teacher, password)
    response = client.get(reverse("workflows_desk:index"))
    assert response.status_code == 403
    assert b"Your role may not do this here" in response.content


def test_documents_download_only_for_those_who_may_see(
    client, password, registrar, make_user, application
):
    document = services.admission_document_add(
        application=application,
        kind="ssc_certificate",
        uploaded_file=SimpleUploadedFile("ssc.pdf", PDF, "application/pdf"),
    )
    url = reverse("workflows_desk:document", args=[application.pk, document.pk])
    login(client, registrar, password)
    assert url in client.get(review(application)).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]

    other = record_services.registrar_set_departments(
        user=make_user(Role.REGISTRAR),
        departments=[DepartmentFactory(code="EEE")],
        all_departments=False,
    )
    login(client, other, password)
    assert client.get(url).status_code == 404
    teacher = make_user(Role.TEACHER, account_status=AccountStatus.ACTIVE)
    login(client, teacher, password)
    assert client.get(url).status_code == 404


def test_bulk_approve_shows_one_result_per_item(
    client, password, registrar, cst, session, application
):
    another = second_application(cst, session)
    login(client, registrar, password)
    response = client.post(
        reverse("workflows_desk:bulk_approve"),
        {"selected": [f"admission:{application.pk}", f"admission:{another.pk}"]},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('data-outcome="moved"') == 2
    assert set(AdmissionApplication.objects.values_list("stage__name", flat=True)) == {
        "Head approval"
    }

    # Again: both are now the head's; each is refused with the service's message.
    response = client.post(
        reverse("workflows_desk:bulk_approve"),
        {"selected": [f"admission:{application.pk}", f"admission:{another.pk}"]},
    )
    assert response.content.decode().count('data-outcome="refused"') == 2


def test_the_head_adds_a_stage_to_the_correction_workflow(
    client, password, head, registrar
):
    workflow = Workflow.objects.get(kind="correction")
    heads = Group.objects.get(name="Institute heads")
    data = {
        "workflow": workflow.pk,
        "order": 2,
        "name": "Head approval",
        "group": heads.pk,
    }
    login(client, registrar, password)
    assert client.get(reverse("workflow_stages:index")).status_code == 403
    response = client.post(reverse("workflow_stages:add"), data)
    assert response.status_code == 403
    assert workflow.stages.count() == 1

    login(client, head, password)
    assert client.get(reverse("workflow_stages:index")).status_code == 200
    response = client.post(reverse("workflow_stages:add"), data)
    assert response.status_code == 302
    assert list(workflow.stages.values_list("name", flat=True)) == [
        "Registrar review",
        "Head approval",
    ]
    assert WorkflowStage.objects.get(workflow=workflow, order=2).group == heads


def test_signups_and_corrections_show_on_the_desk_and_review(
    client, password, head, registrar, cst, session
):
    from tests.factories import StudentFactory

    signup = services.teacher_signup_submit(
        password="a-long-secret-123",
        full_name_english="Nasrin Akter",
        email="nasrin@example.edu.bd",
        mobile_number="01712345678",
        designation="Instructor",
        department=cst,
        username="nasrin",
    )
    correction = services.correction_submit(
        student=StudentFactory(department=cst, session=session),
        field_name="father_name",
        requested_value="Abdul Karim Mia",
        reason="Spelling on the certificate",
        acting_user=registrar,
    )
    login(client, head, password)
    desk = client.get(reverse("workflows_desk:index")).content.decode()
    assert 'data-kind="teacher_signup" data-count="1"' in desk
    page = client.get(
        reverse("workflows_desk:review", args=["teacher_signup", signup.pk])
    )
    assert page.status_code == 200
    assert b"Nasrin Akter" in page.content and b"data-decision-form" in page.content
    assert signup.password_hash.encode() not in page.content

    login(client, registrar, password)
    desk = client.get(reverse("workflows_desk:index")).content.decode()
    assert 'data-kind="correction" data-count="1"' in desk
    page = client.get(
        reverse("workflows_desk:review", args=["correction", correction.pk])
    )
    assert page.status_code == 200 and b"Abdul Karim Mia" in page.content
    assert (
        client.get(reverse("workflows_desk:review", args=["nonsense", 1])).status_code
        == 404
    )
