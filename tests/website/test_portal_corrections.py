"""Students ask for corrections in the portal and see what became of them."""

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from records import services
from records.roles import Role
from tests.factories import AcademicSessionFactory, DepartmentFactory
from tests.website.test_portal import student_with_account
from workflows import services as flow
from workflows.migrations import _defaults
from workflows.models import CorrectionRequest, RequestStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(password):
    _defaults.create(apps, connection.alias)
    return student_with_account(
        "nusrat",
        password,
        department=DepartmentFactory(code="CST"),
        session=AcademicSessionFactory(),
        father_name="Abdul Karim",
    )


def test_a_student_asks_for_a_correction_and_sees_the_outcome(client, me, make_user):
    client.force_login(me.user)
    page = client.get(reverse("portal:corrections"))
    assert page.status_code == 200
    assert "You have not asked for any corrections." in page.content.decode()

    response = client.post(
        reverse("portal:corrections"),
        {
            "field_name": "father_name",
            "requested_value": "Abdul Karim Mia",
            "reason": "My SSC certificate says Abdul Karim Mia.",
        },
    )
    assert response.status_code == 302
    request = CorrectionRequest.objects.get()
    assert request.student == me and request.current_value == "Abdul Karim"
    assert request.status == RequestStatus.PENDING

    registrar = services.registrar_set_departments(
        user=make_user(Role.REGISTRAR), departments=[], all_departments=True
    )
    flow.request_approve(request=request, acting_user=registrar)
    me.refresh_from_db()
    assert me.father_name == "Abdul Karim Mia"
    page = client.get(reverse("portal:corrections")).content.decode()
    assert 'data-status="approved"' in page and "Abdul Karim Mia" in page


def test_an_incomplete_request_is_refused_with_reasons(client, me):
    client.force_login(me.user)
    response = client.post(
        reverse("portal:corrections"), {"field_name": "father_name", "reason": ""}
    )
    assert response.status_code == 400
    assert not CorrectionRequest.objects.exists()
    assert "This field is required." in response.content.decode()


def test_a_forged_field_name_is_refused(client, me):
    client.force_login(me.user)
    response = client.post(
        reverse("portal:corrections"),
        {"field_name": "current_roll_number", "requested_value": "X", "reason": "r"},
    )
    assert response.status_code == 400
    assert not CorrectionRequest.objects.exists()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_a_supporting_document_goes_with_the_request_to_the_desk(client, me, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(me.user)
    response = client.post(
        reverse("portal:corrections"),
        {
            "field_name": "father_name",
            "requested_value": "Abdul Karim Mia",
            "reason": "See the SSC certificate.",
            "document": SimpleUploadedFile("ssc.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 302
    request = CorrectionRequest.objects.get()
    document = request.documents.get()
    assert document.original_name == "ssc.pdf"

    registrar = services.registrar_set_departments(
        user=make_user(Role.REGISTRAR), departments=[], all_departments=True
    )
    client.force_login(registrar)
    review = client.get(
        reverse("workflows_desk:review", args=["correction", request.pk])
    )
    url = reverse("workflows_desk:correction_document", args=[request.pk, document.pk])
    assert url in review.content.decode()
    download = client.get(url)
    assert b"".join(download.streaming_content) == PDF


def test_a_renamed_binary_is_refused_and_nothing_is_kept(client, me):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(me.user)
    response = client.post(
        reverse("portal:corrections"),
        {
            "field_name": "father_name",
            "requested_value": "Abdul Karim Mia",
            "reason": "See the certificate.",
            "document": SimpleUploadedFile(
                "ssc.pdf", b"MZ\x90\x00binary", "application/pdf"
            ),
        },
    )
    assert response.status_code == 400
    assert not CorrectionRequest.objects.exists()
