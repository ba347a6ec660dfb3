"""The people of the institute through the API (/api/v1/): teachers, students, departments.

Reads and writes follow the back office (``records.viewsets``) step by step:

- the role's model permission (the Wagtail policy of ``records.permissions``)
  decides whether an action is possible at all: without it, ``403``;
- the object must lie in the action's scope (``scope_queryset``), or it is
  ``404`` as if it did not exist (Property 12);
- what is saved must land inside the scope (``user_can_place``), or the
  ``department`` field is refused with the admin's message;
- writes go through ``records.services`` (history stamped with the user and a
  reason, an activity entry, summaries and grants kept up to date); deletes
  write their activity entry in the delete's transaction, and a record other
  records still refer to answers ``409`` with the admin's explanation.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from wagtail.permissions import policy_registry

from . import services
from .activity import record_deleted
from .api import (
    DepartmentSerializer,
    DepartmentSummarySerializer,
    StudentListSerializer,
    StudentQueryMixin,
    StudentSerializer,
    departments_visible_to,
)
from .api_support import ConflictError, id_filter, model_viewset_schema
from .models import Department, Student, Teacher, TeacherStatus
from .permissions import ADD, CHANGE, DELETE, VIEW, scope_queryset, user_can_place
from .viewsets import PROTECTED_MESSAGE, SCOPE_REFUSED

# --- Shared: the admin's permission steps ------------------------------------------------

ROLE_REFUSED = {
    ADD: _("Your role may not add %(records)s."),
    CHANGE: _("Your role may not change %(records)s."),
    DELETE: _("Your role may not delete %(records)s."),
}
# The history reason of API writes (the admin's are "admin create" / "admin edit").
REASON_CREATE = "api create"
REASON_EDIT = "api edit"

STUDENT_HAS_DOCUMENTS = _(
    "%(student)s has uploaded documents; delete them first, or "
    "discontinue the student instead of deleting the record."
)

ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}
CONFLICT = OpenApiResponse(
    response=ERROR_SCHEMA,
    description="The record's state forbids it (other records refer to it, "
    "already discontinued, ...).",
)
INVALID = OpenApiResponse(
    response=ERROR_SCHEMA,
    description="Invalid input: field_errors lists each field's messages.",
)


class RecordPolicyPermission(permissions.BasePermission):
    """The role's model permission for the action, asked of the admin's policy.

    Reading is always possible here: lists and details are narrowed to the
    user's scope instead (an empty list, a ``404``).
    """

    ACTIONS = {
        "create": ADD,
        "update": CHANGE,
        "partial_update": CHANGE,
        "discontinue": CHANGE,
        "reinstate": CHANGE,
        "destroy": DELETE,
    }

    def has_permission(self, request, view):
        policy_action = self.ACTIONS.get(view.action)
        if policy_action is None:
            return True
        model = view.record_model
        policy = policy_registry.get_by_type(model)
        if policy.user_has_permission(request.user, policy_action):
            return True
        self.message = ROLE_REFUSED[policy_action] % {
            "records": model._meta.verbose_name_plural
        }
        return False


class PolicyViewSetMixin:
    """Objects come from the scope of the action the request takes."""

    record_model: type
    permission_classes = [permissions.IsAuthenticated, RecordPolicyPermission]
    # Numeric ids only, so sibling routes (teachers/requests/, ...) are not shadowed.
    lookup_value_regex = r"[0-9]+"
    scope_actions = {"destroy": DELETE}

    def visible(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.record_model.objects.none()
        scope_action = RecordPolicyPermission.ACTIONS.get(self.action, VIEW)
        queryset = self.visible()
        if scope_action != VIEW:
            queryset = scope_queryset(self.request.user, queryset, scope_action)
        return queryset

    def check_placement(self, instance, action: str, field: str = "department"):
        """The admin's ScopedSaveMixin: the saved record stays inside the scope."""
        if not user_can_place(self.request.user, action, instance):
            raise exceptions.ValidationError({field: [SCOPE_REFUSED]})

    def delete_as_admin(self, instance) -> None:
        """ProtectedDeleteView: the activity entry and the delete, or a 409 saying why."""
        instance._history_user = self.request.user
        try:
            with transaction.atomic():
                record_deleted(instance, user=self.request.user)
                instance.delete()
        except (ProtectedError, RestrictedError) as exc:
            related = list(
                getattr(exc, "protected_objects", None)
                or getattr(exc, "restricted_objects", None)
                or []
            )
            raise ConflictError(
                PROTECTED_MESSAGE
                % {
                    "object": instance,
                    "count": len(related),
                    "examples": ", ".join(str(o) for o in related[:3]),
                }
            ) from None


def _with_values(instance, values: dict):
    """A copy of the instance with the new values, for the placement check."""
    candidate = copy.copy(instance)
    for name, value in values.items():
        setattr(candidate, name, value)
    return candidate


# --- Teachers -----------------------------------------------------------------------------


def teachers_visible_to(user) -> QuerySet[Teacher]:
    """Teachers the policy lets the user see (none for students and captains)."""
    if not user.has_perm("records.view_teacher"):
        return Teacher.objects.none()
    return scope_queryset(user, Teacher.objects.all(), VIEW)


class TeacherSerializer(serializers.ModelSerializer):
    """Property 10: the teacher's record, with the department."""

    department = DepartmentSummarySerializer(read_only=True)

    class Meta:
        model = Teacher
        fields = [
            "id",
            "full_name_english",
            "full_name_bangla",
            "designation",
            "department",
            "status",
            "joining_date",
            "mobile_number",
            "email",
            "qualifications",
            "specializations",
            "user",
        ]
        read_only_fields = fields


class TeacherWriteSerializer(serializers.ModelSerializer):
    """The fields of the admin's teacher form."""

    class Meta:
        model = Teacher
        fields = [
            "full_name_english",
            "full_name_bangla",
            "designation",
            "department",
            "status",
            "joining_date",
            "mobile_number",
            "email",
            "qualifications",
            "specializations",
        ]


class TeacherFilter(filters.FilterSet):
    department = id_filter("department_id")
    status = filters.ChoiceFilter(choices=TeacherStatus.choices)
    designation = filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Teacher
        fields = ["department", "status", "designation"]


TEACHER_WRITE_RESPONSES = {400: INVALID}


@extend_schema(tags=["teachers"])
@model_viewset_schema(
    read=TeacherSerializer,
    write=TeacherWriteSerializer,
    errors=TEACHER_WRITE_RESPONSES,
    destroy_errors={409: CONFLICT},
    summaries={
        "list": "List teachers",
        "retrieve": "A teacher's record",
        "create": "Add a teacher",
        "update": "Update a teacher",
        "partial_update": "Update some of a teacher's fields",
        "destroy": "Delete a teacher",
    },
)
class TeacherViewSet(PolicyViewSetMixin, viewsets.ModelViewSet):
    """Teachers: the admin's list, detail, add, edit and delete, with its rules.

    A head sees and manages every teacher; a registrar those of their
    departments; a teacher sees the teachers of the departments they teach in
    and changes only their own profile, without moving it to another department.
    """

    record_model = Teacher
    serializer_class = TeacherSerializer
    filterset_class = TeacherFilter
    search_fields = [
        "full_name_english",
        "full_name_bangla",
        "mobile_number",
        "email",
        "designation",
    ]
    ordering_fields = [
        "full_name_english",
        "designation",
        "joining_date",
        "status",
        "email",
    ]
    ordering = ["full_name_english", "pk"]

    def visible(self):
        return teachers_visible_to(self.request.user).select_related("department")

    def _answer(self, teacher, code=status.HTTP_200_OK):
        teacher = Teacher.objects.select_related("department").get(pk=teacher.pk)
        return Response(TeacherSerializer(teacher).data, status=code)

    def create(self, request, *args, **kwargs):
        data = TeacherWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        self.check_placement(Teacher(**values), ADD)
        teacher_status = values.pop("status", TeacherStatus.ACTIVE)
        with transaction.atomic():
            teacher = services.teacher_create(acting_user=request.user, **values)
            if teacher_status != teacher.status:
                teacher = services.teacher_update(
                    teacher=teacher, acting_user=request.user, status=teacher_status
                )
        return self._answer(teacher, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        teacher = self.get_object()
        data = TeacherWriteSerializer(
            teacher, data=request.data, partial=kwargs.get("partial", False)
        )
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        self.check_placement(_with_values(teacher, values), CHANGE)
        teacher = services.teacher_update(
            teacher=teacher, acting_user=request.user, **values
        )
        return self._answer(teacher)

    def destroy(self, request, *args, **kwargs):
        # The slots lose their teacher, and the teacher's account the slots'
        # grants (records.services.teacher_post_delete).
        self.delete_as_admin(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Students -----------------------------------------------------------------------------

STUDENT_WRITABLE = [
    field
    for field in StudentSerializer.Meta.fields
    if field
    not in {
        "id",
        "user",
        *services.STUDENT_READ_ONLY,
    }
]


class StudentWriteSerializer(serializers.ModelSerializer):
    """The fields of the admin's student form (numbers and status are Campusdesk's)."""

    class Meta:
        model = Student
        fields = STUDENT_WRITABLE


class DiscontinueSerializer(serializers.Serializer):
    reason = serializers.CharField(
        help_text="Why the student is discontinued (shown on the record and in "
        "the history)."
    )


STUDENT_WRITE_RESPONSES = {400: INVALID, 409: CONFLICT}


@extend_schema(tags=["students"])
@model_viewset_schema(
    read=StudentSerializer,
    write=StudentWriteSerializer,
    errors=STUDENT_WRITE_RESPONSES,
    destroy_errors={409: CONFLICT},
    summaries={
        "list": "List students",
        "retrieve": "A student's record",
        "create": "Admit a student (roll and registration numbers are generated)",
        "update": "Update a student",
        "partial_update": "Update some of a student's fields",
        "destroy": "Delete a student record",
    },
    discontinue=extend_schema(
        summary="Discontinue a student (a reason is required)",
        request=DiscontinueSerializer,
        responses={200: StudentSerializer, 400: INVALID, 409: CONFLICT},
    ),
    reinstate=extend_schema(
        summary="Reinstate a discontinued student",
        request=None,
        responses={200: StudentSerializer, 409: CONFLICT},
    ),
)
class StudentViewSet(StudentQueryMixin, PolicyViewSetMixin, viewsets.ModelViewSet):
    """Students: list (filters, search, ordering, pages), detail, and the admin's writes."""

    record_model = Student

    def visible(self):
        return self.students()

    def get_serializer_class(self):
        if self.action == "list":
            return StudentListSerializer
        return StudentSerializer

    def _answer(self, student, code=status.HTTP_200_OK):
        student = Student.objects.select_related("department", "session").get(
            pk=student.pk
        )
        return Response(StudentSerializer(student).data, status=code)

    def create(self, request, *args, **kwargs):
        data = StudentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        self.check_placement(Student(**values), ADD)
        student = services.student_create(
            acting_user=request.user, reason=REASON_CREATE, **values
        )
        return self._answer(student, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        student = self.get_object()
        data = StudentWriteSerializer(
            student, data=request.data, partial=kwargs.get("partial", False)
        )
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        self.check_placement(_with_values(student, values), CHANGE)
        student = services.student_update(
            student=student, acting_user=request.user, reason=REASON_EDIT, **values
        )
        return self._answer(student)

    def destroy(self, request, *args, **kwargs):
        student = self.get_object()
        if student.documents.exists():
            raise ConflictError(STUDENT_HAS_DOCUMENTS % {"student": student})
        self.delete_as_admin(student)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def discontinue(self, request, pk=None):
        student = self.get_object()
        data = DiscontinueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            student = services.student_discontinue(
                student=student,
                reason=data.validated_data["reason"],
                acting_user=request.user,
            )
        except DjangoValidationError as exc:
            # The service names the model field; the request's field is "reason".
            raise exceptions.ValidationError({"reason": exc.messages}) from None
        return self._answer(student)

    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        student = services.student_reinstate(
            student=self.get_object(), acting_user=request.user
        )
        return self._answer(student)


# --- Departments --------------------------------------------------------------------------


class DepartmentWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name", "name_bangla", "short_name", "head"]


DEPARTMENT_WRITE_RESPONSES = {400: INVALID}


@extend_schema(tags=["departments"])
@model_viewset_schema(
    read=DepartmentSerializer,
    write=DepartmentWriteSerializer,
    errors=DEPARTMENT_WRITE_RESPONSES,
    destroy_errors={409: CONFLICT},
    summaries={
        "list": "List departments",
        "retrieve": "A department",
        "create": "Add a department",
        "update": "Update a department",
        "partial_update": "Update some of a department's fields",
        "destroy": "Delete a department",
    },
)
class DepartmentViewSet(PolicyViewSetMixin, viewsets.ModelViewSet):
    """Departments: everyone with a right sees theirs; only the head writes."""

    record_model = Department
    serializer_class = DepartmentSerializer
    search_fields = ["code", "name", "short_name"]
    ordering_fields = ["code", "name"]
    ordering = ["name", "pk"]
    filterset_fields = ["code"]

    def visible(self):
        return departments_visible_to(self.request.user).select_related("head")

    def _answer(self, department, code=status.HTTP_200_OK):
        department = get_object_or_404(
            Department.objects.select_related("head"), pk=department.pk
        )
        return Response(DepartmentSerializer(department).data, status=code)

    def create(self, request, *args, **kwargs):
        data = DepartmentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        head = values.pop("head", None)
        with transaction.atomic():
            department = services.department_create(acting_user=request.user, **values)
            if head is not None:
                department = services.department_update(
                    reason=REASON_EDIT,
                    department=department,
                    acting_user=request.user,
                    head=head,
                )
        return self._answer(department, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        department = self.get_object()
        data = DepartmentWriteSerializer(
            department, data=request.data, partial=kwargs.get("partial", False)
        )
        data.is_valid(raise_exception=True)
        department = services.department_update(
            reason=REASON_EDIT,
            department=department,
            acting_user=request.user,
            **data.validated_data,
        )
        return self._answer(department)

    def destroy(self, request, *args, **kwargs):
        self.delete_as_admin(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


router = SimpleRouter()
router.register("teachers", TeacherViewSet, basename="teacher")
router.register("students", StudentViewSet, basename="student")
router.register("departments", DepartmentViewSet, basename="department")

urlpatterns = [*router.urls]
