"""Approvals as data: workflows of stages, and the requests that go through them.

A ``Workflow`` belongs to one kind of request (admission applications,
teacher signups, correction requests) and has ordered ``WorkflowStage``s, each
acted on by one group ("Registrar review" by Registrars, then "Head approval"
by Institute heads). The institute head edits them in the admin; the shipped
defaults come from a migration.

Wagtail's moderation workflows do not fit: there, approve means publish and
reject means "request changes" (see ARCHITECTURE.md).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MinLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from records.models import (
    AcademicSession,
    Department,
    DocumentKind,
    PersonalDetails,
    RecordModel,
    Semester,
    Shift,
    Student,
    record_history,
)
from records.storage import UniqueUploadPath, private_storage
from records.validators import validate_bd_mobile


class RequestKind(models.TextChoices):
    ADMISSION = "admission", _("Admission applications")
    TEACHER_SIGNUP = "teacher_signup", _("Teacher signups")
    CORRECTION = "correction", _("Correction requests")


class Workflow(models.Model):
    kind = models.CharField(
        _("requests"), max_length=30, choices=RequestKind.choices, unique=True
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("approval workflow")
        verbose_name_plural = _("approval workflows")

    def __str__(self) -> str:
        return self.name

    def first_stage(self) -> WorkflowStage | None:
        return self.stages.order_by("order").first()


class WorkflowStage(models.Model):
    workflow = models.ForeignKey(
        Workflow,
        verbose_name=_("workflow"),
        on_delete=models.CASCADE,
        related_name="stages",
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=100)
    group = models.ForeignKey(
        Group,
        verbose_name=_("acted on by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Members of this group approve, reject or return at this stage."),
    )

    class Meta:
        ordering = ["workflow", "order"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "order"], name="one_stage_per_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workflow}: {self.order}. {self.name} ({self.group})"

    def next_stage(self) -> WorkflowStage | None:
        return (
            self.workflow.stages.filter(order__gt=self.order).order_by("order").first()
        )


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETURNED = "returned", _("Returned for more information")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


DECIDED = (RequestStatus.APPROVED, RequestStatus.REJECTED, RequestStatus.WITHDRAWN)
# An application that still counts for the duplicate rules.
LIVE_APPLICATION = ~models.Q(
    status__in=[RequestStatus.REJECTED, RequestStatus.WITHDRAWN]
)


class ApprovalRequest(RecordModel):
    """What every request going through a workflow has: its state and stage."""

    kind: str = ""

    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RequestStatus.choices,
        default=RequestStatus.PENDING,
        db_index=True,
    )
    stage = models.ForeignKey(
        WorkflowStage,
        verbose_name=_("stage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The stage waiting to act; empty once decided."),
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    reviewed_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_notes = models.TextField(_("note"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED


class AdmissionApplication(PersonalDetails, ApprovalRequest):
    """Seed 000's Admission: an applicant's form, then a student on approval."""

    kind = RequestKind.ADMISSION

    application_number = models.CharField(
        _("application number"), max_length=30, unique=True, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant's account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="admission_applications",
    )
    desired_department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="admission_applications",
    )
    desired_shift = models.CharField(_("shift"), max_length=10, choices=Shift.choices)
    semester = models.PositiveSmallIntegerField(
        _("semester"), choices=Semester.choices, default=Semester.FIRST
    )
    session = models.ForeignKey(
        AcademicSession,
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        related_name="admission_applications",
    )
    student = models.OneToOneField(
        Student,
        verbose_name=_("student"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="admission_application",
        help_text=_("Created when the application is approved."),
    )

    history = record_history()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("admission application")
        verbose_name_plural = _("admission applications")
        constraints = [
            # The duplicate rules (``workflows.services``), kept by the database
            # so that two submissions at the same moment (a double click) make
            # one application: a session's live applications (not rejected or
            # withdrawn) differ in birth registration number and in mobile.
            models.UniqueConstraint(
                fields=["session", "birth_certificate_no"],
                condition=LIVE_APPLICATION & ~models.Q(birth_certificate_no=""),
                name="one_live_application_per_birth_number",
            ),
            models.UniqueConstraint(
                fields=["session", "mobile_student"],
                condition=LIVE_APPLICATION & ~models.Q(mobile_student=""),
                name="one_live_application_per_mobile",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "stage"]),
            # The dashboards' admissions by date (INCLUDE on PostgreSQL only).
            models.Index(
                fields=["submitted_at"],
                include=[
                    "status",
                    "session",
                    "desired_department",
                    "desired_shift",
                    "semester",
                ],
                name="admission_submitted_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_number} {self.full_name_english}"


class AdmissionDocument(models.Model):
    """A file sent with an application (photo, certificates), kept private.

    Checked like a student's documents (type by content, size); copied to the
    student's documents when the application is approved.
    """

    application = models.ForeignKey(
        AdmissionApplication,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    kind = models.CharField(_("type"), max_length=30, choices=DocumentKind.choices)
    file = models.FileField(
        _("file"),
        storage=private_storage,
        upload_to=UniqueUploadPath("admissions"),
        max_length=255,
    )
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["application", "kind", "pk"]
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class TeacherSignupRequest(ApprovalRequest):
    """Seed 000 §3: a teacher asks for an account; the password is hashed at once."""

    kind = RequestKind.TEACHER_SIGNUP

    full_name_english = models.CharField(_("full name (English)"), max_length=255)
    full_name_bangla = models.CharField(
        _("full name (Bangla)"), max_length=255, blank=True
    )
    email = models.EmailField(_("email"), unique=True)
    mobile_number = models.CharField(
        _("mobile number"), max_length=11, validators=[validate_bd_mobile]
    )
    designation = models.CharField(_("designation"), max_length=100)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="teacher_signups",
    )
    qualifications = models.TextField(_("qualifications"), blank=True)
    specializations = models.TextField(_("specializations"), blank=True)
    username = models.CharField(
        _("username"), max_length=150, unique=True, validators=[MinLengthValidator(3)]
    )
    password_hash = models.CharField(_("password (hashed)"), max_length=255)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teacher_signup",
    )

    history = record_history(excluded_fields=["password_hash"])

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("teacher signup request")
        verbose_name_plural = _("teacher signup requests")

    def __str__(self) -> str:
        return f"{self.full_name_english} <{self.email}>"


class CorrectableField(models.TextChoices):
    """The fields a student may ask to correct (seed 000 §7)."""

    FULL_NAME_ENGLISH = "full_name_english", _("Full name (English)")
    FULL_NAME_BANGLA = "full_name_bangla", _("Full name (Bangla)")
    FATHER_NAME = "father_name", _("Father's name")
    MOTHER_NAME = "mother_name", _("Mother's name")
    DATE_OF_BIRTH = "date_of_birth", _("Date of birth")
    BIRTH_CERTIFICATE_NO = "birth_certificate_no", _("Birth registration number")
    MOBILE_STUDENT = "mobile_student", _("Student's mobile")
    GUARDIAN_MOBILE = "guardian_mobile", _("Guardian's mobile")
    EMAIL = "email", _("Email")
    PRESENT_VILLAGE = "present_village", _("Present address: village / road")
    PERMANENT_VILLAGE = "permanent_village", _("Permanent address: village / road")


class CorrectionRequest(ApprovalRequest):
    kind = RequestKind.CORRECTION

    student = models.ForeignKey(
        Student,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="correction_requests",
    )
    field_name = models.CharField(
        _("field"), max_length=50, choices=CorrectableField.choices
    )
    current_value = models.TextField(_("current value"), blank=True)
    requested_value = models.TextField(_("requested value"))
    reason = models.TextField(_("reason"))

    history = record_history()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_field_name_display()} ({self.student})"


class CorrectionDocument(models.Model):
    """A supporting document sent with a correction request (a certificate scan)."""

    request = models.ForeignKey(
        CorrectionRequest,
        verbose_name=_("correction request"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    kind = models.CharField(
        _("type"), max_length=30, choices=DocumentKind.choices, default="other"
    )
    file = models.FileField(
        _("file"),
        storage=private_storage,
        upload_to=UniqueUploadPath("corrections"),
        max_length=255,
    )
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["request", "pk"]
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")

    def __str__(self) -> str:
        return self.original_name


class WorkflowAction(models.Model):
    """One action on one request: the trail the review screen shows."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        RETURN = "return", _("Returned to the applicant")
        RESUBMIT = "resubmit", _("Resubmitted")
        WITHDRAW = "withdraw", _("Withdrawn")

    kind = models.CharField(_("requests"), max_length=30, choices=RequestKind.choices)
    request_id = models.PositiveBigIntegerField(_("request"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    stage = models.ForeignKey(
        WorkflowStage,
        verbose_name=_("stage"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    stage_name = models.CharField(_("stage name"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("workflow action")
        verbose_name_plural = _("workflow actions")
        indexes = [models.Index(fields=["kind", "request_id"])]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} #{self.request_id}: {self.get_action_display()}"
        )
