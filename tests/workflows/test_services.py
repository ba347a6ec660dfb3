"""Approvals as one service call each: exactly once, by the right people, traced."""

import threading
from datetime import date

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from records import services as record_services
from records.errors import BusinessRuleError
from records.models import ActivityLog, Student, Teacher, User
from records.roles import AccountStatus, AdmissionStatus, Role
from tests.factories import AcademicSessionFactory, DepartmentFactory, StudentFactory
from workflows import services
from workflows.models import (
    AdmissionApplication,
    RequestStatus,
    Workflow,
    WorkflowAction,
    WorkflowStage,
)


@pytest.fixture
def default_workflows(db):
    """The migration's workflows (a transactional test empties the tables)."""
    from django.apps import apps as registry

    from workflows.migrations import _defaults

    _defaults.create(registry, connection.alias)
    return Workflow.objects.all()


@pytest.fixture
def cst(db):
    return DepartmentFactory(code="CST", name="Computer Science and Technology")


@pytest.fixture
def session(db):
    return AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )


def application_fields(cst, session, **over):
    fields = {
        "full_name_english": "Nusrat Jahan",
        "full_name_bangla": "নুসরাত জাহান",
        "father_name": "Abdul Karim",
        "mother_name": "Rokeya Begum",
        "date_of_birth": date(2008, 3, 14),
        "birth_certificate_no": "20081234567890123",
        "gender": "female",
        "guardian_mobile": "01712345678",
        "mobile_student": "01812345678",
        "email": "nusrat@example.com",
        "present_village": "Baliadi",
        "present_upazila": "Kaliakair",
        "present_district": "Gazipur",
        "present_division": "dhaka",
        "previous_exam": "ssc",
        "previous_exam_gpa": "4.75",
        "desired_department": cst,
        "desired_shift": "morning",
        "session": session,
    }
    fields.update(over)
    return fields


@pytest.fixture
def head(make_user):
    return make_user(
        Role.INSTITUTE_HEAD, username="head1", first_name="Rahima", last_name="Khatun"
    )


def submitted(cst, session, **over):
    return services.admission_submit(**application_fields(cst, session, **over))


def test_submitting_makes_a_numbered_pending_application(
    default_workflows, cst, session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(cst, session)
    assert application.status == RequestStatus.PENDING
    assert application.application_number == "ADM-2026-00001"
    assert application.stage.name == "Registrar review"
    assert mail.outbox[0].to == ["nusrat@example.com"]
    assert "ADM-2026-00001" in mail.outbox[0].subject
    assert WorkflowAction.objects.get().action == "submit"


def test_duplicates_in_one_session_are_caught(default_workflows, cst, session):
    first = submitted(cst, session)
    with pytest.raises(ValidationError) as caught:
        submitted(cst, session, mobile_student="01912345678")
    assert first.application_number in str(caught.value)
    with pytest.raises(ValidationError, match="mobile 01812345678"):
        submitted(cst, session, birth_certificate_no="20081234567890999")


def test_two_stages_then_a_student_with_every_field(
    default_workflows, cst, session, registrar, head
):
    application = submitted(cst, session)
    with pytest.raises(BusinessRuleError, match="not in that group"):
        services.request_approve(request=application, acting_user=head)

    application = services.request_approve(request=application, acting_user=registrar)
    assert application.stage.name == "Head approval"
    assert not Student.objects.exists()
    with pytest.raises(BusinessRuleError, match="not in that group"):
        services.request_approve(request=application, acting_user=registrar)

    application = services.request_approve(request=application, acting_user=head)
    assert application.status == RequestStatus.APPROVED
    student = Student.objects.get()
    assert application.student == student
    for name in services.PERSONAL_FIELDS:
        assert getattr(student, name) == getattr(application, name), name
    assert student.department == cst and student.shift == "morning"
    assert student.current_roll_number == "CST-26M-001"
    assert student.user.admission_status == AdmissionStatus.APPROVED
    assert student.history.first().history_change_reason == (
        f"admission #{application.pk} approved"
    )
    assert ActivityLog.objects.filter(action_type="approve").count() == 2

    # Acting again on a decided application: a conflict, no second student.
    with pytest.raises(BusinessRuleError) as caught:
        services.request_approve(request=application, acting_user=head)
    assert str(caught.value).startswith(
        f"Admission application {application.pk} was approved by Rahima Khatun at"
    )
    assert Student.objects.count() == 1


def test_reject_needs_a_note_and_is_final(default_workflows, cst, session, registrar):
    application = submitted(cst, session)
    with pytest.raises(ValidationError):
        services.request_reject(request=application, acting_user=registrar, note=" ")
    application = services.request_reject(
        request=application, acting_user=registrar, note="GPA below the minimum"
    )
    assert application.status == RequestStatus.REJECTED
    assert application.review_notes == "GPA below the minimum"
    assert application.reviewed_by == registrar
    with pytest.raises(BusinessRuleError, match="was rejected by"):
        services.request_approve(request=application, acting_user=registrar)
    assert ActivityLog.objects.filter(action_type="reject").count() == 1


@pytest.mark.parametrize(
    ("decide", "expected"),
    [
        ("reject", AdmissionStatus.REJECTED),
        ("withdraw", AdmissionStatus.NOT_STARTED),
        ("approve", AdmissionStatus.APPROVED),
    ],
)
def test_the_applicants_account_follows_the_application(
    default_workflows, cst, session, registrar, head, make_user, decide, expected
):
    """Seed 000's admission_status: pending once submitted, then the decision."""
    applicant = make_user(Role.STUDENT, username="applicant1")
    assert applicant.admission_status == AdmissionStatus.NOT_STARTED
    application = services.admission_submit(
        acting_user=applicant, **application_fields(cst, session)
    )
    applicant.refresh_from_db()
    assert application.user == applicant
    assert applicant.admission_status == AdmissionStatus.PENDING
    if decide == "reject":
        services.request_reject(request=application, acting_user=registrar, note="No")
    elif decide == "withdraw":
        services.request_withdraw(request=application, acting_user=applicant)
    else:
        application = services.request_approve(
            request=application, acting_user=registrar
        )
        services.request_approve(request=application, acting_user=head)
    applicant.refresh_from_db()
    assert applicant.admission_status == expected


def test_an_approved_account_keeps_its_status_when_another_application_is_rejected(
    default_workflows, cst, session, registrar, make_user
):
    applicant = make_user(Role.STUDENT, username="applicant2")
    User.objects.filter(pk=applicant.pk).update(
        admission_status=AdmissionStatus.APPROVED
    )
    application = services.admission_submit(
        acting_user=applicant, **application_fields(cst, session)
    )
    services.request_reject(request=application, acting_user=registrar, note="Twice")
    applicant.refresh_from_db()
    assert applicant.admission_status == AdmissionStatus.APPROVED


def test_return_then_resubmit_starts_again(default_workflows, cst, session, registrar):
    application = submitted(cst, session)
    application = services.request_return(
        request=application, acting_user=registrar, note="Upload your SSC transcript"
    )
    assert application.status == RequestStatus.RETURNED
    application = services.request_resubmit(request=application, father_name="Abdul K.")
    assert application.status == RequestStatus.PENDING
    assert application.stage.order == 1
    assert application.father_name == "Abdul K."


def test_a_registrar_of_another_department_may_not_act(
    default_workflows, cst, session, make_user
):
    other = DepartmentFactory(code="EEE", name="Electrical")
    user = record_services.registrar_set_departments(
        user=make_user(Role.REGISTRAR), departments=[other], all_departments=False
    )
    application = submitted(cst, session)
    with pytest.raises(BusinessRuleError, match="which you do not manage"):
        services.request_approve(request=application, acting_user=user)


def test_the_institute_head_can_add_a_stage_without_code(
    default_workflows, cst, session, registrar, head
):
    from django.contrib.auth.models import Group

    workflow = Workflow.objects.get(kind="correction")
    WorkflowStage.objects.create(
        workflow=workflow,
        order=2,
        name="Head approval",
        group=Group.objects.get(name="Institute heads"),
    )
    student = StudentFactory(department=cst, session=session)
    request = services.correction_submit(
        student=student,
        field_name="father_name",
        requested_value="Abdul Karim Mia",
        reason="Spelling in the SSC certificate",
        acting_user=None,
    )
    request = services.request_approve(request=request, acting_user=registrar)
    student.refresh_from_db()
    assert student.father_name != "Abdul Karim Mia"
    services.request_approve(request=request, acting_user=head)
    student.refresh_from_db()
    assert student.father_name == "Abdul Karim Mia"
    assert student.history.first().history_change_reason == (
        f"correction #{request.pk} applied"
    )


def test_teacher_signup_keeps_only_a_hash_and_approval_activates(
    default_workflows, cst, head, password
):
    signup = services.teacher_signup_submit(
        password="a-long-secret-123",
        full_name_english="Nasrin Akter",
        email="nasrin@example.edu.bd",
        mobile_number="01712345678",
        designation="Instructor",
        department=cst,
        username="nasrin",
    )
    assert "a-long-secret-123" not in signup.password_hash
    assert check_password("a-long-secret-123", signup.password_hash)
    services.request_approve(request=signup, acting_user=head)
    user = User.objects.get(username="nasrin")
    assert user.role == Role.TEACHER
    assert user.account_status == AccountStatus.ACTIVE
    assert user.check_password("a-long-secret-123")
    assert Teacher.objects.get(user=user).department == cst


@pytest.mark.django_db(transaction=True)
def test_two_registrars_approving_at_once_create_one_student(on_postgres, make_user):
    if not on_postgres:
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race")
    from django.apps import apps as registry

    from workflows.migrations import _defaults

    _defaults.create(registry, connection.alias)
    Workflow.objects.get(kind="admission").stages.filter(order=2).delete()
    cst = DepartmentFactory(code="CST", name="Computer Science and Technology")
    session = AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )
    application = submitted(cst, session)
    registrars = []
    for n in range(2):
        user = make_user(Role.REGISTRAR, username=f"registrar{n}")
        registrars.append(
            record_services.registrar_set_departments(
                user=user, departments=[], all_departments=True
            )
        )
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(user):
        try:
            barrier.wait(timeout=30)
            services.request_approve(request=application, acting_user=user)
            outcomes.append("approved")
        except BusinessRuleError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in registrars]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("approved") == 1
    (refusal,) = (o for o in outcomes if o != "approved")
    assert f"Admission application {application.pk} was approved by" in refusal
    assert Student.objects.count() == 1
    assert AdmissionApplication.objects.get().status == RequestStatus.APPROVED


def test_documents_sent_with_the_application_become_the_students(
    default_workflows, cst, session, registrar, head
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from records.models import Document

    application = submitted(cst, session)
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    services.admission_document_add(
        application=application,
        kind="ssc_certificate",
        uploaded_file=SimpleUploadedFile("ssc.pdf", pdf, "application/pdf"),
    )
    with pytest.raises(ValidationError):
        services.admission_document_add(
            application=application,
            kind="photo",
            uploaded_file=SimpleUploadedFile("photo.png", b"MZ\x90\x00 not a png"),
        )
    services.request_approve(request=application, acting_user=registrar)
    services.request_approve(request=application, acting_user=head)
    document = Document.objects.get()
    assert document.student == Student.objects.get()
    assert document.kind == "ssc_certificate" and document.original_name == "ssc.pdf"
    with document.file.open("rb") as handle:
        assert handle.read() == pdf


def test_an_applicant_without_an_account_is_invited_to_choose_a_password(
    default_workflows,
    cst,
    session,
    registrar,
    head,
    client,
    django_capture_on_commit_callbacks,
):
    import re

    application = submitted(cst, session)
    services.request_approve(request=application, acting_user=registrar)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.request_approve(request=application, acting_user=head)
    invitation = next(m for m in mail.outbox if "choose your" in m.subject)
    assert invitation.to == ["nusrat@example.com"]
    link = re.search(r"https?://\S+", invitation.body).group(0)
    path = link.split("testserver", 1)[-1]
    form = client.get(path, follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Bangla-1234-Secure", "new_password2": "Bangla-1234-Secure"},
    )
    assert response.status_code == 302
    user = User.objects.get(pk=Student.objects.get().user_id)
    assert user.check_password("Bangla-1234-Secure")


def test_a_new_first_stage_applies_to_the_next_submission(
    default_workflows, cst, session, head
):
    """The first stage is kept in the cache, and forgotten when stages change."""
    from django.contrib.auth.models import Group

    first = services.admission_submit(**application_fields(cst, session))
    assert first.stage.name == "Registrar review"

    workflow = Workflow.objects.get(kind="admission")
    for stage in workflow.stages.order_by("-order"):
        stage.order += 1
        stage.save()
    WorkflowStage.objects.create(
        workflow=workflow,
        order=1,
        name="Document check",
        group=Group.objects.get(name="Registrars"),
    )
    second = services.admission_submit(
        **application_fields(
            cst,
            session,
            birth_certificate_no="20081234567890999",
            mobile_student="01812345999",
        )
    )
    assert second.stage.name == "Document check"

    AdmissionApplication.objects.all().delete()  # their stages are protected
    workflow.delete()
    with pytest.raises(BusinessRuleError, match="no approval workflow"):
        services.admission_submit(
            **application_fields(
                cst,
                session,
                birth_certificate_no="20081234567890888",
                mobile_student="01812345888",
            )
        )


@pytest.mark.django_db(transaction=True)
def test_a_double_submission_makes_one_application(on_postgres):
    """The second of two identical submissions made while the first is still
    being saved is refused as a duplicate (the database keeps the rule)."""
    if not on_postgres:
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race")
    import time

    from django.apps import apps as registry
    from django.db import transaction

    from workflows.migrations import _defaults

    _defaults.create(registry, connection.alias)
    cst = DepartmentFactory(code="CST", name="Computer Science and Technology")
    session = AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )
    first_saved = threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                services.admission_submit(**application_fields(cst, session))
                first_saved.set()
                time.sleep(1)  # the second submission arrives meanwhile
            outcomes["first"] = "submitted"
        finally:
            first_saved.set()
            connection.close()

    def second():
        try:
            first_saved.wait(timeout=30)
            services.admission_submit(**application_fields(cst, session))
            outcomes["second"] = "submitted"
        except ValidationError as error:
            outcomes["second"] = " ".join(error.messages)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    (application,) = AdmissionApplication.objects.all()
    assert outcomes["first"] == "submitted"
    assert application.application_number in outcomes["second"]
    assert WorkflowAction.objects.count() == 1
    assert ActivityLog.objects.filter(entity_type="admissionapplication").count() == 1
