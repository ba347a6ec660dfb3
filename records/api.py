"""The records REST API (/api/v1/): sign-in, tokens, students and departments.

Views call the same services and selectors as the back office, and every
queryset is scoped by the permission policy (``records.permissions``): a
student sees only themself, a teacher the students of the departments they
teach in, a registrar their departments (Property 12).

The students' and departments' viewsets, with their writes, are in
``records.api_people`` (beside the teachers); their serializers, filters and
scoping helpers stay here.
"""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.db.models import QuerySet
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django_filters import rest_framework as filters
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, generics, mixins, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView
from wagtail.models import APIToken

from . import api_auth
from .api_support import id_filter
from .auth import account_status_refusal
from .models import Department, Semester, Shift, Student, StudentStatus, User
from .permissions import VIEW, scope_queryset
from .roles import AdmissionStatus, Role


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token scheme in the OpenAPI schema (``Authorization: Token <key>``)."""

    target_class = "records.api_auth.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: a key from POST /api/v1/auth/tokens/.",
        }


INVALID_CREDENTIALS = _("Invalid username or password.")
TOKEN_NEEDS_SESSION = _(
    "API tokens are created from a signed-in session, not with another token."
)

# --- Profiles (Property 2) ---------------------------------------------------------------


class ProfileSerializer(serializers.ModelSerializer):
    """The signed-in user: role, account and admission status, linked profile."""

    full_name = serializers.CharField(source="get_full_name", read_only=True)
    needs_admission = serializers.SerializerMethodField(
        help_text="Property 3: a student or captain whose admission is not approved "
        "is sent to the admission form."
    )
    student_id = serializers.SerializerMethodField()
    teacher_id = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "full_name",
            "role",
            "account_status",
            "admission_status",
            "needs_admission",
            "student_id",
            "teacher_id",
        ]
        read_only_fields = fields

    def get_needs_admission(self, user) -> bool:
        return (
            user.role in (Role.STUDENT, Role.CAPTAIN)
            and user.admission_status != AdmissionStatus.APPROVED
        )

    def get_student_id(self, user) -> int | None:
        return Student.objects.filter(user=user).values_list("pk", flat=True).first()

    def get_teacher_id(self, user) -> int | None:
        teacher = getattr(user, "teacher_profile", None) if user.pk else None
        return teacher.pk if teacher is not None else None


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False
    )


class ChangePasswordSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False)
    new_password = serializers.CharField(trim_whitespace=False)


def _enforce_csrf(request) -> None:
    """CSRF for sign-in too (DRF only checks it for signed-in sessions)."""
    SessionAuthentication().enforce_csrf(request)


class CsrfView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Get a CSRF token (and the csrftoken cookie)",
        responses=inline_serializer(
            "CsrfToken", {"csrf_token": serializers.CharField()}
        ),
        tags=["auth"],
    )
    @method_decorator(ensure_csrf_cookie)
    def get(self, request):
        return Response({"csrf_token": get_token(request)})


class LoginView(APIView):
    """Sign in with a session; failed attempts are limited per IP and account."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Sign in (session)",
        request=LoginSerializer,
        responses={200: ProfileSerializer},
        tags=["auth"],
    )
    def post(self, request):
        _enforce_csrf(request)
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        password = data.validated_data["password"]
        until = api_auth.login_locked_until(request, username)
        if until is not None:
            raise api_auth.lockout_error(until)
        user = authenticate(request._request, username=username, password=password)
        if user is None:
            refusal = account_status_refusal(username, password)
            if refusal:
                raise exceptions.PermissionDenied(refusal)
            api_auth.login_failed(request, username)
            until = api_auth.login_locked_until(request, username)
            if until is not None:
                raise api_auth.lockout_error(until)
            raise exceptions.AuthenticationFailed(INVALID_CREDENTIALS)
        api_auth.login_succeeded(request, username)
        login(request._request, user)
        return Response(ProfileSerializer(user).data)


class LogoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Sign out", request=None, responses={204: None}, tags=["auth"]
    )
    def post(self, request):
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(
        summary="The signed-in user", responses=ProfileSerializer, tags=["auth"]
    )
    def get(self, request):
        return Response(ProfileSerializer(request.user).data)


class ChangePasswordView(APIView):
    @extend_schema(
        summary="Change password",
        request=ChangePasswordSerializer,
        responses={204: None},
        tags=["auth"],
    )
    def post(self, request):
        data = ChangePasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = data.validated_data["new_password"]
        form = PasswordChangeForm(
            request.user,
            {
                "old_password": data.validated_data["old_password"],
                "new_password1": new,
                "new_password2": new,
            },
        )
        if not form.is_valid():
            renamed = {"new_password1": "new_password", "new_password2": "new_password"}
            errors: dict[str, list[str]] = {}
            for field, messages in form.errors.items():
                errors.setdefault(renamed.get(field, field), []).extend(messages)
            raise exceptions.ValidationError(errors)
        form.save()
        if request.auth is None:  # a session: keep it signed in
            update_session_auth_hash(request._request, form.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- API tokens --------------------------------------------------------------------------


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = APIToken
        fields = ["id", "name", "prefix", "created", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "created", "last_used_at", "revoked_at"]


class NewApiTokenSerializer(ApiTokenSerializer):
    key = serializers.CharField(
        read_only=True, help_text="The key: shown this once, never again."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]


@extend_schema(tags=["auth"])
class ApiTokenViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The signed-in user's own API tokens: create (key shown once), list, revoke."""

    serializer_class = ApiTokenSerializer
    filter_backends: list = []

    queryset = APIToken.objects.none()  # the schema's model; see get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return APIToken.objects.none()
        return APIToken.objects.filter(user=self.request.user).order_by(
            "-created", "-pk"
        )

    @extend_schema(
        summary="Create an API token",
        request=ApiTokenSerializer,
        responses={201: NewApiTokenSerializer},
    )
    def create(self, request):
        if isinstance(request.auth, APIToken):
            raise exceptions.PermissionDenied(TOKEN_NEEDS_SESSION)
        data = ApiTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = api_auth.api_token_create(
            user=request.user,
            name=data.validated_data["name"],
            acting_user=request.user,
        )
        token.key = key
        return Response(
            NewApiTokenSerializer(token).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(summary="Revoke an API token", responses={204: None})
    def destroy(self, request, pk=None):
        api_auth.api_token_revoke(token=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Departments and students ------------------------------------------------------------


def students_visible_to(user) -> QuerySet[Student]:
    """Students the user may see: the policy's scope, plus their own profile."""
    students = Student.objects.all()
    own = students.filter(user_id=user.pk)
    if not user.has_perm("records.view_student"):
        return own
    return scope_queryset(user, students, VIEW) | own


def departments_visible_to(user) -> QuerySet[Department]:
    if not user.has_perm("records.view_department"):
        return Department.objects.none()
    return scope_queryset(user, Department.objects.all(), VIEW)


class DepartmentSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name"]


class SessionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TeacherSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name_english = serializers.CharField()


class DepartmentSerializer(serializers.ModelSerializer):
    head = TeacherSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "name_bangla", "short_name", "head"]


class StudentListSerializer(serializers.ModelSerializer):
    department = DepartmentSummarySerializer(read_only=True)
    session = SessionSummarySerializer(read_only=True)

    class Meta:
        model = Student
        fields = [
            "id",
            "full_name_english",
            "full_name_bangla",
            "department",
            "semester",
            "shift",
            "session",
            "current_roll_number",
            "current_registration_number",
            "status",
            "mobile_student",
        ]


class StudentSerializer(StudentListSerializer):
    """Property 10: the full record, with its department and session."""

    class Meta(StudentListSerializer.Meta):
        fields = [
            *StudentListSerializer.Meta.fields,
            "user",
            "father_name",
            "father_nid",
            "mother_name",
            "mother_nid",
            "date_of_birth",
            "birth_certificate_no",
            "gender",
            "religion",
            "blood_group",
            "guardian_mobile",
            "email",
            "emergency_contact",
            "present_village",
            "present_post_office",
            "present_upazila",
            "present_district",
            "present_division",
            "permanent_village",
            "permanent_post_office",
            "permanent_upazila",
            "permanent_district",
            "permanent_division",
            "previous_exam",
            "previous_exam_board",
            "previous_exam_group",
            "previous_exam_roll",
            "previous_exam_registration",
            "previous_exam_passing_year",
            "previous_exam_gpa",
            "previous_institution",
            "discontinued_reason",
            "discontinued_at",
            "created_at",
            "updated_at",
        ]


class StudentFilter(filters.FilterSet):
    """Seed 000's student filters: the class group and the status."""

    department = id_filter("department_id")
    semester = filters.ChoiceFilter(choices=Semester.choices)
    shift = filters.ChoiceFilter(choices=Shift.choices)
    session = id_filter("session_id")
    status = filters.ChoiceFilter(choices=StudentStatus.choices)

    class Meta:
        model = Student
        fields = ["department", "semester", "shift", "session", "status"]


class StudentQueryMixin:
    filterset_class = StudentFilter
    search_fields = [
        "full_name_english",
        "full_name_bangla",
        "current_roll_number",
        "current_registration_number",
    ]
    ordering_fields = [
        "full_name_english",
        "current_roll_number",
        "current_registration_number",
        "semester",
        "created_at",
    ]
    ordering = ["current_roll_number", "pk"]

    def students(self) -> QuerySet[Student]:
        return students_visible_to(self.request.user).select_related(
            "department", "session"
        )


@extend_schema(tags=["departments"], summary="Students of one department")
class DepartmentStudentsView(StudentQueryMixin, generics.ListAPIView):
    serializer_class = StudentListSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Student.objects.none()
        department = get_object_or_404(
            departments_visible_to(self.request.user), pk=self.kwargs["department_id"]
        )
        return self.students().filter(department=department)


router = SimpleRouter()
router.register("auth/tokens", ApiTokenViewSet, basename="api-token")

urlpatterns = [
    path("auth/csrf/", CsrfView.as_view(), name="auth-csrf"),
    path("auth/login/", LoginView.as_view(), name="auth-login"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", MeView.as_view(), name="auth-me"),
    path(
        "auth/change-password/",
        ChangePasswordView.as_view(),
        name="auth-change-password",
    ),
    path(
        "departments/<int:department_id>/students/",
        DepartmentStudentsView.as_view(),
        name="department-students",
    ),
    *router.urls,
]
