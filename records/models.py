"""The institute's records: people and the structure they belong to."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.manager import HistoryDescriptor
from simple_history.models import HistoricalRecords

from .roles import AccountStatus, AdmissionStatus, Role, initial_account_status
from .storage import UniqueUploadPath, private_storage
from .validators import (
    validate_bd_mobile,
    validate_birth_certificate,
    validate_gpa,
    validate_nid,
    validate_not_future,
    validate_passing_year,
    validate_photo_upload,
)

NUL_MESSAGE = _("Null characters are not allowed.")


class RecordModel(models.Model):
    """Base of the institute's records: text with NUL bytes is refused per field.

    PostgreSQL cannot store NUL in text; without this a pasted value would be a
    server error instead of a field error.
    """

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        errors = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if exclude and field.name in exclude:
                continue
            value = getattr(self, field.attname, None)
            if isinstance(value, str) and "\x00" in value:
                errors.setdefault(field.name, []).append(
                    ValidationError(NUL_MESSAGE, code="null_characters_not_allowed")
                )
        if errors:
            raise ValidationError(errors)


class HistoryContext(models.Model):
    """Extra columns of every historical record: where the change came from.

    ``history_change_reason`` holds the source ("admin edit", "import #12
    (students.xlsx)", "reverted to version of ..."); these add the IP address
    and the batch a bulk write belonged to.
    """

    history_ip_address = models.GenericIPAddressField(
        _("IP address"), null=True, blank=True
    )
    history_batch = models.CharField(
        _("batch"), max_length=100, blank=True, db_index=True
    )

    class Meta:
        abstract = True


class RecordHistory(HistoricalRecords):
    """simple-history's tracking, with history tables indexed for how they are read.

    History rows are written with every change and read by record (``id``),
    by version (``history_id``), by time, by batch (``history_batch``) and by
    user. The record's own indexes (its foreign keys, unique and indexed
    fields) would only make every write dearer, so the copied fields carry
    none but the record's id.
    """

    def copy_fields(self, model):
        fields = super().copy_fields(model)
        for name, field in fields.items():
            if name != model._meta.pk.name:
                field.db_index = False
        return fields

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        descriptor = sender.__dict__.get(self.manager_name)
        if type(descriptor) is HistoryDescriptor:
            shared = _SharedManagerClassDescriptor(
                descriptor.model,
                manager=descriptor.manager_class,
                queryset=descriptor.queryset_class,
            )
            setattr(sender, self.manager_name, shared)


class _SharedManagerClassDescriptor(HistoryDescriptor):
    """``record.history``, with its manager class made once.

    simple-history's descriptor builds a new manager class (``from_queryset``
    creates a class) on every access, and every history row written reads it.
    """

    @cached_property
    def _manager_class(self):
        return self.manager_class.from_queryset(self.queryset_class)

    def __get__(self, instance, owner):
        return self._manager_class(self.model, instance)


def record_history(**kwargs) -> HistoricalRecords:
    return RecordHistory(
        bases=[HistoryContext],
        history_change_reason_field=models.TextField(null=True),
        **kwargs,
    )


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


class Semester(models.IntegerChoices):
    FIRST = 1, _("1st semester")
    SECOND = 2, _("2nd semester")
    THIRD = 3, _("3rd semester")
    FOURTH = 4, _("4th semester")
    FIFTH = 5, _("5th semester")
    SIXTH = 6, _("6th semester")
    SEVENTH = 7, _("7th semester")
    EIGHTH = 8, _("8th semester")


SEMESTERS = range(1, 9)


class Department(RecordModel):
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

    history = record_history()

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        permissions = [
            ("manage_department", _("Can manage the records of this department")),
            ("manage_all_departments", _("Can manage the records of every department")),
        ]

    def __str__(self) -> str:
        return self.name


class AcademicSession(RecordModel):
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

    history = record_history()

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


class Teacher(RecordModel):
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

    history = record_history()

    class Meta:
        ordering = ["full_name_english"]
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")

    def __str__(self) -> str:
        return self.full_name_english


class Subject(RecordModel):
    """A course a department teaches in one semester (seed 003's subjects)."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z0-9][A-Z0-9-]{1,19}$",
                _("Use capital letters, digits and dashes, e.g. 66631 or CST-301."),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=255)
    name_bangla = models.CharField(_("name (Bangla)"), max_length=255, blank=True)
    credits = models.DecimalField(
        _("credits"),
        max_digits=3,
        decimal_places=1,
        default=Decimal("3.0"),
        validators=[
            MinValueValidator(Decimal("0.5")),
            MaxValueValidator(Decimal("10")),
        ],
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="subjects",
    )
    semester = models.PositiveSmallIntegerField(_("semester"), choices=Semester.choices)
    is_active = models.BooleanField(_("active"), default=True)

    history = record_history()

    class Meta:
        ordering = ["department__code", "semester", "code"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        indexes = [models.Index(fields=["department", "semester"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StudentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISCONTINUED = "discontinued", _("Discontinued")
    GRADUATED = "graduated", _("Graduated")
    ALUMNI = "alumni", _("Alumni")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")


class Religion(models.TextChoices):
    ISLAM = "islam", _("Islam")
    HINDUISM = "hinduism", _("Hinduism")
    BUDDHISM = "buddhism", _("Buddhism")
    CHRISTIANITY = "christianity", _("Christianity")
    OTHER = "other", _("Other")


class BloodGroup(models.TextChoices):
    A_POS = "A+", "A+"
    A_NEG = "A-", "A-"
    B_POS = "B+", "B+"
    B_NEG = "B-", "B-"
    AB_POS = "AB+", "AB+"
    AB_NEG = "AB-", "AB-"
    O_POS = "O+", "O+"
    O_NEG = "O-", "O-"


class Division(models.TextChoices):
    BARISHAL = "barishal", _("Barishal")
    CHATTOGRAM = "chattogram", _("Chattogram")
    DHAKA = "dhaka", _("Dhaka")
    KHULNA = "khulna", _("Khulna")
    MYMENSINGH = "mymensingh", _("Mymensingh")
    RAJSHAHI = "rajshahi", _("Rajshahi")
    RANGPUR = "rangpur", _("Rangpur")
    SYLHET = "sylhet", _("Sylhet")


class PreviousExam(models.TextChoices):
    SSC = "ssc", _("SSC")
    SSC_VOCATIONAL = "ssc_vocational", _("SSC (Vocational)")
    DAKHIL = "dakhil", _("Dakhil")
    DAKHIL_VOCATIONAL = "dakhil_vocational", _("Dakhil (Vocational)")
    O_LEVEL = "o_level", _("O Level")
    EQUIVALENT = "equivalent", _("Equivalent")


class EducationBoard(models.TextChoices):
    BARISHAL = "barishal", _("Barishal")
    CHATTOGRAM = "chattogram", _("Chattogram")
    CUMILLA = "cumilla", _("Cumilla")
    DHAKA = "dhaka", _("Dhaka")
    DINAJPUR = "dinajpur", _("Dinajpur")
    JASHORE = "jashore", _("Jashore")
    MYMENSINGH = "mymensingh", _("Mymensingh")
    RAJSHAHI = "rajshahi", _("Rajshahi")
    SYLHET = "sylhet", _("Sylhet")
    MADRASAH = "madrasah", _("Madrasah")
    TECHNICAL = "technical", _("Technical")
    OTHER = "other", _("Other")


class ExamGroup(models.TextChoices):
    SCIENCE = "science", _("Science")
    HUMANITIES = "humanities", _("Humanities")
    BUSINESS = "business", _("Business Studies")
    VOCATIONAL = "vocational", _("Vocational")
    GENERAL = "general", _("General")


ADDRESS_PARTS = ("village", "post_office", "upazila", "district", "division")


class PersonalDetails(RecordModel):
    """The personal, contact and education fields of seed 000's Admission.

    Shared by Student and (in the workflows issue) the admission application,
    so an approved application copies field by field.
    """

    full_name_english = models.CharField(_("full name (English)"), max_length=255)
    full_name_bangla = models.CharField(_("full name (Bangla)"), max_length=255)
    father_name = models.CharField(_("father's name"), max_length=255)
    father_nid = models.CharField(
        _("father's NID"), max_length=17, blank=True, validators=[validate_nid]
    )
    mother_name = models.CharField(_("mother's name"), max_length=255)
    mother_nid = models.CharField(
        _("mother's NID"), max_length=17, blank=True, validators=[validate_nid]
    )
    date_of_birth = models.DateField(
        _("date of birth"), validators=[validate_not_future]
    )
    birth_certificate_no = models.CharField(
        _("birth registration number"),
        max_length=17,
        blank=True,
        validators=[validate_birth_certificate],
    )
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    religion = models.CharField(
        _("religion"), max_length=20, choices=Religion.choices, blank=True
    )
    blood_group = models.CharField(
        _("blood group"), max_length=3, choices=BloodGroup.choices, blank=True
    )

    mobile_student = models.CharField(
        _("student's mobile"),
        max_length=11,
        blank=True,
        validators=[validate_bd_mobile],
    )
    guardian_mobile = models.CharField(
        _("guardian's mobile"), max_length=11, validators=[validate_bd_mobile]
    )
    email = models.EmailField(_("email"), blank=True)
    emergency_contact = models.CharField(
        _("emergency contact"),
        max_length=255,
        blank=True,
        help_text=_("Name, relation and phone number."),
    )
    present_village = models.CharField(
        _("present address: village / road"), max_length=255, blank=True
    )
    present_post_office = models.CharField(
        _("present address: post office"), max_length=100, blank=True
    )
    present_upazila = models.CharField(
        _("present address: upazila"), max_length=100, blank=True
    )
    present_district = models.CharField(
        _("present address: district"), max_length=100, blank=True
    )
    present_division = models.CharField(
        _("present address: division"),
        max_length=20,
        choices=Division.choices,
        blank=True,
    )
    permanent_village = models.CharField(
        _("permanent address: village / road"), max_length=255, blank=True
    )
    permanent_post_office = models.CharField(
        _("permanent address: post office"), max_length=100, blank=True
    )
    permanent_upazila = models.CharField(
        _("permanent address: upazila"), max_length=100, blank=True
    )
    permanent_district = models.CharField(
        _("permanent address: district"), max_length=100, blank=True
    )
    permanent_division = models.CharField(
        _("permanent address: division"),
        max_length=20,
        choices=Division.choices,
        blank=True,
    )

    previous_exam = models.CharField(
        _("previous exam"),
        max_length=20,
        choices=PreviousExam.choices,
        default=PreviousExam.SSC,
    )
    previous_exam_board = models.CharField(
        _("board"), max_length=20, choices=EducationBoard.choices, blank=True
    )
    previous_exam_group = models.CharField(
        _("group"), max_length=20, choices=ExamGroup.choices, blank=True
    )
    previous_exam_roll = models.CharField(_("exam roll"), max_length=20, blank=True)
    previous_exam_registration = models.CharField(
        _("exam registration number"), max_length=20, blank=True
    )
    previous_exam_passing_year = models.PositiveSmallIntegerField(
        _("passing year"), null=True, blank=True, validators=[validate_passing_year]
    )
    previous_exam_gpa = models.DecimalField(
        _("GPA"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[validate_gpa],
    )
    previous_institution = models.CharField(
        _("institution"), max_length=255, blank=True
    )

    class Meta:
        abstract = True

    def address(self, which: str) -> dict[str, str]:
        """The address as seed 000's JSON shape (village, postOffice, ...)."""
        keys = ("village", "postOffice", "upazila", "district", "division")
        return {
            key: getattr(self, f"{which}_{part}")
            for key, part in zip(keys, ADDRESS_PARTS, strict=True)
        }

    def address_display(self, which: str) -> str:
        parts = [getattr(self, f"{which}_{part}") for part in ADDRESS_PARTS[:-1]]
        division = getattr(self, f"get_{which}_division_display")()
        return ", ".join(p for p in [*parts, division] if p)


class StudentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=StudentStatus.ACTIVE)

    def discontinued(self):
        """Property 9: the discontinued students list."""
        return self.filter(status=StudentStatus.DISCONTINUED)

    def in_class_group(self, *, department, semester, shift, session):
        return self.filter(
            department=department, semester=semester, shift=shift, session=session
        )


class Student(PersonalDetails):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="student_profile",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="students",
    )
    semester = models.PositiveSmallIntegerField(
        _("semester"), choices=Semester.choices, default=Semester.FIRST
    )
    shift = models.CharField(_("shift"), max_length=10, choices=Shift.choices)
    session = models.ForeignKey(
        AcademicSession,
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        related_name="students",
    )
    current_roll_number = models.CharField(
        _("roll number"), max_length=30, unique=True, editable=False
    )
    current_registration_number = models.CharField(
        _("registration number"), max_length=30, unique=True, editable=False
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=StudentStatus.choices,
        default=StudentStatus.ACTIVE,
        db_index=True,
    )
    discontinued_reason = models.TextField(_("reason for discontinuing"), blank=True)
    discontinued_at = models.DateTimeField(_("discontinued at"), null=True, blank=True)
    photo = models.ImageField(
        _("photo"),
        storage=private_storage,
        upload_to=UniqueUploadPath("students/photos"),
        blank=True,
        validators=[validate_photo_upload],
        help_text=_("JPEG or PNG."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = StudentQuerySet.as_manager()
    history = record_history(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["department__code", "semester", "current_roll_number"]
        verbose_name = _("student")
        verbose_name_plural = _("students")
        indexes = [
            models.Index(fields=["department", "semester", "shift", "session"]),
            models.Index(fields=["full_name_english"]),
            models.Index(fields=["mobile_student"]),
            # The dashboards' student counts and students at risk (joined to
            # their term summaries by id): index-only scans on PostgreSQL
            # (INCLUDE is ignored where covering indexes are not supported).
            models.Index(
                fields=["status", "department", "semester", "shift", "session"],
                include=["gender", "id"],
                name="records_student_dashboard_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="discontinued") | ~Q(discontinued_reason=""),
                name="discontinued_student_has_reason",
                violation_error_message=_("A discontinued student needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name_english} ({self.current_roll_number})"

    def clean(self):
        super().clean()
        if (
            self.status == StudentStatus.DISCONTINUED
            and not self.discontinued_reason.strip()
        ):
            raise ValidationError(
                {"discontinued_reason": _("Say why the student is discontinued.")}
            )

    @property
    def class_group_label(self) -> str:
        return f"{self.department.code} · {self.get_semester_display()} · {self.get_shift_display()} · {self.session}"


class Alumni(RecordModel):
    student = models.OneToOneField(
        Student,
        verbose_name=_("student"),
        on_delete=models.PROTECT,
        related_name="alumni",
    )
    graduation_year = models.PositiveSmallIntegerField(
        _("graduation year"),
        validators=[MinValueValidator(1950), MaxValueValidator(2200)],
    )
    current_occupation = models.CharField(
        _("current occupation"), max_length=255, blank=True
    )
    current_organization = models.CharField(
        _("organisation"), max_length=255, blank=True
    )
    contact_mobile = models.CharField(
        _("contact mobile"), max_length=11, blank=True, validators=[validate_bd_mobile]
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    converted_at = models.DateTimeField(_("converted at"), default=timezone.now)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("converted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = record_history()

    class Meta:
        ordering = ["-graduation_year", "student__full_name_english"]
        verbose_name = _("alumnus")
        verbose_name_plural = _("alumni")

    def __str__(self) -> str:
        return f"{self.student.full_name_english} ({self.graduation_year})"


class DocumentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    SSC_CERTIFICATE = "ssc_certificate", _("SSC certificate")
    SSC_TRANSCRIPT = "ssc_transcript", _("SSC transcript")
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
    NID = "nid", _("National ID")
    TESTIMONIAL = "testimonial", _("Testimonial")
    OTHER = "other", _("Other")


class Document(RecordModel):
    """A file attached to a student: stored privately, served with permission."""

    student = models.ForeignKey(
        Student,
        verbose_name=_("student"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="documents",
    )
    kind = models.CharField(_("type"), max_length=30, choices=DocumentKind.choices)
    file = models.FileField(
        _("file"),
        storage=private_storage,
        upload_to=UniqueUploadPath("documents"),
        max_length=255,
    )
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    history = record_history()

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class Weekday(models.IntegerChoices):
    """Class days of a Bangladeshi institute (seed 000 §4), in week order."""

    SUNDAY = 0, _("Sunday")
    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")

    @classmethod
    def of(cls, day: date) -> "Weekday | None":
        """The class day of a date, or None on Friday and Saturday."""
        python_weekday_to_ours = {6: 0, 0: 1, 1: 2, 2: 3, 3: 4}
        value = python_weekday_to_ours.get(day.weekday())
        return None if value is None else cls(value)


class ClassRoutineQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_class_group(self, *, department, semester, shift, session):
        return self.filter(
            department=department, semester=semester, shift=shift, session=session
        )

    def overlapping(self, *, day_of_week, start_time, end_time, session):
        return self.filter(
            is_active=True,
            session=session,
            day_of_week=day_of_week,
            start_time__lt=end_time,
            end_time__gt=start_time,
        )


class ClassRoutine(RecordModel):
    """One weekly class slot of a class group (department, semester, shift, session)."""

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="routines",
    )
    semester = models.PositiveSmallIntegerField(_("semester"), choices=Semester.choices)
    shift = models.CharField(_("shift"), max_length=10, choices=Shift.choices)
    session = models.ForeignKey(
        AcademicSession,
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        related_name="routines",
    )
    day_of_week = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start_time = models.TimeField(_("starts at"))
    end_time = models.TimeField(_("ends at"))
    subject = models.ForeignKey(
        Subject,
        verbose_name=_("subject"),
        on_delete=models.PROTECT,
        related_name="routines",
    )
    teacher = models.ForeignKey(
        Teacher,
        verbose_name=_("teacher"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="routines",
    )
    room_number = models.CharField(_("room"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ClassRoutineQuerySet.as_manager()
    history = record_history()

    class Meta:
        ordering = [
            "department__code",
            "semester",
            "shift",
            "day_of_week",
            "start_time",
        ]
        verbose_name = _("class routine slot")
        verbose_name_plural = _("class routine")
        permissions = [
            ("take_attendance", _("Can take attendance for this class")),
            ("enter_marks", _("Can enter marks for this class")),
        ]
        indexes = [
            models.Index(fields=["session", "day_of_week", "start_time"]),
            models.Index(fields=["department", "semester", "shift", "session"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="routine_starts_before_it_ends",
                violation_error_message=_("A class must start before it ends."),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.department.code} {self.get_semester_display()} {self.get_shift_display()}: "
            f"{self.get_day_of_week_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M} "
            f"{self.subject.code}"
        )

    @property
    def subject_code(self) -> str:
        return self.subject.code

    @property
    def subject_name(self) -> str:
        return self.subject.name

    @property
    def time_label(self) -> str:
        return f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def clean(self):
        super().clean()
        if self.start_time and self.end_time and self.start_time >= self.end_time:
            raise ValidationError({"end_time": _("A class must start before it ends.")})
        if (
            self.subject_id
            and self.department_id
            and self.subject.department_id != self.department_id
        ):
            raise ValidationError(
                {
                    "subject": _("%(subject)s is not a subject of %(department)s.")
                    % {"subject": self.subject, "department": self.department}
                }
            )
        if self.subject_id and self.semester and self.subject.semester != self.semester:
            raise ValidationError(
                {
                    "subject": _("%(subject)s is taught in semester %(n)d, not %(m)d.")
                    % {
                        "subject": self.subject,
                        "n": self.subject.semester,
                        "m": self.semester,
                    }
                }
            )
        self.validate_no_clash()

    def validate_no_clash(self):
        """Same room, same teacher or same class group: no overlapping slots."""
        if not (
            self.is_active
            and self.session_id
            and self.start_time
            and self.end_time
            and self.day_of_week is not None  # Sunday is 0
        ):
            return
        if self.start_time >= self.end_time:
            return
        same_room = Q(room_number__iexact=self.room_number.strip())
        same_teacher = (
            Q(teacher_id=self.teacher_id) if self.teacher_id else Q(pk__in=[])
        )
        same_group = Q(
            department_id=self.department_id, semester=self.semester, shift=self.shift
        )
        # Only real clashes come back from the database; the message is built
        # for those few rows alone.
        others = (
            ClassRoutine.objects.overlapping(
                day_of_week=self.day_of_week,
                start_time=self.start_time,
                end_time=self.end_time,
                session=self.session_id,
            )
            .filter(same_room | same_teacher | same_group)
            .select_related("department", "subject", "teacher")
        )
        if self.pk:
            others = others.exclude(pk=self.pk)
        errors = {}
        for other in others:
            where = _("%(day)s %(time)s, %(group)s, %(subject)s") % {
                "day": other.get_day_of_week_display(),
                "time": other.time_label,
                "group": f"{other.department.code} {other.get_semester_display()} "
                f"{other.get_shift_display()}",
                "subject": other.subject,
            }
            if other.room_number.strip().lower() == self.room_number.strip().lower():
                errors.setdefault(
                    "room_number",
                    _("Room %(room)s is already booked: %(where)s.")
                    % {"room": other.room_number, "where": where},
                )
            if self.teacher_id and other.teacher_id == self.teacher_id:
                errors.setdefault(
                    "teacher",
                    _("%(teacher)s already teaches then: %(where)s.")
                    % {"teacher": other.teacher, "where": where},
                )
            if (
                other.department_id == self.department_id
                and other.semester == self.semester
                and other.shift == self.shift
            ):
                errors.setdefault(
                    NON_FIELD_ERRORS,
                    _("This class group already has a class then: %(where)s.")
                    % {"where": where},
                )
        if errors:
            raise ValidationError(errors)


def day_name(day: date) -> str:
    """The translated weekday name of a date (``%A`` is always English)."""
    from django.utils.dates import WEEKDAYS

    return str(WEEKDAYS[day.weekday()])


def class_group_label(department, semester: int, shift: str) -> str:
    """E.g. "CST 3rd semester Morning", with translated labels."""
    code = getattr(department, "code", department)
    return f"{code} {Semester(semester).label} {Shift(shift).label}"


ATTENDANCE_NOT_SCHEDULED = _(
    "%(group)s has no %(subject)s class on %(day)s in its routine, so attendance "
    "cannot be taken for it on %(date)s."
)
ATTENDANCE_FUTURE = _("Attendance cannot be taken for a future date (%(date)s).")


def _id(value):
    return getattr(value, "pk", value)


def validate_attendance_slot(
    *, department, semester, shift, session, subject, day: date, slots=None
) -> None:
    """Attendance only for a subject the class group has on that weekday, not in the future.

    The one rule used by the attendance sheet, the admin form, imports and the API.
    """
    if day > timezone.localdate():
        raise ValidationError({"date": ATTENDANCE_FUTURE % {"date": day.isoformat()}})
    weekday = Weekday.of(day)
    if slots is not None:
        # An import checks thousands of rows against the routine loaded once:
        # ``slots`` holds (department, semester, shift, session, subject, day) ids.
        key = (
            _id(department),
            semester,
            shift,
            _id(session),
            _id(subject),
            weekday,
        )
        if weekday is not None and key in slots:
            return
    scheduled = slots is None and (
        weekday is not None
        and ClassRoutine.objects.active()
        .for_class_group(
            department=department, semester=semester, shift=shift, session=session
        )
        .filter(subject=subject, day_of_week=weekday)
        .exists()
    )
    if not scheduled:
        raise ValidationError(
            {
                "date": ATTENDANCE_NOT_SCHEDULED
                % {
                    "group": class_group_label(department, semester, shift),
                    "subject": subject.code,
                    "day": day_name(day),
                    "date": day.isoformat(),
                }
            }
        )


class AttendanceRecord(RecordModel):
    student = models.ForeignKey(
        Student,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    subject = models.ForeignKey(
        Subject,
        verbose_name=_("subject"),
        on_delete=models.PROTECT,
        related_name="attendance",
    )
    semester = models.PositiveSmallIntegerField(_("semester"), choices=Semester.choices)
    date = models.DateField(_("date"))
    is_present = models.BooleanField(_("present"), default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    notes = models.TextField(_("notes"), blank=True)

    history = record_history()

    class Meta:
        ordering = ["-date", "subject__code", "student__current_roll_number"]
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "subject", "date"],
                name="one_attendance_per_student_subject_date",
                violation_error_message=_(
                    "Attendance for this student, subject and date is already recorded."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["subject", "date"]),
            models.Index(fields=["student", "semester"]),
        ]

    def __str__(self) -> str:
        mark = _("present") if self.is_present else _("absent")
        return f"{self.student.current_roll_number} {self.subject.code} {self.date}: {mark}"

    def clean(self):
        super().clean()
        if self.student_id and self.subject_id and self.date:
            student = self.student
            validate_attendance_slot(
                department=student.department,
                semester=self.semester or student.semester,
                shift=student.shift,
                session=student.session,
                subject=self.subject,
                day=self.date,
            )


class ExamType(models.TextChoices):
    MIDTERM = "midterm", _("Midterm")
    FINAL = "final", _("Final")
    ASSIGNMENT = "assignment", _("Assignment")
    PRACTICAL = "practical", _("Practical")


MARKS_TOTAL_POSITIVE = _("Total marks must be more than 0.")
MARKS_OUT_OF_RANGE = _("Marks obtained must be between 0 and the total (%(total)s).")


class MarksRecord(RecordModel):
    student = models.ForeignKey(
        Student,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="marks",
    )
    subject = models.ForeignKey(
        Subject,
        verbose_name=_("subject"),
        on_delete=models.PROTECT,
        related_name="marks",
    )
    semester = models.PositiveSmallIntegerField(_("semester"), choices=Semester.choices)
    exam_type = models.CharField(
        _("exam type"), max_length=20, choices=ExamType.choices
    )
    marks_obtained = models.DecimalField(
        _("marks obtained"), max_digits=5, decimal_places=2
    )
    total_marks = models.DecimalField(_("total marks"), max_digits=5, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    remarks = models.TextField(_("remarks"), blank=True)

    history = record_history()

    class Meta:
        ordering = [
            "student__current_roll_number",
            "semester",
            "subject__code",
            "exam_type",
        ]
        verbose_name = _("marks record")
        verbose_name_plural = _("marks")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "subject", "semester", "exam_type"],
                name="one_mark_per_student_subject_semester_exam",
                violation_error_message=_(
                    "Marks for this student, subject, semester and exam are already recorded."
                ),
            ),
            models.CheckConstraint(
                condition=Q(total_marks__gt=0),
                name="marks_total_positive",
                violation_error_message=MARKS_TOTAL_POSITIVE,
            ),
            models.CheckConstraint(
                condition=Q(marks_obtained__gte=0)
                & Q(marks_obtained__lte=models.F("total_marks")),
                name="marks_obtained_within_total",
                violation_error_message=_(
                    "Marks obtained must be between 0 and the total."
                ),
            ),
        ]
        indexes = [models.Index(fields=["subject", "semester", "exam_type"])]

    def __str__(self) -> str:
        return (
            f"{self.student.current_roll_number} {self.subject.code} "
            f"{self.get_exam_type_display()}: {self.marks_obtained}/{self.total_marks}"
        )

    def clean(self):
        super().clean()
        errors = {}
        if self.total_marks is not None and self.total_marks <= 0:
            errors["total_marks"] = MARKS_TOTAL_POSITIVE
        elif (
            self.marks_obtained is not None
            and self.total_marks is not None
            and not (0 <= self.marks_obtained <= self.total_marks)
        ):
            errors["marks_obtained"] = MARKS_OUT_OF_RANGE % {"total": self.total_marks}
        if errors:
            raise ValidationError(errors)

    @property
    def percentage(self) -> Decimal:
        return (self.marks_obtained / self.total_marks * 100).quantize(Decimal("0.01"))


class NumberSequence(models.Model):
    """Counters behind roll and registration numbers (one row per key, row-locked)."""

    key = models.CharField(max_length=100, unique=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")

    def __str__(self) -> str:
        return f"{self.key}: {self.last_value}"


# --- Object permissions (django-guardian, direct foreign keys: the fast path) -----


class DepartmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Department, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("department permission of a user")


class DepartmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Department, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("department permission of a group")


class ClassRoutineUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ClassRoutine, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("class permission of a user")


class ClassRoutineGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ClassRoutine, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("class permission of a group")


# --- Activity log (seed 000 §8) ----------------------------------------------------


class ActivityAction(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    LOGIN = "login", _("Sign-in")
    LOGOUT = "logout", _("Sign-out")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")
    REVERT = "revert", _("Revert")
    RESTORE = "restore", _("Restore")


class ActivityLogQuerySet(models.QuerySet):
    def for_entity(self, instance):
        return self.filter(
            entity_type=instance._meta.model_name, entity_id=str(instance.pk)
        )


class ActivityLog(models.Model):
    """One entry per thing that happened: written in the same transaction as it.

    Entries are never edited or deleted through the product (only pruned by
    ``manage.py prune_activity`` after the retention period).
    """

    # The two foreign keys are indexed by the (user, time) and (department,
    # time) indexes below, which lead with them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    action_type = models.CharField(
        _("action"), max_length=20, choices=ActivityAction.choices, db_index=True
    )
    entity_type = models.CharField(_("record type"), max_length=50, blank=True)
    entity_id = models.CharField(_("record id"), max_length=255, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The department the record belongs to (for registrars' scope)."),
        db_index=False,
    )
    description = models.TextField(_("description"), blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.TextField(_("user agent"), blank=True)
    timestamp = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    objects = ActivityLogQuerySet.as_manager()
    # Entries point at users and departments, but nothing needs Wagtail's
    # "where is this used" index of them; skipping it saves three queries a write.
    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-timestamp", "-pk"]
        verbose_name = _("activity log entry")
        verbose_name_plural = _("activity log")
        indexes = [
            models.Index(fields=["entity_type", "entity_id"]),
            models.Index(fields=["user", "timestamp"]),
            models.Index(fields=["department", "timestamp"]),
        ]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.username} {self.get_action_type_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("Activity log entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(
            "Activity log entries cannot be deleted; they are pruned by age."
        )


# --- Spreadsheet imports --------------------------------------------------------------


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Ready to import")
    HAS_ERRORS = "has_errors", _("Has errors")
    REFUSED = "refused", _("File refused")
    IMPORTING = "importing", _("Importing")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")


class ImportBatch(models.Model):
    """One uploaded spreadsheet: its preview, its import and (maybe) its undo.

    Every history row an import writes carries ``history_batch = "import:<id>"``,
    so the batch's rows are found (and undone) through the record history.
    """

    record_type = models.CharField(_("record type"), max_length=30)
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(
        _("file"),
        storage=private_storage,
        upload_to=UniqueUploadPath("imports"),
        max_length=255,
    )
    file_size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ImportStatus.choices,
        default=ImportStatus.UPLOADED,
        db_index=True,
    )
    phase = models.CharField(_("phase"), max_length=50, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")

    def __str__(self) -> str:
        return f"import #{self.pk} ({self.original_name})"

    @property
    def history_tag(self) -> str:
        """The ``history_batch`` value of every history row this import wrote."""
        return f"import:{self.pk}"

    @property
    def reason(self) -> str:
        """The history reason of its rows: ``import #12 (students.xlsx)``."""
        return f"import #{self.pk} ({self.original_name})"


# --- Summaries (derived data, kept exact by records/summaries.py) -----------------
#
# The head's dashboards read these instead of scanning millions of attendance
# and marks rows. They are rebuilt from the raw records at any time
# (``manage.py rebuild_summaries``), so they keep no history, are not in the
# admin, and Wagtail's reference index skips them.


class AttendanceDaySummary(models.Model):
    """Attendance of one sitting group: a subject on a date, by the students' class group.

    ``semester`` is the attendance record's; department, shift and session are
    the student's current ones.
    """

    date = models.DateField(_("date"))
    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.CASCADE, related_name="+"
    )
    semester = models.PositiveSmallIntegerField(_("semester"))
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    shift = models.CharField(_("shift"), max_length=10)
    session = models.ForeignKey(
        AcademicSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    present = models.PositiveIntegerField(_("present"))
    total = models.PositiveIntegerField(_("total"))

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("attendance day summary")
        verbose_name_plural = _("attendance day summaries")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "date",
                    "subject",
                    "semester",
                    "department",
                    "shift",
                    "session",
                ],
                name="one_attendance_summary_per_group",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "date"]),
            models.Index(fields=["date"]),
        ]

    def __str__(self) -> str:
        return f"{self.date} subject {self.subject_id}: {self.present}/{self.total}"


class MarksSummary(models.Model):
    """Marks of one exam by day recorded, class group and 10% band.

    ``recorded_on`` is the local date (``TIME_ZONE``) of the marks' recorded_at;
    ``band`` is floor(percentage / 10), with 100% in band 9.
    """

    recorded_on = models.DateField(_("recorded on"))
    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.CASCADE, related_name="+"
    )
    exam_type = models.CharField(_("exam type"), max_length=20)
    semester = models.PositiveSmallIntegerField(_("semester"))
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    shift = models.CharField(_("shift"), max_length=10)
    session = models.ForeignKey(
        AcademicSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    band = models.PositiveSmallIntegerField(_("band"))
    count = models.PositiveIntegerField(_("count"))
    passed = models.PositiveIntegerField(_("passed"))

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("marks summary")
        verbose_name_plural = _("marks summaries")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "recorded_on",
                    "subject",
                    "exam_type",
                    "semester",
                    "department",
                    "shift",
                    "session",
                    "band",
                ],
                name="one_marks_summary_per_group_band",
            ),
        ]
        indexes = [models.Index(fields=["department", "recorded_on"])]

    def __str__(self) -> str:
        return f"{self.recorded_on} subject {self.subject_id} {self.exam_type} band {self.band}: {self.count}"


class StudentTermSummary(models.Model):
    """One student's attendance and marks in one semester (for at-risk lists)."""

    student = models.ForeignKey(
        Student,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="term_summaries",
    )
    semester = models.PositiveSmallIntegerField(_("semester"))
    attendance_present = models.PositiveIntegerField(_("classes present"), default=0)
    attendance_total = models.PositiveIntegerField(_("classes"), default=0)
    marks_count = models.PositiveIntegerField(_("marks"), default=0)
    marks_failed = models.PositiveIntegerField(_("marks failed"), default=0)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("student term summary")
        verbose_name_plural = _("student term summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "semester"], name="one_term_summary_per_student"
            ),
        ]
        indexes = [
            # Students at risk: filtered by the semester a dashboard picks.
            models.Index(
                fields=["semester", "student"],
                include=["attendance_present", "attendance_total", "marks_failed"],
                name="records_term_at_risk_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"student {self.student_id} semester {self.semester}"
