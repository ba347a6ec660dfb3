"""The workflows REST API (/api/v1/): registration, admissions, teacher requests,
correction requests (seed 000 §1, §2, §3, §7).

Every action is the back office's service call (``workflows.services``,
``records.services``): views read the request, call the service, answer. Who
sees a request is the approval desk's rule (``workflows.views.visible_queryset``:
the institute head everything, a registrar their departments, a stage's group
its requests), plus the applicant's own (Property 12); anything else is 404.
Who may decide is the desk's ``check_can_act``: acting at someone else's stage
is 403, acting on a decided request 409 with the service's message.
"""

from __future__ import annotations

import time

from django.contrib.auth import login, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from records import api_auth, ratelimit
from records import services as record_services
from records.activity import client_ip
from records.api import (
    DepartmentSummarySerializer,
    ProfileSerializer,
    SessionSummarySerializer,
    _enforce_csrf,
)
from records.api_support import BlankChoicesMixin
from records.errors import BusinessRuleError
from records.models import (
    Department,
    DocumentKind,
    PersonalDetails,
    Student,
    User,
)
from records.roles import Role

from . import filters, services, views
from .models import (
    AdmissionApplication,
    CorrectableField,
    CorrectionRequest,
    RequestKind,
    RequestStatus,
    TeacherSignupRequest,
)

SIGN_IN_BACKEND = "records.auth.AccountStatusBackend"
PERSONAL_FIELDS = [field.name for field in PersonalDetails._meta.fields]
DOCUMENT_PREFIX = "document_"

TEACHERS_SIGN_UP_ELSEWHERE = _(
    "Teachers do not register here: ask for an account with "
    "POST /api/v1/teachers/signup-request/; the institute head approves it."
)
ONLY_STUDENTS_REGISTER = _("Only students and applicants register here.")
USERNAME_TAKEN = _("This username is taken.")
EMAIL_TAKEN = _("An account with this email already exists.")
TOO_MANY_REGISTRATIONS = _(
    "Too many accounts registered from your network. Try again in %(minutes)s "
    "minute(s)."
)
TOO_MANY_SUBMISSIONS = _(
    "Too many submissions from your network in the last hour. Please try again later."
)
ADMISSIONS_CLOSED = _("Admissions are closed.")
ONLY_APPLICANTS = _(
    "Only applicants (signed out) and students submit admission applications."
)
NO_STUDENT_PROFILE = _(
    "Only a student with a record asks for a correction; your account has none."
)
NO_APPLICATION = _("You have not submitted an admission application.")
NOT_ONE_OF = _("Select one of the departments this admission form offers.")
SHIFT_NOT_OFFERED = _("This shift is not offered in this admission.")


# --- Who sees what ---------------------------------------------------------------------


def _own_q(kind: str, user) -> Q:
    """The requests that are the user's own (Property 12)."""
    if kind == RequestKind.CORRECTION:
        return Q(student__user_id=user.pk)
    return Q(user_id=user.pk)


def requests_visible_to(user, kind: str) -> QuerySet:
    """The desk's rule (``views.visible_queryset``), plus the user's own requests."""
    model = services.MODELS[kind]
    staff = views.visible_queryset(user, kind)
    if staff.query.distinct:
        # A stage group's requests (distinct): combined by id.
        staff = model.objects.filter(pk__in=staff.values("pk"))
    return (staff | model.objects.filter(_own_q(kind, user))).select_related(
        *views.SELECT_RELATED[kind]
    )


def _check_may_decide(user, request) -> None:
    """The desk's ``check_can_act``: someone else's stage or department is 403;
    a decided or returned request stays for the service, which answers 409."""
    if request.is_decided or request.status != RequestStatus.PENDING:
        return
    try:
        services.check_can_act(user, request)
    except BusinessRuleError as exc:
        raise exceptions.PermissionDenied(str(exc)) from None


def _decide(request_obj, *, decision: str, user, note: str):
    _check_may_decide(user, request_obj)
    if decision == "approve":
        return services.request_approve(
            request=request_obj, acting_user=user, note=note
        )
    return services.request_reject(request=request_obj, acting_user=user, note=note)


# --- Throttles -------------------------------------------------------------------------


def _throttle_registration(request) -> None:
    """Accounts registered per IP address, at the sign-in rate (``login_ip``)."""
    from rest_framework.settings import api_settings

    limit, window = api_auth.parse_rate(api_settings.DEFAULT_THROTTLE_RATES["login_ip"])
    key = f"campusdesk:register:ip:{client_ip(request) or 'unknown'}"
    counted = ratelimit.peek(key)
    if counted is not None and counted.count >= limit:
        wait = max(1, int(counted.reset_at - time.time() + 0.999))
        raise exceptions.Throttled(
            wait=wait,
            detail=TOO_MANY_REGISTRATIONS % {"minutes": max(1, (wait + 59) // 60)},
        )
    ratelimit.attempt(key, window)


def _throttle_submission(request, scope: str) -> None:
    """The public forms' hourly limit per IP address (shared with the web forms)."""
    from website.admission_views import rate_limited

    if rate_limited(request, scope):
        raise exceptions.Throttled(wait=3600, detail=str(TOO_MANY_SUBMISSIONS))


# --- Common serializers ----------------------------------------------------------------

ERROR_SERIALIZER = inline_serializer(
    "Error",
    {
        "error": serializers.CharField(),
        "details": serializers.CharField(),
        "field_errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField())
        ),
        "status_code": serializers.IntegerField(),
    },
)
DECIDED = OpenApiResponse(
    ERROR_SERIALIZER,
    description="Already decided (or returned): the service's message, e.g. "
    "'Admission application 40 was approved by Rahima Khatun at 24 Nov 2026 10:42.'",
)
CLOSED = OpenApiResponse(ERROR_SERIALIZER, description="Admissions are closed.")


class StageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DecisionFieldsMixin(BlankChoicesMixin, serializers.Serializer):
    """What every request shows about its place in the workflow (and its
    optional choices, blank where the applicant gave none)."""

    status = serializers.ChoiceField(choices=RequestStatus.choices, read_only=True)
    stage = StageSerializer(read_only=True, allow_null=True)
    reviewed_by = serializers.SerializerMethodField()

    def get_reviewed_by(self, obj) -> str | None:
        user = obj.reviewed_by
        if user is None:
            return None
        return user.get_full_name() or user.get_username()


DECISION_FIELDS = [
    "status",
    "stage",
    "submitted_at",
    "reviewed_at",
    "reviewed_by",
    "review_notes",
]


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional to approve; required to reject (the applicant reads it).",
    )


class RequestDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    original_name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


# --- §1 Registration -------------------------------------------------------------------


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )
    first_name = serializers.CharField(max_length=150, required=False, default="")
    last_name = serializers.CharField(max_length=150, required=False, default="")
    role = serializers.ChoiceField(
        choices=Role.choices,
        required=False,
        default=Role.STUDENT,
        help_text="Only `student`; teachers use POST /api/v1/teachers/signup-request/.",
    )

    def validate_role(self, value):
        if value == Role.TEACHER:
            raise serializers.ValidationError(TEACHERS_SIGN_UP_ELSEWHERE)
        if value != Role.STUDENT:
            raise serializers.ValidationError(ONLY_STUDENTS_REGISTER)
        return value

    def validate_username(self, value):
        value = value.strip()
        User.username_validator(value)
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError(USERNAME_TAKEN)
        return value

    def validate_email(self, value):
        if User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError(EMAIL_TAKEN)
        return value

    def validate(self, attrs):
        candidate = User(
            username=attrs["username"],
            email=attrs["email"],
            first_name=attrs.get("first_name", ""),
            last_name=attrs.get("last_name", ""),
        )
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": exc.messages}) from None
        return attrs


class RegisterView(APIView):
    """Seed 000 §1: a student's own account; they then submit an admission."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Register a student account (and sign in)",
        description=(
            "Creates an active student account (Property 1) whose admission is "
            "not started, and signs it in with a session. Teachers ask for an "
            "account with POST /api/v1/teachers/signup-request/ instead. "
            "CSRF token required; limited per IP address like sign-in."
        ),
        request=RegisterSerializer,
        responses={201: ProfileSerializer},
        tags=["auth"],
    )
    def post(self, request):
        _enforce_csrf(request)
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _throttle_registration(request)
        values = data.validated_data
        with transaction.atomic():
            user = record_services.user_create(
                username=values["username"],
                password=values["password"],
                role=Role.STUDENT,
                email=values["email"],
                first_name=values["first_name"],
                last_name=values["last_name"],
            )
        login(request._request, user, backend=SIGN_IN_BACKEND)
        return Response(ProfileSerializer(user).data, status=status.HTTP_201_CREATED)


# --- §2 Admissions ---------------------------------------------------------------------


class AdmissionListSerializer(DecisionFieldsMixin, serializers.ModelSerializer):
    desired_department = DepartmentSummarySerializer(read_only=True)
    session = SessionSummarySerializer(read_only=True)

    class Meta:
        model = AdmissionApplication
        fields = [
            "id",
            "application_number",
            "full_name_english",
            "full_name_bangla",
            "mobile_student",
            "email",
            "desired_department",
            "desired_shift",
            "semester",
            "session",
            *DECISION_FIELDS,
        ]
        read_only_fields = fields


class AdmissionSerializer(AdmissionListSerializer):
    """Property 6: every field of the form, its documents and the decision."""

    documents = RequestDocumentSerializer(many=True, read_only=True)

    class Meta(AdmissionListSerializer.Meta):
        fields = [
            *AdmissionListSerializer.Meta.fields,
            *PERSONAL_FIELDS,
            "student",
            "user",
            "documents",
        ]
        # One list: a field named twice would be shown once.
        fields = list(dict.fromkeys(fields))
        read_only_fields = fields


def _document_fields() -> dict:
    return {
        f"{DOCUMENT_PREFIX}{kind}": serializers.FileField(
            required=False,
            write_only=True,
            help_text=f"{label}: PDF, JPEG or PNG (multipart only).",
        )
        for kind, label in DocumentKind.choices
    }


class AdmissionSubmitSerializer(serializers.ModelSerializer):
    """The public admission form's fields (``website.forms.AdmissionForm``)."""

    desired_department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all()
    )

    class Meta:
        model = AdmissionApplication
        fields = [*PERSONAL_FIELDS, "desired_department", "desired_shift"]

    def get_fields(self):
        fields = super().get_fields()
        fields.update(_document_fields())
        page = self.context.get("page")
        if page is not None:
            fields["desired_department"].queryset = page.departments.all()
        return fields

    def validate_desired_shift(self, value):
        page = self.context.get("page")
        if page is not None and value not in page.offered_shifts():
            raise serializers.ValidationError(SHIFT_NOT_OFFERED)
        return value

    def validate(self, attrs):
        from website.forms import UploadField

        for name in list(attrs):
            if name.startswith(DOCUMENT_PREFIX):
                try:
                    UploadField(required=False).clean(attrs[name])
                except DjangoValidationError as exc:
                    raise serializers.ValidationError({name: exc.messages}) from None
        return attrs


def open_admission_page():
    """The live admission form accepting applications now (its session, departments)."""
    from website.models import AdmissionFormPage

    for page in (
        AdmissionFormPage.objects.live().select_related("session").order_by("path")
    ):
        if page.is_open():
            return page
    return None


@extend_schema(tags=["admissions"])
@extend_schema_view(
    list=extend_schema(
        summary="Admission applications",
        description="Staff: the applications they may review (the head all, a "
        "registrar their departments); anyone else only their own.",
    ),
    retrieve=extend_schema(summary="One admission application"),
)
class AdmissionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Seed 000 §2: submit, browse, decide; the applicant reads their own."""

    kind = RequestKind.ADMISSION
    queryset = AdmissionApplication.objects.none()
    filterset_class = filters.AdmissionApplicationFilterSet
    search_fields = [
        "application_number",
        "full_name_english",
        "full_name_bangla",
        "email",
        "mobile_student",
        "guardian_mobile",
    ]
    ordering_fields = [
        "submitted_at",
        "reviewed_at",
        "application_number",
        "full_name_english",
        "status",
    ]
    ordering = ["-submitted_at", "-pk"]

    def get_permissions(self):
        if self.action == "create":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AdmissionApplication.objects.none()
        queryset = requests_visible_to(self.request.user, self.kind).select_related(
            "reviewed_by"
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("documents")
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return AdmissionListSerializer
        if self.action == "create":
            return AdmissionSubmitSerializer
        if self.action in ("approve", "reject"):
            return DecisionSerializer
        return AdmissionSerializer

    def _answer(self, application, status_code=status.HTTP_200_OK):
        fresh = (
            AdmissionApplication.objects.select_related(
                *views.SELECT_RELATED[self.kind], "reviewed_by"
            )
            .prefetch_related("documents")
            .get(pk=application.pk)
        )
        return Response(AdmissionSerializer(fresh).data, status=status_code)

    @extend_schema(
        summary="Submit an admission application",
        description=(
            "Anyone signed out, or a signed-in student: the fields of the public "
            "admission form, for the open admission's session. Documents are "
            "optional here: send them as multipart `document_<kind>` files. "
            "Signed in, the application is linked to the account. 409 when "
            "admissions are closed; limited per IP address like the web form."
        ),
        request={
            "application/json": AdmissionSubmitSerializer,
            "multipart/form-data": AdmissionSubmitSerializer,
        },
        responses={
            201: AdmissionSerializer,
            409: CLOSED,
        },
    )
    def create(self, request):
        user = request.user if request.user.is_authenticated else None
        if user is not None and user.role not in (Role.STUDENT, Role.CAPTAIN):
            raise exceptions.PermissionDenied(ONLY_APPLICANTS)
        page = open_admission_page()
        if page is None:
            raise BusinessRuleError(ADMISSIONS_CLOSED)
        _throttle_submission(request, "admission")
        data = AdmissionSubmitSerializer(data=request.data, context={"page": page})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        documents = [
            (name[len(DOCUMENT_PREFIX) :], values.pop(name))
            for name in list(values)
            if name.startswith(DOCUMENT_PREFIX)
        ]
        with transaction.atomic():
            application = services.admission_submit(
                acting_user=user, session=page.session, semester=1, **values
            )
            for kind, uploaded in documents:
                try:
                    services.admission_document_add(
                        application=application,
                        kind=kind,
                        uploaded_file=uploaded,
                        acting_user=user,
                    )
                except DjangoValidationError as exc:
                    raise DjangoValidationError(
                        {f"{DOCUMENT_PREFIX}{kind}": exc.messages}
                    ) from None
        return self._answer(application, status.HTTP_201_CREATED)

    @extend_schema(
        summary="My admission application",
        description="The signed-in user's latest application; 404 if there is none.",
        responses={200: AdmissionSerializer},
        filters=False,
    )
    @action(detail=False, methods=["get"], url_path="my-admission")
    def my_admission(self, request):
        application = (
            AdmissionApplication.objects.filter(user_id=request.user.pk)
            .order_by("-submitted_at", "-pk")
            .first()
        )
        if application is None:
            raise exceptions.NotFound(NO_APPLICATION)
        return self._answer(application)

    @extend_schema(
        summary="Approve an admission application (this stage)",
        description="The desk's rule: the stage's group, a registrar for their "
        "departments. At the last stage the student and the account are "
        "created (Property 7). 409 if already decided.",
        request=DecisionSerializer,
        responses={
            200: AdmissionSerializer,
            409: DECIDED,
        },
    )
    @action(detail=True, methods=["patch"])
    def approve(self, request, pk=None):
        return self._decision(request, "approve")

    @extend_schema(
        summary="Reject an admission application",
        description="The note is required and shown to the applicant. "
        "409 if already decided.",
        request=DecisionSerializer,
        responses={
            200: AdmissionSerializer,
            409: DECIDED,
        },
    )
    @action(detail=True, methods=["patch"])
    def reject(self, request, pk=None):
        return self._decision(request, "reject")

    def _decision(self, request, decision: str):
        item = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = _decide(
            item,
            decision=decision,
            user=request.user,
            note=data.validated_data["note"],
        )
        return self._answer(result)

    def filter_queryset(self, queryset):
        if self.action in ("approve", "reject", "my_admission"):
            return queryset
        return super().filter_queryset(queryset)


# --- §3 Teacher requests ---------------------------------------------------------------


class TeacherRequestSerializer(DecisionFieldsMixin, serializers.ModelSerializer):
    """Never the password hash."""

    department = DepartmentSummarySerializer(read_only=True)

    class Meta:
        model = TeacherSignupRequest
        fields = [
            "id",
            "full_name_english",
            "full_name_bangla",
            "email",
            "mobile_number",
            "designation",
            "department",
            "qualifications",
            "specializations",
            "username",
            "user",
            *DECISION_FIELDS,
        ]
        read_only_fields = fields


class TeacherSignupSerializer(serializers.ModelSerializer):
    """The teacher signup form's fields (``website.forms.TeacherSignupForm``)."""

    password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())

    class Meta:
        model = TeacherSignupRequest
        fields = [
            "full_name_english",
            "full_name_bangla",
            "email",
            "mobile_number",
            "designation",
            "department",
            "qualifications",
            "specializations",
            "username",
            "password",
        ]

    def validate(self, attrs):
        candidate = User(
            username=attrs.get("username", ""),
            email=attrs.get("email", ""),
            first_name=attrs.get("full_name_english", "")[:150],
        )
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": exc.messages}) from None
        return attrs


class TeacherSignupRequestView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Ask for a teacher account",
        description=(
            "Seed 000 §3: no account exists until the institute head approves "
            "the request (Property 1: a teacher is pending until then; Property "
            "4: approval makes an active account). The password is hashed at "
            "once. Limited per IP address like the web form."
        ),
        request=TeacherSignupSerializer,
        responses={201: TeacherRequestSerializer},
        tags=["teachers"],
    )
    def post(self, request):
        _throttle_submission(request, "teacher_signup")
        data = TeacherSignupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        signup = services.teacher_signup_submit(
            password=values.pop("password"), **values
        )
        signup = TeacherSignupRequest.objects.select_related(
            "department", "stage", "reviewed_by"
        ).get(pk=signup.pk)
        return Response(
            TeacherRequestSerializer(signup).data, status=status.HTTP_201_CREATED
        )


@extend_schema(tags=["teachers"])
@extend_schema_view(
    list=extend_schema(
        summary="Teacher signup requests",
        description="Pending ones unless `status` says otherwise (`?status=` "
        "for every status). The head sees all, a registrar their departments.",
    ),
    retrieve=extend_schema(summary="One teacher signup request"),
)
class TeacherRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    kind = RequestKind.TEACHER_SIGNUP
    queryset = TeacherSignupRequest.objects.none()
    serializer_class = TeacherRequestSerializer
    filterset_class = filters.TeacherSignupFilterSet
    search_fields = [
        "full_name_english",
        "full_name_bangla",
        "email",
        "mobile_number",
        "username",
    ]
    ordering_fields = ["submitted_at", "reviewed_at", "full_name_english", "status"]
    ordering = ["-submitted_at", "-pk"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TeacherSignupRequest.objects.none()
        queryset = requests_visible_to(self.request.user, self.kind).select_related(
            "reviewed_by"
        )
        if self.action == "list" and "status" not in self.request.query_params:
            queryset = queryset.filter(status=RequestStatus.PENDING)
        return queryset

    def filter_queryset(self, queryset):
        if self.action in ("approve", "reject"):
            return queryset
        return super().filter_queryset(queryset)

    def _decision(self, request, decision: str):
        item = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = _decide(
            item, decision=decision, user=request.user, note=data.validated_data["note"]
        )
        fresh = self.get_queryset().model.objects.select_related(
            "department", "stage", "reviewed_by"
        )
        return Response(TeacherRequestSerializer(fresh.get(pk=result.pk)).data)

    @extend_schema(
        summary="Approve a teacher signup request",
        description="Property 4: the account is created active, with its teacher "
        "profile. The desk's rule decides who may; 409 if already decided.",
        request=DecisionSerializer,
        responses={200: TeacherRequestSerializer, 409: DECIDED},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decision(request, "approve")

    @extend_schema(
        summary="Reject a teacher signup request",
        description="The note is required. 409 if already decided.",
        request=DecisionSerializer,
        responses={200: TeacherRequestSerializer, 409: DECIDED},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decision(request, "reject")


# --- §7 Correction requests ------------------------------------------------------------


class StudentBriefSerializer(serializers.ModelSerializer):
    department = DepartmentSummarySerializer(read_only=True)
    session = SessionSummarySerializer(read_only=True)

    class Meta:
        model = Student
        fields = [
            "id",
            "full_name_english",
            "current_roll_number",
            "department",
            "semester",
            "shift",
            "session",
        ]


class CorrectionRequestSerializer(DecisionFieldsMixin, serializers.ModelSerializer):
    student = StudentBriefSerializer(read_only=True)

    class Meta:
        model = CorrectionRequest
        fields = [
            "id",
            "student",
            "field_name",
            "current_value",
            "requested_value",
            "reason",
            *DECISION_FIELDS,
        ]
        read_only_fields = fields


class CorrectionRequestDetailSerializer(CorrectionRequestSerializer):
    documents = RequestDocumentSerializer(many=True, read_only=True)

    class Meta(CorrectionRequestSerializer.Meta):
        fields = [*CorrectionRequestSerializer.Meta.fields, "documents"]
        read_only_fields = fields


class CorrectionSubmitSerializer(serializers.Serializer):
    """The portal's correction form (``website.portal.CorrectionForm``)."""

    field_name = serializers.ChoiceField(choices=CorrectableField.choices)
    requested_value = serializers.CharField(max_length=255)
    reason = serializers.CharField()
    documents = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text="Supporting documents: PDF, JPEG or PNG (multipart only).",
    )


@extend_schema(tags=["correction-requests"])
@extend_schema_view(
    list=extend_schema(
        summary="Correction requests",
        description="A student sees only their own; the head all; a registrar "
        "their departments.",
    ),
    retrieve=extend_schema(summary="One correction request"),
)
class CorrectionRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    kind = RequestKind.CORRECTION
    queryset = CorrectionRequest.objects.none()
    filterset_class = filters.CorrectionRequestFilterSet
    search_fields = [
        "student__full_name_english",
        "student__full_name_bangla",
        "student__current_roll_number",
        "student__email",
        "student__mobile_student",
        "requested_value",
    ]
    ordering_fields = ["submitted_at", "reviewed_at", "field_name", "status"]
    ordering = ["-submitted_at", "-pk"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CorrectionRequest.objects.none()
        queryset = requests_visible_to(self.request.user, self.kind).select_related(
            "student__session", "reviewed_by"
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("documents")
        return queryset

    def get_serializer_class(self):
        if self.action == "create":
            return CorrectionSubmitSerializer
        if self.action in ("approve", "reject"):
            return DecisionSerializer
        if self.action == "retrieve":
            return CorrectionRequestDetailSerializer
        return CorrectionRequestSerializer

    def filter_queryset(self, queryset):
        if self.action in ("approve", "reject"):
            return queryset
        return super().filter_queryset(queryset)

    def _answer(self, item, status_code=status.HTTP_200_OK):
        fresh = (
            CorrectionRequest.objects.select_related(
                "student__department", "student__session", "stage", "reviewed_by"
            )
            .prefetch_related("documents")
            .get(pk=item.pk)
        )
        return Response(
            CorrectionRequestDetailSerializer(fresh).data, status=status_code
        )

    @extend_schema(
        summary="Ask for a correction of my record",
        description="A student, for their own record: one field, the value it "
        "should have, why, and optional supporting documents (multipart).",
        request={
            "application/json": CorrectionSubmitSerializer,
            "multipart/form-data": CorrectionSubmitSerializer,
        },
        responses={201: CorrectionRequestDetailSerializer},
    )
    def create(self, request):
        student = Student.objects.filter(user_id=request.user.pk).first()
        if student is None:
            raise exceptions.PermissionDenied(NO_STUDENT_PROFILE)
        data = CorrectionSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = services.correction_submit(
            student=student,
            acting_user=request.user,
            field_name=values["field_name"],
            requested_value=values["requested_value"],
            reason=values["reason"],
            documents=values["documents"],
        )
        return self._answer(item, status.HTTP_201_CREATED)

    def _decision(self, request, decision: str):
        item = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = _decide(
            item, decision=decision, user=request.user, note=data.validated_data["note"]
        )
        return self._answer(result)

    @extend_schema(
        summary="Approve a correction request (and apply it)",
        description="The corrected value is written to the student's record "
        "through the records service. 409 if already decided.",
        request=DecisionSerializer,
        responses={200: CorrectionRequestDetailSerializer, 409: DECIDED},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decision(request, "approve")

    @extend_schema(
        summary="Reject a correction request",
        description="The note is required. 409 if already decided.",
        request=DecisionSerializer,
        responses={200: CorrectionRequestDetailSerializer, 409: DECIDED},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decision(request, "reject")


router = SimpleRouter()
router.register("admissions", AdmissionViewSet, basename="admission")
router.register("teachers/requests", TeacherRequestViewSet, basename="teacher-request")
router.register(
    "correction-requests", CorrectionRequestViewSet, basename="correction-request"
)

urlpatterns = [
    path("auth/register/", RegisterView.as_view(), name="auth-register"),
    path(
        "teachers/signup-request/",
        TeacherSignupRequestView.as_view(),
        name="teacher-signup-request",
    ),
    *router.urls,
]
