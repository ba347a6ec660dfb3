"""Actions on requests: submit, approve, reject, return, resubmit, withdraw.

Each action is one service call in one transaction: lock the request, check
its state and the actor's right (the stage's group and the actor's departments),
apply, write history and an activity entry, and queue the applicant's email
for after the commit. Acting on something already decided is a conflict with
a clear message ("Admission application 40 was approved by Rahima Khatun at
10:42"), never a second side effect: two registrars clicking Approve at the
same moment create exactly one student.
"""

from __future__ import annotations

import os

from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from records import services as record_services
from records.activity import activity_record, record_created
from records.errors import BusinessRuleError
from records.models import ActivityAction, PersonalDetails, User
from records.permissions import user_scope
from records.roles import AccountStatus, AdmissionStatus, Role
from records.validators import ALLOWED_UPLOAD_TYPES, sniff_upload

from . import tasks
from .models import (
    LIVE_APPLICATION,
    AdmissionApplication,
    AdmissionDocument,
    CorrectionDocument,
    CorrectionRequest,
    RequestKind,
    RequestStatus,
    TeacherSignupRequest,
    WorkflowAction,
    WorkflowStage,
)

ALREADY_DECIDED = _("%(request)s was %(status)s by %(user)s at %(time)s.")
NOT_YOUR_STAGE = _(
    "%(request)s is waiting for %(stage)s (%(group)s); you are not in that group."
)
NOT_YOUR_DEPARTMENT = _("%(request)s is for %(department)s, which you do not manage.")
NOT_PENDING = _("%(request)s is %(status)s; it cannot be %(action)s now.")
NOTE_REQUIRED = _("Write a note saying why.")
NO_WORKFLOW = _("There is no approval workflow for %(kind)s; ask the institute head.")
NOT_APPLICANT = _("Only the applicant may withdraw or resubmit %(request)s.")
DUPLICATE_BIRTH = _(
    "An application with birth registration number %(number)s for session "
    "%(session)s already exists (%(application)s)."
)
DUPLICATE_MOBILE = _(
    "An application with mobile %(number)s for session %(session)s already "
    "exists (%(application)s)."
)

MODELS = {
    RequestKind.ADMISSION: AdmissionApplication,
    RequestKind.TEACHER_SIGNUP: TeacherSignupRequest,
    RequestKind.CORRECTION: CorrectionRequest,
}


def request_label(request) -> str:
    return f"{capital(request._meta.verbose_name)} {request.pk}"


def capital(text) -> str:
    text = str(text)
    return text[:1].upper() + text[1:]


def department_of(request):
    if isinstance(request, AdmissionApplication):
        return request.desired_department
    if isinstance(request, TeacherSignupRequest):
        return request.department
    return request.student.department


def _person(user) -> str:
    if user is None:
        return gettext("someone")
    return user.get_full_name() or user.get_username()


def _conflict(request) -> BusinessRuleError:
    return BusinessRuleError(
        ALREADY_DECIDED
        % {
            "request": request_label(request),
            "status": request.get_status_display().lower(),
            "user": _person(request.reviewed_by),
            "time": date_format(
                timezone.localtime(request.reviewed_at or timezone.now()), "j M Y H:i"
            ),
        }
    )


def can_act(user, request) -> bool:
    """May this user act on the request's current stage?"""
    try:
        check_can_act(user, request)
    except BusinessRuleError:
        return False
    return True


def check_can_act(user, request) -> None:
    if request.is_decided:
        raise _conflict(request)
    if request.status != RequestStatus.PENDING or request.stage is None:
        raise BusinessRuleError(
            NOT_PENDING
            % {
                "request": request_label(request),
                "status": request.get_status_display().lower(),
                "action": gettext("decided"),
            }
        )
    if not (user.is_authenticated and user.is_active):
        raise BusinessRuleError(NOT_YOUR_STAGE % _stage_params(request))
    if user.is_superuser:
        return
    if not user.groups.filter(pk=request.stage.group_id).exists():
        raise BusinessRuleError(NOT_YOUR_STAGE % _stage_params(request))
    if user.role == Role.REGISTRAR:
        scope = user_scope(user)
        department = department_of(request)
        if not scope.all_departments and department.pk not in scope.managed_departments:
            raise BusinessRuleError(
                NOT_YOUR_DEPARTMENT
                % {"request": request_label(request), "department": department}
            )


def _stage_params(request) -> dict:
    return {
        "request": request_label(request),
        "stage": request.stage.name if request.stage else "—",
        "group": request.stage.group.name if request.stage else "—",
    }


def _locked(request):
    model = type(request)
    return (
        model.objects.select_for_update(of=("self",))
        .select_related("stage__group")
        .get(pk=request.pk)
    )


def _log(request, action: str, *, actor, note: str = "", stage=None) -> None:
    WorkflowAction.objects.create(
        kind=request.kind,
        request_id=request.pk,
        action=action,
        stage=stage,
        stage_name=stage.name if stage else "",
        actor=actor if actor is not None and actor.pk else None,
        note=note,
    )


def _notify(email: str, subject: str, body: str) -> None:
    """Queue an e-mail to the applicant, in the transaction of the change."""
    if email:
        tasks.send_notification.enqueue(email, subject, body)


def _stamp(request, user, reason: str) -> None:
    request._history_user = user
    request._change_reason = reason


FIRST_STAGE_KEY = "campusdesk:first-stage:%s"
FIRST_STAGE_TIMEOUT = 300


def _first_stage(kind: str) -> WorkflowStage | None:
    """The first stage of the workflow for ``kind`` (None: no workflow).

    Every submission needs it and the head rarely changes it, so it is kept in
    the cache. The institute head may reorder the stages at any moment, and a
    request must start where the workflow starts now: saving or deleting a
    workflow or a stage forgets it at once and again after the change commits
    (``forget_first_stages``). A per-process cache (the development default)
    forgets only in the process that made the change; other processes follow
    within ``FIRST_STAGE_TIMEOUT`` seconds.
    """
    key = FIRST_STAGE_KEY % kind
    cached = cache.get(key)
    if cached is not None:
        return cached[0]
    stage = WorkflowStage.objects.filter(workflow__kind=kind).order_by("order").first()
    cache.set(key, (stage,), FIRST_STAGE_TIMEOUT)
    return stage


def forget_first_stages(**kwargs) -> None:
    """Signal receiver: a workflow or a stage was saved or deleted."""

    def forget():
        cache.delete_many([FIRST_STAGE_KEY % kind for kind in RequestKind.values])

    forget()
    transaction.on_commit(forget)


def _start(request, *, acting_user) -> None:
    stage = _first_stage(request.kind)
    if stage is None:
        raise BusinessRuleError(NO_WORKFLOW % {"kind": RequestKind(request.kind).label})
    request.stage = stage
    request.status = RequestStatus.PENDING


# --- Submitting ----------------------------------------------------------------------


def _next_application_number(session) -> str:
    value = record_services.next_in_sequence(f"application:{session.pk}")
    return f"ADM-{session.start_date.year}-{value:05d}"


def admission_submit(
    *, acting_user: User | None = None, **fields
) -> AdmissionApplication:
    """Property 5: a complete form makes a pending application, numbered.

    The duplicate rules are kept by the database (the application's unique
    constraints): two identical submissions at the same moment make one
    application, and the other is told which application holds the number.
    """
    try:
        return _admission_submit(acting_user=acting_user, **fields)
    except IntegrityError:
        # Rolled back; which application holds the number or the mobile?
        _check_duplicate_application(AdmissionApplication(**fields))
        raise


@transaction.atomic
def _admission_submit(*, acting_user, **fields) -> AdmissionApplication:
    application = AdmissionApplication(**fields)
    application.full_clean(
        exclude=["application_number", "stage", *_loaded_relations(application)],
        validate_constraints=False,  # the duplicate rules: by the INSERT itself
    )
    if _first_stage(application.kind) is None:
        _check_duplicate_application(application)  # reported before NO_WORKFLOW
    _start(application, acting_user=acting_user)
    application.application_number = _next_application_number(application.session)
    if acting_user is not None and acting_user.is_authenticated:
        application.user = acting_user
    _stamp(application, acting_user, "submitted")
    application.save()
    _set_admission_status(application.user, AdmissionStatus.PENDING)
    _log(application, WorkflowAction.Action.SUBMIT, actor=acting_user)
    record_created(application, user=acting_user, description=str(application))
    _notify(
        application.email,
        gettext("Your application %(number)s was received")
        % {"number": application.application_number},
        gettext(
            "We received your admission application %(number)s. We will tell you "
            "when it is decided."
        )
        % {"number": application.application_number},
    )
    return application


def _set_admission_status(user, status: str) -> None:
    """The applicant's account follows their application (seed 000's
    ``admission_status``: pending once submitted, rejected when turned down);
    an account already approved keeps its status."""
    if user is None or not isinstance(user, User):
        return
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.admission_status in (AdmissionStatus.APPROVED, status):
        return
    user.admission_status = status
    user.save(update_fields=["admission_status"])


def _loaded_relations(instance) -> list[str]:
    """Foreign keys given as rows read from the database: ``full_clean`` need
    not query again whether they exist (one query each).

    The database's foreign key constraint still guards the insert; a key given
    as a bare id, or an unsaved object, is validated as usual.
    """
    names = []
    for field in instance._meta.concrete_fields:
        if not (field.many_to_one or field.one_to_one) or not field.is_cached(instance):
            continue
        related = field.get_cached_value(instance)
        if (
            related is not None
            and not related._state.adding
            and related.pk == getattr(instance, field.attname)
        ):
            names.append(field.name)
    return names


def _other_applications(application, **same):
    """The session's live applications (not rejected or withdrawn) but this one."""
    others = AdmissionApplication.objects.filter(
        LIVE_APPLICATION, session=application.session_id, **same
    )
    if application.pk:
        others = others.exclude(pk=application.pk)
    return others


def _check_duplicate_application(application) -> None:
    """One query for both rules; the birth registration number is reported first."""
    number = application.birth_certificate_no
    mobile = application.mobile_student
    same = Q()
    if number:
        same |= Q(birth_certificate_no=number)
    if mobile:
        same |= Q(mobile_student=mobile)
    if not same:
        return
    found = list(
        _other_applications(application)
        .filter(same)
        .values_list("birth_certificate_no", "mobile_student", "application_number")
    )
    birth = [other for other in found if number and other[0] == number]
    by_mobile = [other for other in found if mobile and other[1] == mobile]
    _raise_duplicate(
        application,
        birth=birth[0][2] if birth else None,
        mobile=by_mobile[0][2] if by_mobile else None,
    )


def _raise_duplicate(application, *, birth, mobile) -> None:
    """The duplicate's error; the birth registration number is reported first."""
    number = application.birth_certificate_no
    if birth:
        raise ValidationError(
            {
                "birth_certificate_no": DUPLICATE_BIRTH
                % {
                    "number": number,
                    "session": application.session,
                    "application": birth,
                }
            }
        )
    if mobile:
        raise ValidationError(
            {
                "mobile_student": DUPLICATE_MOBILE
                % {
                    "number": application.mobile_student,
                    "session": application.session,
                    "application": mobile,
                }
            }
        )


def _store_upload(model, uploaded_file, **fields):
    """Check a file by its content and size, then keep it privately with its row."""
    content_type = sniff_upload(uploaded_file, ALLOWED_UPLOAD_TYPES)
    document = model(
        original_name=os.path.basename(str(uploaded_file.name))[:255],
        size=uploaded_file.size,
        content_type=content_type,
        **fields,
    )
    document.full_clean(exclude=["file"])
    uploaded_file.seek(0)
    document.file.save(
        f"upload{ALLOWED_UPLOAD_TYPES[content_type]}", uploaded_file, save=False
    )
    try:
        document.save()
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
    return document


@transaction.atomic
def admission_document_add(
    *, application: AdmissionApplication, kind: str, uploaded_file, acting_user=None
) -> AdmissionDocument:
    """A file for an application: checked by content and size, stored privately.

    Allowed while the application is pending or returned (a missing document
    asked for by the registrar).
    """
    application = _locked(application)
    if application.is_decided:
        raise _conflict(application)
    return _store_upload(
        AdmissionDocument, uploaded_file, application=application, kind=kind
    )


@transaction.atomic
def teacher_signup_submit(*, password: str, **fields) -> TeacherSignupRequest:
    """Seed 000 §3: the password is hashed at once, never stored as typed."""
    signup = TeacherSignupRequest(**fields, password_hash=make_password(password))
    signup.full_clean(exclude=["stage"])
    if User.objects.filter(username__iexact=signup.username).exists():
        raise ValidationError({"username": gettext("This username is taken.")})
    _start(signup, acting_user=None)
    _stamp(signup, None, "submitted")
    signup.save()
    _log(signup, WorkflowAction.Action.SUBMIT, actor=None)
    record_created(signup, description=str(signup))
    return signup


@transaction.atomic
def correction_submit(
    *,
    student,
    field_name: str,
    requested_value: str,
    reason: str,
    acting_user,
    documents=(),
) -> CorrectionRequest:
    """Seed 000 §7: one field, the value it should have, why, and the proof."""
    request = CorrectionRequest(
        student=student,
        field_name=field_name,
        current_value=str(getattr(student, field_name) or ""),
        requested_value=requested_value.strip(),
        reason=reason.strip(),
    )
    request.full_clean(exclude=["stage"])
    _start(request, acting_user=acting_user)
    _stamp(request, acting_user, "submitted")
    request.save()
    for uploaded_file in documents:
        try:
            _store_upload(CorrectionDocument, uploaded_file, request=request)
        except ValidationError as exc:
            raise ValidationError({"documents": exc.messages}) from None
    _log(request, WorkflowAction.Action.SUBMIT, actor=acting_user)
    record_created(request, user=acting_user)
    return request


# --- Deciding ------------------------------------------------------------------------


@transaction.atomic
def request_approve(*, request, acting_user: User, note: str = ""):
    """Approve the current stage: move on, or finish (and apply) on the last one."""
    request = _locked(request)
    check_can_act(acting_user, request)
    stage = request.stage
    following = stage.next_stage()
    _log(
        request,
        WorkflowAction.Action.APPROVE,
        actor=acting_user,
        note=note,
        stage=stage,
    )
    if following is not None:
        request.stage = following
        _stamp(request, acting_user, f"{stage.name} approved")
        request.save(update_fields=["stage"])
        activity_record(
            action=ActivityAction.APPROVE,
            user=acting_user,
            instance=request,
            description=f"{request_label(request)}: {stage.name} approved",
            changes={"stage": {"before": stage.name, "after": following.name}},
            department_id=department_of(request).pk,
        )
        return request
    reason = f"{request.kind.replace('_', ' ')} #{request.pk} approved"
    _apply(request, acting_user=acting_user, reason=reason)
    request.status = RequestStatus.APPROVED
    request.stage = None
    request.reviewed_by = acting_user
    request.reviewed_at = timezone.now()
    request.review_notes = note
    _stamp(request, acting_user, reason)
    request.save()
    activity_record(
        action=ActivityAction.APPROVE,
        user=acting_user,
        instance=request,
        description=f"{request_label(request)} approved",
        changes={"status": {"before": "pending", "after": "approved"}},
        department_id=department_of(request).pk,
    )
    _notify(
        _email_of(request),
        gettext("%(request)s was approved") % {"request": request_label(request)},
        gettext("Your %(request)s was approved.") % {"request": request_label(request)},
    )
    return request


def _decide_with_note(request, *, acting_user, note: str, status: str, action: str):
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": NOTE_REQUIRED})
    request = _locked(request)
    check_can_act(acting_user, request)
    stage = request.stage
    _log(request, action, actor=acting_user, note=note, stage=stage)
    request.status = status
    if status == RequestStatus.REJECTED:
        request.stage = None
        request.reviewed_by = acting_user
        request.reviewed_at = timezone.now()
    request.review_notes = note
    _stamp(
        request,
        acting_user,
        f"{request.kind.replace('_', ' ')} #{request.pk} {action}ed",
    )
    request.save()
    if status == RequestStatus.REJECTED and isinstance(request, AdmissionApplication):
        _set_admission_status(request.user, AdmissionStatus.REJECTED)
    activity_record(
        action=ActivityAction.REJECT
        if status == RequestStatus.REJECTED
        else ActivityAction.UPDATE,
        user=acting_user,
        instance=request,
        description=f"{request_label(request)} {RequestStatus(status).label.lower()}",
        changes={"status": {"before": "pending", "after": status}, "note": note},
        department_id=department_of(request).pk,
    )
    _notify(
        _email_of(request),
        gettext("News about your %(request)s") % {"request": request_label(request)},
        note,
    )
    return request


@transaction.atomic
def request_reject(*, request, acting_user: User, note: str):
    """Final; the note is required and shown to the applicant."""
    return _decide_with_note(
        request,
        acting_user=acting_user,
        note=note,
        status=RequestStatus.REJECTED,
        action=WorkflowAction.Action.REJECT,
    )


@transaction.atomic
def request_return(*, request, acting_user: User, note: str):
    """Back to the applicant for more information; they may resubmit."""
    return _decide_with_note(
        request,
        acting_user=acting_user,
        note=note,
        status=RequestStatus.RETURNED,
        action=WorkflowAction.Action.RETURN,
    )


@transaction.atomic
def request_resubmit(*, request, acting_user=None, **changes):
    """The applicant answers a return: the request starts again at stage one."""
    request = _locked(request)
    if request.status != RequestStatus.RETURNED:
        if request.is_decided:
            raise _conflict(request)
        raise BusinessRuleError(
            NOT_PENDING
            % {
                "request": request_label(request),
                "status": request.get_status_display().lower(),
                "action": gettext("resubmitted"),
            }
        )
    for name, value in changes.items():
        setattr(request, name, value)
    request.full_clean(exclude=["application_number", "stage"])
    _start(request, acting_user=acting_user)
    _stamp(request, acting_user, "resubmitted")
    request.save()
    _log(request, WorkflowAction.Action.RESUBMIT, actor=acting_user)
    return request


@transaction.atomic
def request_withdraw(*, request, acting_user=None):
    request = _locked(request)
    if request.is_decided:
        raise _conflict(request)
    request.status = RequestStatus.WITHDRAWN
    request.stage = None
    request.reviewed_at = timezone.now()
    request.reviewed_by = acting_user if acting_user and acting_user.pk else None
    _stamp(request, acting_user, "withdrawn by the applicant")
    request.save()
    if isinstance(request, AdmissionApplication):
        _set_admission_status(request.user, AdmissionStatus.NOT_STARTED)
    _log(request, WorkflowAction.Action.WITHDRAW, actor=acting_user)
    return request


def _email_of(request) -> str:
    if isinstance(request, CorrectionRequest):
        return request.student.email or (
            request.student.user.email if request.student.user_id else ""
        )
    return request.email


# --- What approval does ----------------------------------------------------------


PERSONAL_FIELDS = [
    f.name for f in PersonalDetails._meta.get_fields() if getattr(f, "concrete", False)
]


def _apply(request, *, acting_user, reason: str) -> None:
    if isinstance(request, AdmissionApplication):
        _apply_admission(request, acting_user=acting_user, reason=reason)
    elif isinstance(request, TeacherSignupRequest):
        _apply_teacher_signup(request, acting_user=acting_user)
    else:
        _apply_correction(request, acting_user=acting_user)


def _apply_admission(application, *, acting_user, reason: str) -> None:
    """Property 7: the student, with every admission field, and the account."""
    fields = {name: getattr(application, name) for name in PERSONAL_FIELDS}
    student = record_services.student_create(
        acting_user=acting_user,
        reason=reason,
        department=application.desired_department,
        shift=application.desired_shift,
        semester=application.semester,
        session=application.session,
        **fields,
    )
    user = application.user
    if user is None:
        user = record_services.user_create(
            username=application.application_number.lower(),
            password=None,
            role=Role.STUDENT,
            email=application.email,
            first_name=application.full_name_english[:150],
            acting_user=acting_user,
        )
        application.user = user
        _invite(user, application)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.admission_status = AdmissionStatus.APPROVED
    user.save(update_fields=["admission_status"])
    student.user = user
    student.save(update_fields=["user"])
    application.student = student
    for document in application.documents.all():
        with document.file.open("rb") as handle:
            record_services.document_upload(
                student=student,
                kind=document.kind,
                uploaded_file=File(handle, name=document.original_name),
                acting_user=acting_user,
            )


def _invite(user, application) -> None:
    """A set-your-password link for an approved applicant who had no account."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if not application.email:
        return
    path = reverse(
        "accounts:set_password",
        args=[urlsafe_base64_encode(force_bytes(user.pk)), tasks.TOKEN],
    )
    link = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path
    tasks.send_invitation.enqueue(
        user.pk,
        application.email,
        gettext("You are admitted: choose your Campusdesk password"),
        gettext(
            "Your application %(number)s was approved. Your username is "
            "%(username)s. Choose your password here: %(link)s"
        )
        % {
            "number": application.application_number,
            "username": user.get_username(),
            "link": link,
        },
    )


def _apply_teacher_signup(signup, *, acting_user) -> None:
    """Property 4: an active teacher account and its Teacher profile."""
    user = record_services.user_create(
        username=signup.username,
        password=None,
        role=Role.TEACHER,
        email=signup.email,
        first_name=signup.full_name_english[:150],
        acting_user=acting_user,
    )
    user.password = signup.password_hash  # hashed at signup; never seen in clear
    user.save(update_fields=["password"])
    record_services.user_set_account_status(
        user=user, account_status=AccountStatus.ACTIVE, acting_user=acting_user
    )
    record_services.teacher_create(
        full_name_english=signup.full_name_english,
        full_name_bangla=signup.full_name_bangla,
        designation=signup.designation,
        department=signup.department,
        email=signup.email,
        mobile_number=signup.mobile_number,
        qualifications=signup.qualifications,
        specializations=signup.specializations,
        user=user,
        acting_user=acting_user,
    )
    signup.user = user


def _apply_correction(request, *, acting_user) -> None:
    field = request.student._meta.get_field(request.field_name)
    try:
        value = field.to_python(request.requested_value)
    except ValidationError as exc:
        raise ValidationError({"requested_value": exc.messages}) from None
    record_services.student_update(
        student=request.student,
        acting_user=acting_user,
        reason=f"correction #{request.pk} applied",
        **{request.field_name: value},
    )
