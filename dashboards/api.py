"""The dashboards REST API (/api/v1/): seed 000 §9's dashboard and analytics.

Every figure is computed by the metric catalogue (``dashboards.metrics``) with
the dashboard page's filters (``views.DashboardFilterForm``) and the viewer's
scope, so an API figure equals the number the admin dashboard shows for the
same filters (Property 21, 22). Who may:

- ``dashboard/stats/``, ``dashboard/admin/`` and ``analytics/*``: the head and
  registrars, as the dashboard pages (``metrics.may_view_dashboards``); a
  registrar's figures cover their departments (``metrics.department_limit``);
- ``dashboard/teacher/``: whoever has the teacher's home page
  (``teacher.user_has_teacher_dashboard``: teachers, and captains for the
  attendance sections), with its data (``teacher.teacher_dashboard``);
- ``dashboard/student/``: students and captains, their own records only
  (``records.selectors``, as the portal's "My records").
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from records import selectors
from records.api import SessionSummarySerializer
from records.models import ExamType, Semester, Shift
from records.roles import Role

from . import metrics
from .models import Dashboard, Display, Width
from .teacher import teacher_dashboard, user_has_teacher_dashboard
from .views import DashboardFilterForm, build_panel

NOT_DASHBOARD_VIEWER = _(
    "Only the institute head and registrars see the dashboards and analytics."
)
NOT_TEACHER = _("Only teachers (and class captains) have the teacher's dashboard.")
NOT_STUDENT = _("Only students and class captains have the student's dashboard.")
NO_STUDENT_PROFILE = _("Your account has no student record yet.")

# --- Permissions: the dashboard pages' own rules --------------------------------------


class MayViewDashboards(BasePermission):
    """The head and registrars (``metrics.may_view_dashboards``)."""

    message = NOT_DASHBOARD_VIEWER

    def has_permission(self, request, view):
        return metrics.may_view_dashboards(request.user)


class HasTeacherDashboard(BasePermission):
    """Whoever has the teacher's home page in the admin."""

    message = NOT_TEACHER

    def has_permission(self, request, view):
        return user_has_teacher_dashboard(request.user)


class IsStudent(BasePermission):
    """Students and captains: the portal's users."""

    message = NOT_STUDENT

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user.is_authenticated
            and user.is_active
            and getattr(user, "role", None) in (Role.STUDENT, Role.CAPTAIN)
        )


# --- The dashboard's filters -----------------------------------------------------------

FILTER_PARAMETERS = [
    OpenApiParameter(
        "date_from",
        OpenApiTypes.DATE,
        description="From this date (inclusive), for figures that have a date.",
    ),
    OpenApiParameter(
        "date_to",
        OpenApiTypes.DATE,
        description="Up to this date (inclusive); not before date_from.",
    ),
    OpenApiParameter(
        "department",
        OpenApiTypes.INT,
        description="A department id (a registrar: one of their departments).",
    ),
    OpenApiParameter(
        "session", OpenApiTypes.INT, description="An academic session id."
    ),
    OpenApiParameter(
        "semester", OpenApiTypes.INT, enum=[value for value, _label in Semester.choices]
    ),
    OpenApiParameter(
        "shift", OpenApiTypes.STR, enum=[value for value, _label in Shift.choices]
    ),
]


def dashboard_filters(request) -> metrics.Filters:
    """The query's filters, validated by the dashboard page's form (400 if bad)."""
    form = DashboardFilterForm(request.query_params or None, user=request.user)
    if form.is_bound and not form.is_valid():
        raise exceptions.ValidationError(
            {field: list(messages) for field, messages in form.errors.items()}
        )
    return form.filters()


def context_for(request, filters: metrics.Filters) -> metrics.Context:
    return metrics.Context(
        user=request.user, filters=filters, today=timezone.localdate(), memo={}
    )


def compute(ctx: metrics.Context, key: str, group_by: str = "") -> metrics.Figure:
    return metrics.get_metric(key).compute(ctx, group_by)


def choice_parameter(name: str, choices, default: str, description: str):
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        enum=list(choices),
        default=default,
        description=description,
    )


def choice_param(request, name: str, choices, default: str) -> str:
    """A query parameter among ``choices`` (400 with field_errors otherwise)."""
    field = serializers.ChoiceField(choices=list(choices))
    value = request.query_params.get(name) or default
    try:
        return field.run_validation(value)
    except exceptions.ValidationError as exc:
        raise exceptions.ValidationError({name: exc.detail}) from exc


# --- Serializers -------------------------------------------------------------------------


@extend_schema_field({"type": "number", "nullable": True})
class NumberField(serializers.Field):
    """A count (integer) or a rate (percentage, one decimal); null when undefined."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        if isinstance(value, Decimal):
            return float(value)
        return value


def _key_text(key) -> str | None:
    if key is None:
        return None
    if hasattr(key, "isoformat"):
        return key.isoformat()
    return str(key)


class FigureRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True,
        help_text="The group: a department, session or subject id, a semester, a "
        "shift, a status, an exam type, a band (0-9), or a period's first day "
        "(YYYY-MM-DD).",
    )
    label = serializers.CharField()
    value = NumberField()
    numerator = serializers.IntegerField(allow_null=True, help_text="Rates: counted.")
    denominator = serializers.IntegerField(allow_null=True, help_text="Rates: out of.")
    url = serializers.CharField(
        help_text="The back-office listing with these records (drill-down)."
    )


class FigureSerializer(serializers.Serializer):
    """One metric of the catalogue: its total and, if grouped, its rows."""

    metric = serializers.CharField(help_text="The metric's key in the catalogue.")
    label = serializers.CharField()
    unit = serializers.CharField(help_text='"%" for rates, "" for counts.')
    group_by = serializers.CharField(help_text='"" when not grouped.')
    value = NumberField(help_text="The total (a rate is null when nothing counted).")
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    url = serializers.CharField()
    ignored_filters = serializers.ListField(
        child=serializers.CharField(),
        help_text="Filters that do not apply to this metric.",
    )
    rows = FigureRowSerializer(many=True)


def figure_data(figure: metrics.Figure, group_by: str = "") -> dict:
    return {
        "metric": figure.metric.key,
        "label": str(figure.metric.label),
        "unit": figure.unit,
        "group_by": group_by,
        "value": figure.value,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "url": figure.url,
        "ignored_filters": list(figure.ignored),
        "rows": [
            {
                "key": _key_text(row.key),
                "label": str(row.label),
                "value": row.value,
                "numerator": row.numerator,
                "denominator": row.denominator,
                "url": row.url,
            }
            for row in figure.rows
        ],
    }


class AppliedFiltersSerializer(serializers.Serializer):
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    department = serializers.IntegerField(allow_null=True)
    session = serializers.IntegerField(allow_null=True)
    semester = serializers.IntegerField(allow_null=True)
    shift = serializers.CharField(allow_null=True)


def scope_data(request, filters: metrics.Filters) -> dict:
    limit = metrics.department_limit(request.user)
    return {
        "filters": {
            "date_from": filters.date_from,
            "date_to": filters.date_to,
            "department": filters.department,
            "session": filters.session,
            "semester": filters.semester,
            "shift": filters.shift,
        },
        "departments": None if limit is None else sorted(limit),
    }


class ScopedSerializer(serializers.Serializer):
    """What every head/registrar answer has: the filters and the departments."""

    filters = AppliedFiltersSerializer(help_text="The filters applied.")
    departments = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="The departments the figures cover (a registrar's); null: all.",
    )


class StatsSerializer(ScopedSerializer):
    students = FigureSerializer(help_text="Students by status.")
    active_students = FigureSerializer()
    at_risk_students = FigureSerializer()
    teachers = FigureSerializer(help_text="Teachers by status.")
    admissions = FigureSerializer(help_text="Admission applications by status.")
    corrections = FigureSerializer(help_text="Correction requests by status.")
    awaiting = FigureSerializer(help_text="Requests waiting for you, by type.")
    attendance_rate = FigureSerializer()
    pass_rate = FigureSerializer()


# (field, metric, grouping) of the statistics.
STATS = (
    ("students", "students", "status"),
    ("active_students", "active_students", ""),
    ("at_risk_students", "at_risk_students", ""),
    ("teachers", "teachers", "status"),
    ("admissions", "admissions", "status"),
    ("corrections", "corrections", "status"),
    ("awaiting", "awaiting", "kind"),
    ("attendance_rate", "attendance_rate", ""),
    ("pass_rate", "pass_rate", ""),
)


class DashboardSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Dashboard
        fields = ["id", "name", "description", "is_default"]


class PanelRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = NumberField()
    display_value = serializers.CharField(help_text="As the dashboard shows it.")
    url = serializers.CharField()
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)


class PanelSerializer(serializers.Serializer):
    """One card or chart of the dashboard, with the figures the page shows."""

    item_id = serializers.IntegerField()
    metric = serializers.CharField(source="figure.metric.key")
    title = serializers.CharField()
    subtitle = serializers.CharField()
    display = serializers.ChoiceField(choices=Display.choices)
    width = serializers.ChoiceField(choices=Width.choices)
    unit = serializers.CharField()
    total = NumberField()
    total_display = serializers.CharField()
    total_url = serializers.CharField()
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    rows = PanelRowSerializer(many=True)
    note = serializers.CharField()
    empty = serializers.BooleanField()
    csv_url = serializers.CharField(help_text="The panel's figures as CSV.")
    xlsx_url = serializers.CharField(help_text="The panel's figures as XLSX.")


class AdminDashboardSerializer(ScopedSerializer):
    dashboard = DashboardSummarySerializer(
        allow_null=True, help_text="The dashboard shown; null if none is visible."
    )
    dashboards = DashboardSummarySerializer(
        many=True, help_text="Every dashboard you may open."
    )
    panels = PanelSerializer(many=True)


class DepartmentDistributionSerializer(ScopedSerializer):
    students = FigureSerializer(help_text="Students on the roll, by department.")
    active_students = FigureSerializer(help_text="Active students, by department.")


class AdmissionsTrendSerializer(ScopedSerializer):
    period = serializers.ChoiceField(choices=list(metrics.PERIODS))
    admissions = FigureSerializer(help_text="Applications submitted, per period.")


class AttendanceSummarySerializer(ScopedSerializer):
    attendance_rate = FigureSerializer()
    at_risk_students = FigureSerializer()


class PerformanceMetricsSerializer(ScopedSerializer):
    pass_rate = FigureSerializer()
    marks_distribution = FigureSerializer(help_text="Marks by percentage band.")
    at_risk_students = FigureSerializer()


# --- Teacher's and student's dashboards ----------------------------------------------


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class RoutineSlotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = NamedSerializer()
    department = NamedSerializer()
    semester = serializers.IntegerField()
    shift = serializers.ChoiceField(choices=Shift.choices)
    session = serializers.IntegerField(source="session_id")
    day_of_week = serializers.IntegerField()
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()


class SittingSerializer(serializers.Serializer):
    routine = RoutineSlotSerializer()
    date = serializers.DateField(source="day")
    taken = serializers.BooleanField()
    group_label = serializers.CharField()


class LowAttendanceSerializer(serializers.Serializer):
    routine = RoutineSlotSerializer()
    group_label = serializers.CharField()
    present = serializers.IntegerField()
    total = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)


class MissingMarksSerializer(serializers.Serializer):
    routine = RoutineSlotSerializer()
    group_label = serializers.CharField()
    exam_type = serializers.ChoiceField(choices=ExamType.choices)
    exam_label = serializers.CharField()
    missing = serializers.IntegerField()
    students = serializers.IntegerField()


class TeacherDashboardSerializer(serializers.Serializer):
    today = serializers.DateField()
    session = SessionSummarySerializer(
        allow_null=True, help_text="The current session."
    )
    threshold = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text="The low-attendance threshold (%)."
    )
    lookback_days = serializers.IntegerField()
    today_classes = SittingSerializer(many=True)
    attendance_missing = SittingSerializer(
        many=True, help_text="Sittings of the lookback window without attendance."
    )
    low_attendance = LowAttendanceSerializer(many=True)
    marks_missing = MissingMarksSerializer(many=True)
    shows_low_attendance = serializers.BooleanField()
    shows_marks = serializers.BooleanField()


class SubjectAttendanceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    present = serializers.IntegerField()
    total = serializers.IntegerField()
    percentage = serializers.DecimalField(max_digits=5, decimal_places=2)


class SemesterAttendanceSerializer(serializers.Serializer):
    semester = serializers.IntegerField()
    average_percentage = serializers.DecimalField(max_digits=5, decimal_places=2)
    subjects = SubjectAttendanceSerializer(many=True)


class StudentAttendanceSerializer(serializers.Serializer):
    present = serializers.IntegerField()
    total = serializers.IntegerField()
    rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="present / total x 100 over every class; null before any.",
    )
    semesters = SemesterAttendanceSerializer(many=True)


class ExamMarkSerializer(serializers.Serializer):
    exam_type = serializers.ChoiceField(choices=ExamType.choices)
    obtained = serializers.DecimalField(max_digits=6, decimal_places=2)
    total = serializers.DecimalField(max_digits=6, decimal_places=2)


class SubjectResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    credit = serializers.DecimalField(max_digits=4, decimal_places=1)
    obtained = serializers.DecimalField(max_digits=7, decimal_places=2)
    total = serializers.DecimalField(max_digits=7, decimal_places=2)
    percentage = serializers.DecimalField(max_digits=5, decimal_places=2)
    grade = serializers.CharField()
    grade_point = serializers.DecimalField(max_digits=3, decimal_places=2)
    exams = ExamMarkSerializer(many=True)


class SemesterResultSerializer(serializers.Serializer):
    semester = serializers.IntegerField()
    gpa = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    complete = serializers.BooleanField()
    passed = serializers.BooleanField()
    subjects = SubjectResultSerializer(many=True)


class PendingCorrectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    field_name = serializers.CharField()
    field_label = serializers.CharField(source="get_field_name_display")
    requested_value = serializers.CharField()
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class OwnStudentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name_english = serializers.CharField()
    department = NamedSerializer()
    semester = serializers.IntegerField()
    shift = serializers.ChoiceField(choices=Shift.choices)
    session = SessionSummarySerializer()
    current_roll_number = serializers.CharField()
    status = serializers.CharField()


class StudentDashboardSerializer(serializers.Serializer):
    student = OwnStudentSerializer()
    attendance = StudentAttendanceSerializer()
    results = SemesterResultSerializer(many=True)
    pending_corrections = PendingCorrectionSerializer(
        many=True, help_text="Your correction requests not yet decided."
    )


# --- Views --------------------------------------------------------------------------------

ERROR_RESPONSES_NOTE = "Figures cover the viewer's departments (a registrar's)."


class DashboardApiView(APIView):
    permission_classes = [MayViewDashboards]


class StatsView(DashboardApiView):
    @extend_schema(
        summary="Dashboard statistics",
        description="The key figures: students, teachers, admissions, corrections, "
        "approvals waiting, attendance and pass rates. " + ERROR_RESPONSES_NOTE,
        parameters=FILTER_PARAMETERS,
        responses=StatsSerializer,
        tags=["dashboard"],
    )
    def get(self, request):
        filters = dashboard_filters(request)
        ctx = context_for(request, filters)
        data = scope_data(request, filters)
        for name, key, group_by in STATS:
            data[name] = figure_data(compute(ctx, key, group_by), group_by)
        return Response(StatsSerializer(data).data)


def _default_dashboard(user, visible):
    return (
        visible.filter(owner=user, is_default=True).first()
        or visible.filter(is_default=True).first()
        or visible.first()
    )


class AdminDashboardView(DashboardApiView):
    @extend_schema(
        summary="Admin dashboard data",
        description="The panels of a dashboard, as the admin page shows them: your "
        "default dashboard, or the one named by `dashboard`. " + ERROR_RESPONSES_NOTE,
        parameters=[
            OpenApiParameter(
                "dashboard",
                OpenApiTypes.INT,
                description="A dashboard id (default: your default dashboard).",
            ),
            *FILTER_PARAMETERS,
        ],
        responses=AdminDashboardSerializer,
        tags=["dashboard"],
    )
    def get(self, request):
        user = request.user
        filters = dashboard_filters(request)
        visible = Dashboard.objects.visible_to(user)
        wanted = request.query_params.get("dashboard")
        if wanted:
            try:
                pk = int(wanted)
            except ValueError:
                raise exceptions.ValidationError(
                    {"dashboard": [_("A valid integer is required.")]}
                ) from None
            dashboard = visible.filter(pk=pk).first()
            if dashboard is None:
                raise exceptions.NotFound(_("No such dashboard."))
        else:
            dashboard = _default_dashboard(user, visible)
        panels = []
        if dashboard is not None:
            today = timezone.localdate()
            query = dashboard_query(request)
            memo: dict = {}
            items = dashboard.items.select_related("department", "session")
            panels = [
                panel
                for item in items
                if (panel := build_panel(item, user, filters, today, query, memo))
                is not None
            ]
        data = {
            **scope_data(request, filters),
            "dashboard": dashboard,
            "dashboards": list(visible.order_by("-is_default", "name")),
            "panels": panels,
        }
        return Response(AdminDashboardSerializer(data).data)


def dashboard_query(request) -> str:
    """The filters as the page's download links carry them."""
    params = request.query_params.copy()
    params.pop("dashboard", None)
    return params.urlencode()


class TeacherDashboardView(APIView):
    permission_classes = [HasTeacherDashboard]

    @extend_schema(
        summary="Teacher dashboard data",
        description="Your home page's sections: today's classes, attendance not "
        "yet taken, classes with low attendance, marks not yet entered.",
        responses=TeacherDashboardSerializer,
        tags=["dashboard"],
    )
    def get(self, request):
        board = teacher_dashboard(user=request.user)
        data = {
            "today": board.today,
            "session": board.session,
            "threshold": board.threshold,
            "lookback_days": board.lookback_days,
            "today_classes": board.today_classes,
            "attendance_missing": board.attendance_missing,
            "low_attendance": board.low_attendance,
            "marks_missing": board.marks_missing,
            "shows_low_attendance": board.shows_low_attendance,
            "shows_marks": board.shows_marks,
        }
        return Response(TeacherDashboardSerializer(data).data)


def _attendance_rate(present: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(present) * 100 / Decimal(total)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


class StudentDashboardView(APIView):
    permission_classes = [IsStudent]

    @extend_schema(
        summary="Student dashboard data",
        description="Your own attendance, results and correction requests not yet "
        "decided (as the portal's My records).",
        responses=StudentDashboardSerializer,
        tags=["dashboard"],
    )
    def get(self, request):
        from website.portal import student_of
        from workflows.models import DECIDED, CorrectionRequest

        student = student_of(request.user)
        if student is None:
            raise exceptions.NotFound(NO_STUDENT_PROFILE)
        semesters = selectors.student_attendance_summary(student=student)
        present = sum(s.present for sem in semesters for s in sem.subjects)
        total = sum(s.total for sem in semesters for s in sem.subjects)
        results = selectors.student_semester_results(student=student)
        pending = CorrectionRequest.objects.filter(student=student).exclude(
            status__in=DECIDED
        )
        data = {
            "student": student,
            "attendance": {
                "present": present,
                "total": total,
                "rate": _attendance_rate(present, total),
                "semesters": [
                    {
                        "semester": sem.semester,
                        "average_percentage": sem.average_percentage,
                        "subjects": sem.subjects,
                    }
                    for sem in semesters
                ],
            },
            "results": [
                {
                    "semester": result.semester,
                    "gpa": result.gpa,
                    "complete": result.complete,
                    "passed": result.passed,
                    "subjects": [
                        {
                            "code": subject.code,
                            "name": subject.name,
                            "credit": subject.credit,
                            "obtained": subject.obtained,
                            "total": subject.total,
                            "percentage": subject.percentage,
                            "grade": subject.grade,
                            "grade_point": subject.grade_point,
                            "exams": [
                                {"exam_type": exam, "obtained": got, "total": out_of}
                                for exam, (got, out_of) in subject.exams.items()
                            ],
                        }
                        for subject in result.subjects
                    ],
                }
                for result in results
            ],
            "pending_corrections": list(pending.order_by("-submitted_at", "-pk")),
        }
        return Response(StudentDashboardSerializer(data).data)


# --- Analytics ---------------------------------------------------------------------------


class AdmissionsTrendView(DashboardApiView):
    @extend_schema(
        summary="Admission trends over time",
        description="Applications submitted per day, week or month (the date range "
        "filters when they were submitted). " + ERROR_RESPONSES_NOTE,
        parameters=[
            choice_parameter(
                "period", metrics.PERIODS, "month", "The length of each period."
            ),
            *FILTER_PARAMETERS,
        ],
        responses=AdmissionsTrendSerializer,
        tags=["analytics"],
    )
    def get(self, request):
        period = choice_param(request, "period", metrics.PERIODS, "month")
        filters = dashboard_filters(request)
        ctx = context_for(request, filters)
        data = {
            **scope_data(request, filters),
            "period": period,
            "admissions": figure_data(compute(ctx, "admissions", period), period),
        }
        return Response(AdmissionsTrendSerializer(data).data)


class DepartmentDistributionView(DashboardApiView):
    @extend_schema(
        summary="Student distribution by department",
        description=ERROR_RESPONSES_NOTE,
        parameters=FILTER_PARAMETERS,
        responses=DepartmentDistributionSerializer,
        tags=["analytics"],
    )
    def get(self, request):
        filters = dashboard_filters(request)
        ctx = context_for(request, filters)
        data = scope_data(request, filters)
        for key in ("students", "active_students"):
            data[key] = figure_data(compute(ctx, key, "department"), "department")
        return Response(DepartmentDistributionSerializer(data).data)


def _groupings(key: str) -> list[str]:
    return metrics.get_metric(key).groupings()


class AttendanceSummaryView(DashboardApiView):
    @extend_schema(
        summary="Attendance statistics",
        description="The attendance rate (present over all marks), grouped, and the "
        "students at risk. " + ERROR_RESPONSES_NOTE,
        parameters=[
            choice_parameter(
                "group_by",
                _groupings("attendance_rate"),
                "department",
                "Group the rate by this.",
            ),
            *FILTER_PARAMETERS,
        ],
        responses=AttendanceSummarySerializer,
        tags=["analytics"],
    )
    def get(self, request):
        group_by = choice_param(
            request, "group_by", _groupings("attendance_rate"), "department"
        )
        filters = dashboard_filters(request)
        ctx = context_for(request, filters)
        data = {
            **scope_data(request, filters),
            "attendance_rate": figure_data(
                compute(ctx, "attendance_rate", group_by), group_by
            ),
            "at_risk_students": figure_data(compute(ctx, "at_risk_students")),
        }
        return Response(AttendanceSummarySerializer(data).data)


class PerformanceMetricsView(DashboardApiView):
    @extend_schema(
        summary="Academic performance metrics",
        description="The pass rate (marks of 40% or more), grouped; the marks by "
        "percentage band; the students at risk. " + ERROR_RESPONSES_NOTE,
        parameters=[
            choice_parameter(
                "group_by",
                _groupings("pass_rate"),
                "department",
                "Group the pass rate by this.",
            ),
            OpenApiParameter(
                "exam_type",
                OpenApiTypes.STR,
                enum=[value for value, _label in ExamType.choices],
                description="Only marks of this exam.",
            ),
            *FILTER_PARAMETERS,
        ],
        responses=PerformanceMetricsSerializer,
        tags=["analytics"],
    )
    def get(self, request):
        group_by = choice_param(
            request, "group_by", _groupings("pass_rate"), "department"
        )
        exam_type = None
        if request.query_params.get("exam_type"):
            exam_type = choice_param(request, "exam_type", ExamType.values, "")
        filters = dashboard_filters(request)
        ctx = context_for(request, filters)
        marks_ctx = ctx
        if exam_type:
            marks_ctx = context_for(
                request, filters.narrowed(metrics.Filters(exam_type=exam_type))
            )
        data = {
            **scope_data(request, filters),
            "pass_rate": figure_data(
                compute(marks_ctx, "pass_rate", group_by), group_by
            ),
            "marks_distribution": figure_data(
                compute(marks_ctx, "marks", "band"), "band"
            ),
            "at_risk_students": figure_data(compute(ctx, "at_risk_students")),
        }
        return Response(PerformanceMetricsSerializer(data).data)


urlpatterns = [
    path("dashboard/stats/", StatsView.as_view(), name="dashboard-stats"),
    path("dashboard/admin/", AdminDashboardView.as_view(), name="dashboard-admin"),
    path(
        "dashboard/student/", StudentDashboardView.as_view(), name="dashboard-student"
    ),
    path(
        "dashboard/teacher/", TeacherDashboardView.as_view(), name="dashboard-teacher"
    ),
    path(
        "analytics/admissions-trend/",
        AdmissionsTrendView.as_view(),
        name="analytics-admissions-trend",
    ),
    path(
        "analytics/department-distribution/",
        DepartmentDistributionView.as_view(),
        name="analytics-department-distribution",
    ),
    path(
        "analytics/attendance-summary/",
        AttendanceSummaryView.as_view(),
        name="analytics-attendance-summary",
    ),
    path(
        "analytics/performance-metrics/",
        PerformanceMetricsView.as_view(),
        name="analytics-performance-metrics",
    ),
]
