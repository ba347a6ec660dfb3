"""The institute's records: people and the structure they belong to."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .roles import AccountStatus, AdmissionStatus, Role, initial_account_status
from .validators import validate_bd_mobile


class CampusdeskUserManager(UserManager):
    def _create_user(self, username, email, password, **extra_fields):
        extra_fields.setdefault("role", Role.STUDENT)
        extra_fields.setdefault(
            "account_status", initial_account_status(extra_fields["role"])
        )
        return super()._create_user(username, email, password, **extra_fields)

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.INSTITUTE_HEAD)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """An account: who signs in, with which role, and whether they may."""

    role = models.CharField(
        _("role"),
        max_length=20,
        choices=Role.choices,
        default=Role.STUDENT,
        db_index=True,
    )
    account_status = models.CharField(
        _("account status"),
        max_length=20,
        choices=AccountStatus.choices,
        default=AccountStatus.ACTIVE,
        help_text=_("Pending and suspended accounts cannot sign in."),
    )
    admission_status = models.CharField(
        _("admission status"),
        max_length=20,
        choices=AdmissionStatus.choices,
        default=AdmissionStatus.NOT_STARTED,
    )

    objects = CampusdeskUserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_staff_role(self) -> bool:
        from .roles import STAFF_ROLES

        return self.role in STAFF_ROLES

    @property
    def profile(self):
        """The person this account belongs to (a Teacher or Student), if any."""
        for accessor in ("teacher_profile", "student_profile"):
            try:
                return getattr(self, accessor)
            except (AttributeError, models.ObjectDoesNotExist):
                continue
        return None


class Shift(models.TextChoices):
    MORNING = "morning", _("Morning")
    DAY = "day", _("Day")


SEMESTER_CHOICES = [(n, _("Semester %(n)d") % {"n": n}) for n in range(1, 9)]


class Department(models.Model):
    code = models.CharField(
        _("code"),
        max_length=10,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z][A-Z0-9]{1,9}$",
                _(
                    "Use 2 to 10 capital letters or digits, starting with a letter, e.g. CST."
                ),
            )
        ],
        help_text=_("Short code used in roll and registration numbers, e.g. CST."),
    )
    name = models.CharField(_("name"), max_length=150, unique=True)
    name_bangla = models.CharField(_("name (Bangla)"), max_length=150, blank=True)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    head = models.ForeignKey(
        "records.Teacher",
        verbose_name=_("head teacher"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class AcademicSession(models.Model):
    name = models.CharField(
        _("name"),
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(r"^\d{4}-\d{2}$", _("Write the session as 2024-25."))
        ],
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    is_current = models.BooleanField(_("current session"), default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("academic session")
        verbose_name_plural = _("academic sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")),
                name="session_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            ),
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="one_current_session",
                violation_error_message=_("Only one session can be the current one."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TeacherStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_LEAVE = "on_leave", _("On leave")
    RETIRED = "retired", _("Retired")
    RESIGNED = "resigned", _("Resigned")


class Teacher(models.Model):
    user = models.OneToOneField(
        User,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teacher_profile",
    )
    full_name_english = models.CharField(_("full name (English)"), max_length=255)
    full_name_bangla = models.CharField(
        _("full name (Bangla)"), max_length=255, blank=True
    )
    designation = models.CharField(_("designation"), max_length=100)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="teachers",
    )
    qualifications = models.TextField(
        _("qualifications"), blank=True, help_text=_("One qualification per line.")
    )
    specializations = models.TextField(
        _("specializations"), blank=True, help_text=_("One specialization per line.")
    )
    mobile_number = models.CharField(
        _("mobile number"), max_length=11, blank=True, validators=[validate_bd_mobile]
    )
    email = models.EmailField(_("email"), unique=True)
    joining_date = models.DateField(_("joining date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=TeacherStatus.choices,
        default=TeacherStatus.ACTIVE,
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["full_name_english"]
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")

    def __str__(self) -> str:
        return self.full_name_english
