"""The academic records REST API (/api/v1/): class routines, attendance, marks.

Seed 000 §4-§6. Every view asks the one permission policy the back office asks
(``records.permissions``), in the same order as the admin's views:

- a list holds what ``scope_queryset(user, ..., VIEW)`` returns, plus the
  user's own records (a student's attendance and marks, a teacher's own slots,
  a student's class routine): Property 12;
- an object outside that answers 404, as if it did not exist;
- a write needs, in the admin's order, the role's model right
  (``RecordPermissionPolicy``, else 403), the object right on the record
  (``user_can``, else 404), and must land inside the scope (``user_can_place``,
  else 400 with the admin's message), as ``records.viewsets``'
  ``ScopedObjectMixin`` / ``ScopedSaveMixin`` check;
- attendance for a class sitting needs ``take_attendance`` on the slot
  (``user_can_take_attendance``: the slot's teacher, the class's captains,
  registrars of the department, the head), the check of the back office's
  sheet and the captains' portal.

Writes go through ``records.services`` (validation, history, activity log,
summary tables), never raw ORM saves.
"""

from __future__ import annotations

import copy
from collections import Counter
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, ProtectedError, Q, QuerySet, RestrictedError, Sum
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from . import selectors, services
from .activity import record_deleted
from .api import (
    DepartmentSummarySerializer,
    SessionSummarySerializer,
    TeacherSummarySerializer,
    students_visible_to,
)
from .api_support import MAX_ID, ConflictError, model_viewset_schema
from .api_support import id_filter as _id_filter
from .filters import MARKS_BAND_CHOICES, MARKS_RESULT_CHOICES, MarksRecordFilterSet
from .models import (
    AcademicSession,
    AttendanceDaySummary,
    AttendanceRecord,
    ClassRoutine,
    Department,
    ExamType,
    MarksRecord,
    Semester,
    Shift,
    Student,
    Subject,
    Teacher,
    Weekday,
)
from .permissions import (
    ADD,
    CHANGE,
    DELETE,
    NOTHING,
    VIEW,
    RecordPermissionPolicy,
    scope_q,
    scope_queryset,
    user_can,
    user_can_place,
    user_can_take_attendance,
    user_scope,
)
from .selectors import SemesterResult, SubjectAttendance, SubjectResult
from .viewsets import SCOPE_REFUSED

NOT_ALLOWED = _("Your role may not %(action)s %(records)s.")
PROTECTED = _("%(object)s cannot be deleted: other records refer to it.")
DUPLICATE = _("This record conflicts with one saved at the same time; try again.")
SITTING_NOT_FOUND = _("No class routine slot you may take attendance for has this id.")
SITTING_DUPLICATES = _("These students are listed more than once: %(ids)s.")
SITTING_MISSING = _(
    "Every active student of the class must be listed; missing: %(ids)s."
)
ACTION_WORDS = {
    ADD: _("add"),
    CHANGE: _("change"),
    DELETE: _("delete"),
    VIEW: _("view"),
}


# --- The policy, as the admin's views ask it ------------------------------------------


def require_model_right(user, model, action: str) -> None:
    """The role's right on the record type (Wagtail's check in the admin): else 403."""
    if not RecordPermissionPolicy(model).user_has_permission(user, action):
        raise exceptions.PermissionDenied(
            NOT_ALLOWED
            % {
                "action": ACTION_WORDS[action],
                "records": model._meta.verbose_name_plural,
            }
        )


def require_object_right(user, instance, action: str) -> None:
    """The right on this object (``ScopedObjectMixin``): else 404, nothing leaks."""
    if not user_can(user, action, instance):
        raise exceptions.NotFound()


def require_placement(user, instance, action: str, field: str | None = None) -> None:
    """What is saved lands inside the user's scope (``ScopedSaveMixin``): else 400.

    The admin's refusal, as a form error: on ``field`` when given, else general.
    """
    if not user_can_place(user, action, instance):
        raise exceptions.ValidationError(
            {field: [SCOPE_REFUSED]} if field else [SCOPE_REFUSED]
        )


def _student_of(user) -> Student | None:
    return (
        Student.objects.filter(user_id=user.pk).first()
        if user.is_authenticated
        else None
    )


def own_routines_q(user) -> Q:
    """A teacher's own slots; a student's (or captain's) class group's active slots."""
    q = NOTHING
    teacher_id = user_scope(user).teacher_id
    if teacher_id:
        q |= Q(teacher_id=teacher_id)
    student = _student_of(user)
    if student is not None:
        q |= Q(
            is_active=True,
            department_id=student.department_id,
            semester=student.semester,
            shift=student.shift,
            session_id=student.session_id,
        )
    return q


def routines_visible_to(user) -> QuerySet[ClassRoutine]:
    routines = ClassRoutine.objects.all()
    own = routines.filter(own_routines_q(user))
    if not user.has_perm("records.view_classroutine"):
        return own
    return scope_queryset(user, routines, VIEW) | own


def records_visible_to(user, model) -> QuerySet:
    """Attendance or marks the user may see: the policy's scope plus their own."""
    records = model.objects.all()
    own = records.filter(student__user_id=user.pk)
    if not user.has_perm(f"records.view_{model._meta.model_name}"):
        return own
    return scope_queryset(user, records, VIEW) | own


def _save(service, **kwargs):
    """Call a service; a unique row written meanwhile by another request is 409."""
    try:
        with transaction.atomic():
            return service(**kwargs)
    except IntegrityError:
        raise ConflictError(DUPLICATE) from None


def _destroy(user, instance) -> None:
    """Delete as the admin's ProtectedDeleteView does: activity entry, then delete."""
    try:
        with transaction.atomic():
            record_deleted(instance, user=user)
            instance._history_user = user
            instance.delete()
    except (ProtectedError, RestrictedError):
        raise ConflictError(PROTECTED % {"object": instance}) from None


# --- Small nested shapes ------------------------------------------------------------


class SubjectRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class StudentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name_english = serializers.CharField()
    current_roll_number = serializers.CharField()


# --- Class routines (seed 000 §4) ----------------------------------------------------


class ClassRoutineSerializer(serializers.ModelSerializer):
    department = DepartmentSummarySerializer(read_only=True)
    session = SessionSummarySerializer(read_only=True)
    subject = SubjectRefSerializer(read_only=True)
    teacher = TeacherSummarySerializer(read_only=True, allow_null=True)
    day_name = serializers.CharField(source="get_day_of_week_display", read_only=True)

    class Meta:
        model = ClassRoutine
        fields = [
            "id",
            "department",
            "semester",
            "shift",
            "session",
            "day_of_week",
            "day_name",
            "start_time",
            "end_time",
            "subject",
            "teacher",
            "room_number",
            "is_active",
        ]
        read_only_fields = fields


class ClassRoutineWriteSerializer(serializers.ModelSerializer):
    """A slot as written: related records by id; clashes are checked by the service."""

    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    session = serializers.PrimaryKeyRelatedField(queryset=AcademicSession.objects.all())
    subject = serializers.PrimaryKeyRelatedField(queryset=Subject.objects.all())
    teacher = serializers.PrimaryKeyRelatedField(
        queryset=Teacher.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = ClassRoutine
        fields = [
            "department",
            "semester",
            "shift",
            "session",
            "day_of_week",
            "start_time",
            "end_time",
            "subject",
            "teacher",
            "room_number",
            "is_active",
        ]
        validators: list = []  # the model's clean and constraints, via the service


class ClassRoutineFilter(filters.FilterSet):
    department = _id_filter("department_id", "Department id")
    semester = filters.ChoiceFilter(choices=Semester.choices)
    shift = filters.ChoiceFilter(choices=Shift.choices)
    session = _id_filter("session_id", "Session id")
    day_of_week = filters.ChoiceFilter(
        choices=Weekday.choices, help_text="0 Sunday ... 4 Thursday"
    )
    teacher = _id_filter("teacher_id", "Teacher id")
    subject = _id_filter("subject_id", "Subject id")
    room_number = filters.CharFilter(lookup_expr="iexact")
    is_active = filters.BooleanFilter()

    class Meta:
        model = ClassRoutine
        fields = [
            "department",
            "semester",
            "shift",
            "session",
            "day_of_week",
            "teacher",
            "subject",
            "room_number",
            "is_active",
        ]


ROUTINE_RELATIONS = ("department", "session", "subject", "teacher")


@extend_schema_view(
    list=extend_schema(summary="List class routine slots"),
    retrieve=extend_schema(summary="A class routine slot"),
    destroy=extend_schema(summary="Delete a class routine slot", responses={204: None}),
)
@extend_schema(tags=["class-routines"])
class ClassRoutineViewSet(viewsets.ModelViewSet):
    """Weekly class slots; writes check clashes (room, teacher, class group)."""

    serializer_class = ClassRoutineSerializer
    filterset_class = ClassRoutineFilter
    lookup_value_regex = r"\d+"
    search_fields = [
        "subject__code",
        "subject__name",
        "room_number",
        "teacher__full_name_english",
        "teacher__full_name_bangla",
    ]
    ordering_fields = [
        "day_of_week",
        "start_time",
        "semester",
        "shift",
        "room_number",
        "department__code",
        "subject__code",
    ]
    ordering = ["department__code", "semester", "shift", "day_of_week", "start_time"]
    queryset = ClassRoutine.objects.none()  # the schema's model; see get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ClassRoutine.objects.none()
        return routines_visible_to(self.request.user).select_related(*ROUTINE_RELATIONS)

    def _answer(self, routine, code=status.HTTP_200_OK) -> Response:
        routine = ClassRoutine.objects.select_related(*ROUTINE_RELATIONS).get(
            pk=routine.pk
        )
        return Response(ClassRoutineSerializer(routine).data, status=code)

    @extend_schema(
        summary="Create a class routine slot",
        request=ClassRoutineWriteSerializer,
        responses={201: ClassRoutineSerializer},
    )
    def create(self, request, *args, **kwargs):
        require_model_right(request.user, ClassRoutine, ADD)
        data = ClassRoutineWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require_placement(
            request.user, ClassRoutine(**data.validated_data), ADD, "department"
        )
        routine = _save(
            services.routine_create, acting_user=request.user, **data.validated_data
        )
        return self._answer(routine, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace a class routine slot",
        request=ClassRoutineWriteSerializer,
        responses={200: ClassRoutineSerializer},
    )
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        require_model_right(request.user, ClassRoutine, CHANGE)
        routine = self.get_object()
        require_object_right(request.user, routine, CHANGE)
        data = ClassRoutineWriteSerializer(routine, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        moved = copy.copy(routine)
        for name, value in data.validated_data.items():
            setattr(moved, name, value)
        require_placement(request.user, moved, CHANGE, "department")
        routine = _save(
            services.routine_update,
            routine=routine,
            acting_user=request.user,
            **data.validated_data,
        )
        return self._answer(routine)

    @extend_schema(
        summary="Change some fields of a class routine slot",
        request=ClassRoutineWriteSerializer,
        responses={200: ClassRoutineSerializer},
    )
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        require_model_right(request.user, ClassRoutine, DELETE)
        routine = self.get_object()
        require_object_right(request.user, routine, DELETE)
        _destroy(request.user, routine)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="My routine: a teacher's slots, a student's class group's slots",
        description=(
            "Active slots, Sunday to Thursday, by start time. A teacher gets the "
            "slots they teach; a student or captain their class group's. Without "
            "`session` the current session's slots (all, if no session is current)."
        ),
        parameters=[
            OpenApiParameter("session", int, description="Session id"),
        ],
        responses=ClassRoutineSerializer(many=True),
        filters=False,
    )
    @action(
        detail=False,
        url_path="my-routine",
        pagination_class=None,
        filter_backends=[],
    )
    def my_routine(self, request):
        routines = ClassRoutine.objects.active().filter(own_routines_q(request.user))
        session = request.query_params.get("session")
        if session:
            if not session.isdigit() or not 0 < int(session) <= MAX_ID:
                raise exceptions.ValidationError(
                    {"session": [_("Enter a whole number.")]}
                )
            routines = routines.filter(session_id=int(session))
        else:
            current = selectors.academic_session_current()
            if current is not None:
                routines = routines.filter(session=current)
        routines = routines.select_related(*ROUTINE_RELATIONS).order_by(
            "day_of_week", "start_time", "pk"
        )
        return Response(ClassRoutineSerializer(routines, many=True).data)


# --- Attendance (seed 000 §5) --------------------------------------------------------


class AttendanceRecordSerializer(serializers.ModelSerializer):
    student = StudentRefSerializer(read_only=True)
    subject = SubjectRefSerializer(read_only=True)
    recorded_by = serializers.CharField(
        source="recorded_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = AttendanceRecord
        fields = [
            "id",
            "student",
            "subject",
            "semester",
            "date",
            "is_present",
            "notes",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class VisibleStudentField(serializers.PrimaryKeyRelatedField):
    """A student id the user may see (others "do not exist")."""

    def get_queryset(self):
        return students_visible_to(self.context["request"].user)


class RecordWriteSerializer(serializers.ModelSerializer):
    """Attendance or marks as written; ``semester`` defaults to the subject's."""

    student = VisibleStudentField()
    subject = serializers.PrimaryKeyRelatedField(queryset=Subject.objects.all())

    def validate(self, attrs):
        if not attrs.get("semester") and attrs.get("subject") is not None:
            if self.instance is None or "subject" in attrs:
                attrs["semester"] = attrs["subject"].semester
        return attrs


class AttendanceWriteSerializer(RecordWriteSerializer):
    class Meta:
        model = AttendanceRecord
        fields = ["student", "subject", "semester", "date", "is_present", "notes"]
        extra_kwargs = {"semester": {"required": False}}
        validators: list = []  # the model's constraint message, via full_clean


class SittingRecordSerializer(serializers.Serializer):
    student = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    is_present = serializers.BooleanField()
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Omitted: the note stored for the student is kept.",
    )


class AttendanceSittingSerializer(serializers.Serializer):
    routine = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    date = serializers.DateField()
    records = SittingRecordSerializer(many=True, allow_empty=False)


class SittingResultSerializer(serializers.Serializer):
    routine = serializers.IntegerField()
    date = serializers.DateField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    present = serializers.IntegerField()
    absent = serializers.IntegerField()


class AttendanceRateSerializer(serializers.Serializer):
    present = serializers.IntegerField()
    absent = serializers.IntegerField()
    total = serializers.IntegerField()
    rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="present / total x 100 (Property 17); null without records.",
    )


class SubjectAttendanceRateSerializer(AttendanceRateSerializer):
    semester = serializers.IntegerField()
    subject = SubjectRefSerializer()


class StudentAttendanceSummarySerializer(AttendanceRateSerializer):
    subjects = SubjectAttendanceRateSerializer(many=True)


class AttendanceSummaryRowSerializer(AttendanceRateSerializer):
    subject = SubjectRefSerializer(required=False)
    department = DepartmentSummarySerializer(required=False)
    semester = serializers.IntegerField(required=False)
    shift = serializers.CharField(required=False)
    session = SessionSummarySerializer(required=False)


class AttendanceGroupedSummarySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=["subject", "class_group"])
    total = AttendanceRateSerializer()
    rows = AttendanceSummaryRowSerializer(many=True)


def rate_of(present: int, total: int) -> dict:
    rate = SubjectAttendance("", "", present, total).percentage if total else None
    return {"present": present, "absent": total - present, "total": total, "rate": rate}


class AttendanceFilter(filters.FilterSet):
    student = _id_filter("student_id", "Student id")
    routine = _id_filter(
        "subject_id", "Class routine slot id: its sittings", method="filter_routine"
    )
    subject = _id_filter("subject_id", "Subject id")
    department = _id_filter("student__department_id", "Department id")
    semester = filters.ChoiceFilter(choices=Semester.choices)
    shift = filters.ChoiceFilter(field_name="student__shift", choices=Shift.choices)
    session = _id_filter("student__session_id", "Session id")
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")
    is_present = filters.BooleanFilter()
    roll = filters.CharFilter(
        field_name="student__current_roll_number", lookup_expr="icontains"
    )

    class Meta:
        model = AttendanceRecord
        fields = [
            "student",
            "routine",
            "subject",
            "department",
            "semester",
            "shift",
            "session",
            "date_from",
            "date_to",
            "is_present",
            "roll",
        ]

    def filter_routine(self, queryset, name, value):
        """The slot's subject and class group (the records of its sittings)."""
        routine = (
            ClassRoutine.objects.filter(pk=value)
            .values("subject_id", "semester", "shift", "session_id")
            .first()
        )
        if routine is None:
            return queryset.none()
        return queryset.filter(
            subject_id=routine["subject_id"],
            semester=routine["semester"],
            student__shift=routine["shift"],
            student__session_id=routine["session_id"],
        )


RECORD_RELATIONS = ("student", "subject", "recorded_by")
STUDENT_ID = OpenApiParameter(
    "student_id", int, OpenApiParameter.PATH, description="Student id"
)


class RecordViewSetMixin:
    """Shared by attendance and marks: scope, object checks, the write path."""

    model: type
    write_serializer_class: type
    service = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return records_visible_to(self.request.user, self.model).select_related(
            *RECORD_RELATIONS
        )

    def _answer(self, record, code=status.HTTP_200_OK) -> Response:
        record = self.model.objects.select_related(*RECORD_RELATIONS).get(pk=record.pk)
        return Response(self.get_serializer(record).data, status=code)

    def _write(self, record, data: dict, action_name: str):
        for name, value in data.items():
            setattr(record, name, value)
        require_placement(self.request.user, record, action_name)
        return _save(type(self).service, record=record, acting_user=self.request.user)

    def create(self, request, *args, **kwargs):
        require_model_right(request.user, self.model, ADD)
        data = self.write_serializer_class(
            data=request.data, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        record = self._write(self.model(), data.validated_data, ADD)
        return self._answer(record, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        require_model_right(request.user, self.model, CHANGE)
        record = self.get_object()
        require_object_right(request.user, record, CHANGE)
        data = self.write_serializer_class(
            record,
            data=request.data,
            partial=partial,
            context=self.get_serializer_context(),
        )
        data.is_valid(raise_exception=True)
        record = self._write(record, data.validated_data, CHANGE)
        return self._answer(record)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def visible_student(self, student_id) -> Student:
        return get_object_or_404(
            students_visible_to(self.request.user).select_related(
                "department", "session"
            ),
            pk=student_id,
        )


@model_viewset_schema(
    read=AttendanceRecordSerializer,
    write=AttendanceWriteSerializer,
    summaries={
        "list": "List attendance records",
        "retrieve": "An attendance record",
        "create": "Record attendance (one student, one class)",
        "update": "Replace an attendance record",
        "partial_update": "Change an attendance record",
    },
)
@extend_schema(tags=["attendance"])
class AttendanceViewSet(
    RecordViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Attendance records; ``bulk`` saves a whole class sitting at once."""

    model = AttendanceRecord
    serializer_class = AttendanceRecordSerializer
    write_serializer_class = AttendanceWriteSerializer
    service = staticmethod(services.attendance_record_save)
    filterset_class = AttendanceFilter
    lookup_value_regex = r"\d+"
    queryset = AttendanceRecord.objects.none()
    search_fields = [
        "student__full_name_english",
        "student__full_name_bangla",
        "student__current_roll_number",
        "subject__code",
    ]
    ordering_fields = [
        "date",
        "student__current_roll_number",
        "subject__code",
        "is_present",
        "recorded_at",
    ]
    ordering = ["-date", "subject__code", "student__current_roll_number", "pk"]

    @extend_schema(
        summary="Attendance of one class sitting (all or nothing)",
        description=(
            "Every active student of the slot's class group, once each. Re-posting "
            "the same slot and date updates the stored records, never duplicates "
            "them. A record without `note` keeps the note stored for the student."
        ),
        request=AttendanceSittingSerializer,
        responses={200: SittingResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="bulk", filter_backends=[])
    def bulk(self, request):
        data = AttendanceSittingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sitting = data.validated_data
        routine = (
            ClassRoutine.objects.select_related("department", "subject", "session")
            .filter(pk=sitting["routine"])
            .first()
        )
        if routine is None or not user_can_take_attendance(request.user, routine):
            raise exceptions.NotFound(SITTING_NOT_FOUND)
        day = sitting["date"]
        rows = sitting["records"]
        listed = [row["student"] for row in rows]
        problems = []
        repeated = sorted(i for i, n in Counter(listed).items() if n > 1)
        if repeated:
            problems.append(SITTING_DUPLICATES % {"ids": _ids(repeated)})
        ids = set(
            selectors.class_group_students(routine=routine).values_list("pk", flat=True)
        )
        unknown = sorted(set(listed) - ids)
        if unknown:
            problems.append(services.SHEET_UNKNOWN_STUDENTS % {"ids": _ids(unknown)})
        missing = sorted(ids - set(listed))
        if missing:
            problems.append(SITTING_MISSING % {"ids": _ids(missing)})
        if problems:
            raise exceptions.ValidationError({"records": [str(p) for p in problems]})
        notes = dict(
            selectors.attendance_for_sitting(routine=routine, day=day).values_list(
                "student_id", "notes"
            )
        )
        notes.update({row["student"]: row["note"] for row in rows if "note" in row})
        try:
            result = _save(
                services.attendance_sheet_save,
                routine=routine,
                day=day,
                present={row["student"]: row["is_present"] for row in rows},
                notes=notes,
                acting_user=request.user,
            )
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise
            raise exceptions.ValidationError({"records": exc.messages}) from None
        return Response(
            {
                "routine": routine.pk,
                "date": day.isoformat(),
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "present": result.present,
                "absent": result.absent,
            }
        )

    @extend_schema(
        summary="A student's attendance, with a summary",
        description=(
            "The records the user may see of one student (a page of them) and, over "
            "all of those that match the filters, present / total / rate overall "
            "and per semester and subject (Property 17)."
        ),
        parameters=[
            STUDENT_ID,
            OpenApiParameter("page", int, description="Page number"),
            OpenApiParameter("page_size", int, description="Up to 100"),
        ],
        filters=True,
        responses=inline_serializer(
            "PaginatedStudentAttendance",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": AttendanceRecordSerializer(many=True),
                "summary": StudentAttendanceSummarySerializer(),
            },
        ),
    )
    @action(detail=False, url_path=r"student/(?P<student_id>\d+)")
    def student(self, request, student_id=None):
        student = self.visible_student(student_id)
        records = self.filter_queryset(self.get_queryset().filter(student=student))
        summary = self.student_summary(records)
        page = self.paginate_queryset(records)
        response = self.get_paginated_response(
            self.get_serializer(page, many=True).data
        )
        response.data["summary"] = StudentAttendanceSummarySerializer(summary).data
        return response

    def student_summary(self, records) -> dict:
        """selectors.student_attendance_summary's figures, over the visible records."""
        rows = list(
            records.order_by()
            .values("semester", "subject_id", "subject__code", "subject__name")
            .annotate(total=Count("id"), present=Count("id", filter=Q(is_present=True)))
            .order_by("semester", "subject__code")
        )
        subjects = [
            {
                "semester": row["semester"],
                "subject": {
                    "id": row["subject_id"],
                    "code": row["subject__code"],
                    "name": row["subject__name"],
                },
                **rate_of(row["present"], row["total"]),
            }
            for row in rows
        ]
        present = sum(row["present"] for row in rows)
        total = sum(row["total"] for row in rows)
        return {**rate_of(present, total), "subjects": subjects}

    @extend_schema(
        summary="Attendance summary by subject or class group",
        description=(
            "Present / total / rate over the attendance the user may see, grouped "
            "by subject or by class group (department, semester, shift, session). "
            "Read from the dashboards' summary table, so the figures equal the "
            "dashboards'."
        ),
        parameters=[
            OpenApiParameter(
                "group_by", str, enum=["subject", "class_group"], default="subject"
            ),
            OpenApiParameter("department", int),
            OpenApiParameter("semester", int, enum=list(Semester.values)),
            OpenApiParameter("shift", str, enum=list(Shift.values)),
            OpenApiParameter("session", int),
            OpenApiParameter("subject", int),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
        ],
        responses=AttendanceGroupedSummarySerializer,
        filters=False,
    )
    @action(detail=False, url_path="summary", filter_backends=[], pagination_class=None)
    def summary(self, request):
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        group_by = values.get("group_by") or "subject"
        rows = attendance_summary_rows(request.user, values, group_by)
        present = sum(r["present"] for r in rows)
        total = sum(r["total"] for r in rows)
        summary = {
            "group_by": group_by,
            "total": rate_of(present, total),
            "rows": _label_rows(rows, group_by),
        }
        return Response(AttendanceGroupedSummarySerializer(summary).data)


def _ids(ids) -> str:
    return ", ".join(str(i) for i in ids)


class SummaryQuerySerializer(serializers.Serializer):
    """The summary's query parameters (bad values: 400 with field_errors)."""

    group_by = serializers.ChoiceField(
        choices=["subject", "class_group"], required=False
    )
    department = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    semester = serializers.ChoiceField(choices=Semester.choices, required=False)
    shift = serializers.ChoiceField(choices=Shift.choices, required=False)
    session = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    subject = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


# The policy's attendance filter, moved onto the summary table's columns (the
# table holds the student's current department, shift and session).
_SUMMARY_PATHS = {
    "student__department__in": "department__in",
    "student__department_id__in": "department_id__in",
    "subject_id": "subject_id",
    "student__shift": "shift",
    "student__session_id": "session_id",
    "pk__in": "pk__in",
}


def _on_summary_table(q: Q) -> Q | None:
    """``q`` over AttendanceDaySummary, or None when a term has no column there."""
    moved = copy.copy(q)
    moved.children = []
    for child in q.children:
        if isinstance(child, Q):
            sub = _on_summary_table(child)
            if sub is None:
                return None
            moved.children.append(sub)
            continue
        key, value = child
        if key not in _SUMMARY_PATHS or (key == "pk__in" and list(value)):
            return None
        moved.children.append((_SUMMARY_PATHS[key], value))
    return moved


SUMMARY_FILTERS = {
    # name: (summary table path, raw record path)
    "department": ("department_id", "student__department_id"),
    "semester": ("semester", "semester"),
    "shift": ("shift", "student__shift"),
    "session": ("session_id", "student__session_id"),
    "subject": ("subject_id", "subject_id"),
    "date_from": ("date__gte", "date__gte"),
    "date_to": ("date__lte", "date__lte"),
}
GROUPS = {
    # alias: (summary table path, raw record path)
    "subject": {"g_subject": ("subject_id", "subject_id")},
    "class_group": {
        "g_department": ("department_id", "student__department_id"),
        "g_semester": ("semester", "semester"),
        "g_shift": ("shift", "student__shift"),
        "g_session": ("session_id", "student__session_id"),
    },
}


def attendance_summary_rows(user, values: dict, group_by: str) -> list[dict]:
    """Grouped present/total of the attendance the user may see.

    Staff read the summary table through the policy's filter; a student (or a
    scope the table cannot express) aggregates the raw records the same way.
    """
    q = (
        scope_q(user, "attendancerecord", VIEW)
        if user.has_perm("records.view_attendancerecord")
        else None
    )
    on_table = _on_summary_table(q) if q is not None else None
    raw = on_table is None
    if raw:
        qs = records_visible_to(user, AttendanceRecord)
        totals = {
            "present": Count("pk", filter=Q(is_present=True)),
            "total": Count("pk"),
        }
    else:
        qs = AttendanceDaySummary.objects.filter(on_table)
        totals = {"present": Sum("present"), "total": Sum("total")}
    which = 1 if raw else 0
    for name, paths in SUMMARY_FILTERS.items():
        if name in values:
            qs = qs.filter(**{paths[which]: values[name]})
    keys = {alias: F(paths[which]) for alias, paths in GROUPS[group_by].items()}
    return list(
        qs.order_by()
        .values(**keys)
        .annotate(**totals)
        .values(*keys, "present", "total")
    )


def _label_rows(rows: list[dict], group_by: str) -> list[dict]:
    if group_by == "subject":
        subjects = {
            s["id"]: s
            for s in Subject.objects.filter(
                pk__in={r["g_subject"] for r in rows}
            ).values("id", "code", "name")
        }
        labelled = [
            {"subject": subjects[r["g_subject"]], **rate_of(r["present"], r["total"])}
            for r in rows
        ]
        return sorted(labelled, key=lambda r: r["subject"]["code"])
    departments = {
        d["id"]: d
        for d in Department.objects.filter(
            pk__in={r["g_department"] for r in rows}
        ).values("id", "code", "name")
    }
    sessions = {
        s["id"]: s
        for s in AcademicSession.objects.filter(
            pk__in={r["g_session"] for r in rows}
        ).values("id", "name")
    }
    labelled = [
        {
            "department": departments[r["g_department"]],
            "semester": r["g_semester"],
            "shift": r["g_shift"],
            "session": sessions[r["g_session"]],
            **rate_of(r["present"], r["total"]),
        }
        for r in rows
    ]
    return sorted(
        labelled,
        key=lambda r: (
            r["department"]["code"],
            r["semester"],
            r["shift"],
            r["session"]["name"],
        ),
    )


# --- Marks (seed 000 §6) -----------------------------------------------------------


class MarksRecordSerializer(serializers.ModelSerializer):
    student = StudentRefSerializer(read_only=True)
    subject = SubjectRefSerializer(read_only=True)
    percentage = serializers.DecimalField(
        max_digits=6, decimal_places=2, read_only=True
    )
    passed = serializers.SerializerMethodField(
        help_text="Percentage of 40 or more (the dashboards' pass rule)."
    )
    recorded_by = serializers.CharField(
        source="recorded_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = MarksRecord
        fields = [
            "id",
            "student",
            "subject",
            "semester",
            "exam_type",
            "marks_obtained",
            "total_marks",
            "percentage",
            "passed",
            "remarks",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_passed(self, record) -> bool:
        from .summaries import PASS_PERCENTAGE

        return record.marks_obtained * 100 >= record.total_marks * PASS_PERCENTAGE


class MarksWriteSerializer(RecordWriteSerializer):
    class Meta:
        model = MarksRecord
        fields = [
            "student",
            "subject",
            "semester",
            "exam_type",
            "marks_obtained",
            "total_marks",
            "remarks",
        ]
        extra_kwargs = {"semester": {"required": False}}
        validators: list = []


class MarksFilter(filters.FilterSet):
    student = _id_filter("student_id", "Student id")
    subject = _id_filter("subject_id", "Subject id")
    exam_type = filters.ChoiceFilter(choices=ExamType.choices)
    department = _id_filter("student__department_id", "Department id")
    semester = filters.ChoiceFilter(choices=Semester.choices)
    shift = filters.ChoiceFilter(field_name="student__shift", choices=Shift.choices)
    session = _id_filter("student__session_id", "Session id")
    result = filters.ChoiceFilter(
        choices=MARKS_RESULT_CHOICES,
        method="filter_result",
        help_text="pass: 40% or more",
    )
    band = filters.ChoiceFilter(
        choices=MARKS_BAND_CHOICES,
        method="filter_band",
        help_text="floor(percentage / 10); 100% in band 9",
    )
    roll = filters.CharFilter(
        field_name="student__current_roll_number", lookup_expr="icontains"
    )

    class Meta:
        model = MarksRecord
        fields = [
            "student",
            "subject",
            "exam_type",
            "department",
            "semester",
            "shift",
            "session",
            "result",
            "band",
            "roll",
        ]

    # The back office's own filters (one definition of pass and of the bands).
    filter_result = MarksRecordFilterSet.filter_result
    filter_band = MarksRecordFilterSet.filter_band


class MarksSubjectResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    credit = serializers.DecimalField(max_digits=4, decimal_places=1)
    obtained = serializers.DecimalField(max_digits=8, decimal_places=2)
    total = serializers.DecimalField(max_digits=8, decimal_places=2)
    percentage = serializers.DecimalField(max_digits=6, decimal_places=2)
    grade = serializers.CharField()
    grade_point = serializers.DecimalField(max_digits=3, decimal_places=2)
    exams = serializers.DictField(
        child=serializers.ListField(
            child=serializers.DecimalField(max_digits=6, decimal_places=2)
        ),
        help_text="exam type: [obtained, total]",
    )


class MarksSemesterResultSerializer(serializers.Serializer):
    semester = serializers.IntegerField()
    gpa = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    complete = serializers.BooleanField()
    passed = serializers.BooleanField(allow_null=True)
    subjects = MarksSubjectResultSerializer(many=True)


class StudentMarksSerializer(serializers.Serializer):
    student = StudentRefSerializer()
    partial = serializers.BooleanField(
        help_text="True when the user sees only some of the student's marks (a "
        "teacher: their classes); semesters then carry no GPA or verdict."
    )
    records = MarksRecordSerializer(many=True)
    results = MarksSemesterResultSerializer(many=True)


def _result_json(result: SemesterResult, partial: bool) -> dict:
    return {
        "semester": result.semester,
        "gpa": None if partial else result.gpa,
        "complete": result.complete,
        "passed": None if partial else result.passed,
        "subjects": [
            {
                "code": s.code,
                "name": s.name,
                "credit": s.credit,
                "obtained": s.obtained,
                "total": s.total,
                "percentage": s.percentage,
                "grade": s.grade,
                "grade_point": s.grade_point,
                "exams": {k: list(v) for k, v in s.exams.items()},
            }
            for s in result.subjects
        ],
    }


def partial_results(marks: list[MarksRecord]) -> list[SemesterResult]:
    """Per-subject results (the same SubjectResult rules) of only these marks."""
    by_semester: dict[int, dict[int, SubjectResult]] = {}
    for mark in sorted(marks, key=lambda m: (m.semester, m.subject.code)):
        subjects = by_semester.setdefault(mark.semester, {})
        result = subjects.get(mark.subject_id)
        if result is None:
            result = subjects[mark.subject_id] = SubjectResult(
                code=mark.subject.code,
                name=mark.subject.name,
                credit=mark.subject.credits,
                obtained=Decimal("0"),
                total=Decimal("0"),
                exams={},
            )
        result.obtained += mark.marks_obtained
        result.total += mark.total_marks
        result.exams[mark.exam_type] = (mark.marks_obtained, mark.total_marks)
    return [
        SemesterResult(
            semester=n, subjects=list(by_semester[n].values()), complete=False
        )
        for n in sorted(by_semester)
    ]


class GridEntrySerializer(serializers.Serializer):
    student = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    marks_obtained = serializers.CharField(
        allow_null=True,
        allow_blank=True,
        max_length=20,
        help_text="A number (Bangla digits too); blank or null leaves the stored mark.",
    )
    remarks = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Omitted: the stored remark is kept.",
    )


class MarksGridSerializer(serializers.Serializer):
    subject = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    exam_type = serializers.ChoiceField(choices=ExamType.choices)
    shift = serializers.ChoiceField(choices=Shift.choices)
    session = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    total_marks = serializers.DecimalField(max_digits=5, decimal_places=2)
    entries = GridEntrySerializer(many=True, allow_empty=False)


class MarksGridResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    blank = serializers.IntegerField()


GRID_DUPLICATES = _("This student is listed more than once.")


@model_viewset_schema(
    read=MarksRecordSerializer,
    write=MarksWriteSerializer,
    summaries={
        "list": "List marks records",
        "retrieve": "A marks record",
        "create": "Record marks",
        "update": "Replace a marks record",
        "partial_update": "Change a marks record",
        "destroy": "Delete a marks record",
    },
)
@extend_schema(tags=["marks"])
class MarksViewSet(RecordViewSetMixin, viewsets.ModelViewSet):
    model = MarksRecord
    serializer_class = MarksRecordSerializer
    write_serializer_class = MarksWriteSerializer
    service = staticmethod(services.marks_record_save)
    filterset_class = MarksFilter
    lookup_value_regex = r"\d+"
    queryset = MarksRecord.objects.none()
    search_fields = [
        "student__full_name_english",
        "student__full_name_bangla",
        "student__current_roll_number",
        "subject__code",
    ]
    ordering_fields = [
        "student__current_roll_number",
        "semester",
        "subject__code",
        "exam_type",
        "marks_obtained",
        "recorded_at",
    ]
    ordering = [
        "student__current_roll_number",
        "semester",
        "subject__code",
        "exam_type",
        "pk",
    ]

    def destroy(self, request, *args, **kwargs):
        require_model_right(request.user, MarksRecord, DELETE)
        record = self.get_object()
        require_object_right(request.user, record, DELETE)
        _destroy(request.user, record)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Marks of one exam for a whole class (all or nothing)",
        description=(
            "The back office's Marks entry grid: one subject's exam for a class "
            "group (the subject's department and semester, `shift`, `session`). "
            "Every entry is checked first; any bad cell answers 400 (under "
            "`entries.<index>.marks_obtained`) and nothing is saved. A blank mark "
            "leaves the stored one; re-posting updates, never duplicates."
        ),
        request=MarksGridSerializer,
        responses={200: MarksGridResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="grid", filter_backends=[])
    def grid(self, request):
        from .entry_forms import MarksGridForm
        from .permissions import routines_for_marks

        require_model_right(request.user, MarksRecord, ADD)
        require_model_right(request.user, MarksRecord, CHANGE)
        data = MarksGridSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grid = data.validated_data
        allowed = set(
            routines_for_marks(request.user, ClassRoutine.objects.all())
            .values_list("subject_id", "shift")
            .distinct()
        )
        form = MarksGridForm(
            {
                name: grid[name]
                for name in ("subject", "exam_type", "shift", "session", "total_marks")
            },
            allowed_classes=allowed,
        )
        if not form.is_valid():  # the screen's own checks: the class is the user's
            raise exceptions.ValidationError(form.errors)
        choice = form.cleaned_data
        entries = grid["entries"]
        index = {}
        errors = {}
        for n, entry in enumerate(entries):
            if entry["student"] in index:
                errors[f"entries.{n}.student"] = [GRID_DUPLICATES]
            index.setdefault(entry["student"], n)
        if errors:
            raise exceptions.ValidationError(errors)
        remarks = dict(
            selectors.marks_for_grid(
                subject=choice["subject"],
                exam_type=choice["exam_type"],
                student_ids=list(index),
            ).values_list("student_id", "remarks")
        )
        remarks.update({e["student"]: e["remarks"] for e in entries if "remarks" in e})
        try:
            result = _save(
                services.marks_grid_save,
                subject=choice["subject"],
                exam_type=choice["exam_type"],
                shift=choice["shift"],
                session=choice["session"],
                total_marks=choice["total_marks"],
                entries={e["student"]: e["marks_obtained"] or "" for e in entries},
                remarks=remarks,
                acting_user=request.user,
            )
        except services.MarksGridError as exc:
            raise exceptions.ValidationError(
                {
                    f"entries.{index[student_id]}.marks_obtained": [message]
                    for student_id, message in sorted(exc.cell_errors.items())
                }
            ) from None
        return Response(
            MarksGridResultSerializer(
                {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "blank": result.blank,
                }
            ).data
        )

    @extend_schema(
        summary="A student's marks and results",
        description=(
            "The marks the user may see of one student, and per semester and "
            "subject the result: percentage, grade and grade point (the portal's "
            "rules); GPA and pass when the user sees all of the student's marks."
        ),
        parameters=[STUDENT_ID],
        responses=StudentMarksSerializer,
        filters=False,
    )
    @action(
        detail=False,
        url_path=r"student/(?P<student_id>\d+)",
        filter_backends=[],
        pagination_class=None,
    )
    def student(self, request, student_id=None):
        student = self.visible_student(student_id)
        marks = list(
            self.get_queryset()
            .filter(student=student)
            .order_by("semester", "subject__code", "exam_type", "pk")
        )
        partial = len(marks) != MarksRecord.objects.filter(student=student).count()
        results = (
            partial_results(marks)
            if partial
            else selectors.student_semester_results(student=student)
        )
        answer = {
            "student": student,
            "partial": partial,
            "records": marks,
            "results": [_result_json(r, partial) for r in results],
        }
        return Response(StudentMarksSerializer(answer).data)


router = SimpleRouter()
router.register("class-routines", ClassRoutineViewSet, basename="class-routine")
router.register("attendance", AttendanceViewSet, basename="attendance")
router.register("marks", MarksViewSet, basename="marks")

urlpatterns = [*router.urls]
