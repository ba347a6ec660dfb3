"""Approvals in the admin: editing the workflows, and browsing every request.

``Workflow`` and ``WorkflowStage`` are plain models (no ClusterableModel), so
stages get their own listing, filtered by workflow, with add/edit/delete.
Only superusers and the institute head may use either; anyone else gets the
403 page (``ClearRefusalMixin``), never Wagtail's redirect to the dashboard.

The request listings ("Applications & requests") are read only: index and
inspect, scoped by the desk's rule; decisions stay on the desk's review screen.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.admin.utils import unquote
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy

from records.activity import record_export
from records.exports import export_filename_stem, export_table
from records.roles import Role
from records.spreadsheets import writers
from records.viewsets import ClearRefusalMixin, RecordIndexView, RecordsViewSetGroup

from . import filters, services, views
from .models import (
    AdmissionApplication,
    CorrectionRequest,
    RequestStatus,
    TeacherSignupRequest,
    Workflow,
    WorkflowStage,
)


def user_is_head(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or getattr(user, "role", None) == Role.INSTITUTE_HEAD)
    )


class HeadOnlyPermissionPolicy(BasePermissionPolicy):
    """Every action for superusers and the institute head; nothing for others."""

    def user_has_permission(self, user, action):
        return user_is_head(user)

    def user_has_permission_for_instance(self, user, action, instance):
        return user_is_head(user)

    def instances_user_has_any_permission_for(self, user, actions):
        queryset = self.model._default_manager.all()
        return queryset if user_is_head(user) else queryset.none()

    def users_with_any_permission(self, actions):
        from records.models import User

        return User.objects.filter(is_active=True).filter(
            is_superuser=True
        ) | User.objects.filter(is_active=True, role=Role.INSTITUTE_HEAD)


register_permission_policy(
    Workflow, HeadOnlyPermissionPolicy(Workflow), exact_class=True
)
register_permission_policy(
    WorkflowStage, HeadOnlyPermissionPolicy(WorkflowStage), exact_class=True
)


def _refusing(view_class: type) -> type:
    return type(f"Clear{view_class.__name__}", (ClearRefusalMixin, view_class), {})


class HeadOnlyViewSet(ModelViewSet):
    add_to_admin_menu = False
    index_view_class = _refusing(generic.IndexView)
    add_view_class = _refusing(generic.CreateView)
    edit_view_class = _refusing(generic.EditView)
    delete_view_class = _refusing(generic.DeleteView)
    inspect_view_class = _refusing(generic.InspectView)
    usage_view_class = _refusing(UsageView)
    history_view_class = _refusing(HistoryView)


class WorkflowViewSet(HeadOnlyViewSet):
    model = Workflow
    name = "approval_workflows"
    icon = "tasks"
    menu_label = _("Workflows")
    form_fields = ["name", "kind"]
    list_display = ["name", "kind"]
    copy_view_enabled = False


class WorkflowStageViewSet(HeadOnlyViewSet):
    model = WorkflowStage
    name = "workflow_stages"
    icon = "list-ol"
    menu_label = _("Workflow stages")
    form_fields = ["workflow", "order", "name", "group"]
    list_display = ["workflow", "order", "name", "group"]
    list_filter = ["workflow"]
    copy_view_enabled = False


class ApprovalWorkflowsGroup(ModelViewSetGroup):
    menu_label = _("Approval workflows")
    menu_icon = "tasks"
    menu_order = 240
    items = (WorkflowViewSet, WorkflowStageViewSet)


# --- Browsing requests: read-only listings of every request, decided or not -----------
#
# The desk (workflows/views.py) shows what waits for *me*; these listings show
# everything the user may see, filtered and exported. They never decide: each
# row opens the desk's review screen. Who sees what is the desk's rule
# (``views.visible_queryset``): the institute head and superusers every
# request, a registrar the requests of their departments; other roles get 403.

BROWSE = "view"
REVIEW_LABEL = _("Review")
OPEN_REVIEW_LABEL = _("Open the review screen")
NOBODY = "—"


def user_may_browse_requests(user) -> bool:
    return user_is_head(user) or bool(
        user.is_authenticated
        and user.is_active
        and getattr(user, "role", None) == Role.REGISTRAR
    )


class ApprovalRequestPermissionPolicy(BasePermissionPolicy):
    """Requests are read here ("view"); decisions are the desk's, edits nobody's."""

    def __init__(self, model, kind):
        super().__init__(model)
        self.kind = kind

    def user_has_permission(self, user, action):
        return action == BROWSE and user_may_browse_requests(user)

    def instances_user_has_any_permission_for(self, user, actions):
        if BROWSE not in actions or not user_may_browse_requests(user):
            return self.model._default_manager.none()
        return views.visible_queryset(user, self.kind)

    def user_has_permission_for_instance(self, user, action, instance):
        return (
            self.user_has_permission(user, action)
            and self.instances_user_has_any_permission_for(user, [action])
            .filter(pk=instance.pk)
            .exists()
        )

    def users_with_any_permission(self, actions):
        from records.models import User

        if BROWSE not in actions:
            return User.objects.none()
        return User.objects.filter(is_active=True).filter(
            Q(is_superuser=True) | Q(role__in=[Role.INSTITUTE_HEAD, Role.REGISTRAR])
        )


for _kind, _model in services.MODELS.items():
    register_permission_policy(
        _model, ApprovalRequestPermissionPolicy(_model, _kind), exact_class=True
    )


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _local(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def names_cell(english: str, bangla: str):
    """The English name, and under it the Bangla one where there is one."""
    if not bangla:
        return english
    return format_html('{}<br><span lang="bn">{}</span>', english, bangla)


def status_label(request) -> str:
    """The status, and the stage while one waits ("Pending · Head approval")."""
    label = str(request.get_status_display())
    if request.status == RequestStatus.PENDING and request.stage is not None:
        return f"{label} · {request.stage.name}"
    return label


def decided_label(request) -> str:
    if request.reviewed_at is None:
        return NOBODY
    who = _person(request.reviewed_by)
    when = _local(request.reviewed_at)
    return f"{who}, {when}" if who else when


def class_group_label(session, semester_display, shift_display) -> str:
    return " · ".join(str(part) for part in (session, semester_display, shift_display))


def _export_in_language(rows, language):
    """Rows in the request's language, even when a streamed CSV is read later."""
    with translation.override(language):
        yield from rows


class RequestIndexView(ClearRefusalMixin, RecordIndexView):
    """A request listing: scoped by the desk's rule, rows open the review screen.

    ``?export=csv|xlsx|ods`` answers the listing as a file (its filters,
    search and ordering, every page), with the records' writers and an
    activity entry, like the records' listings.
    """

    any_permission_required = [BROWSE]

    def get_base_queryset(self):
        queryset = self.permission_policy.instances_user_has_any_permission_for(
            self.request.user, [BROWSE]
        )
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        found = super().search_queryset(queryset)
        # "#12" or "12" also finds request 12 (signups and corrections have
        # no number of their own).
        number = self.search_query.strip().lstrip("#")
        if number.isdigit():
            found = found | queryset.filter(pk=int(number))
        return found

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        column_class = self._get_title_column_class(column_class)
        return self._get_custom_column(
            field_name, column_class, get_url=views.review_url, **kwargs
        )

    @cached_property
    def columns(self):
        columns = list(super().columns)
        first = columns[0]
        if not isinstance(first, TitleColumn):
            # A computed first column ("#12") is the title too: it opens the
            # review screen and carries the row's buttons.
            column_class = self._get_title_column_class(TitleColumn)
            columns[0] = column_class(
                first.name,
                label=first.label,
                accessor=first.accessor,
                sort_key=first.sort_key,
                get_url=views.review_url,
            )
        return columns

    def get_list_more_buttons(self, instance):
        return [
            MenuItem(
                REVIEW_LABEL,
                url=views.review_url(instance),
                icon_name="tasks",
                priority=5,
            ),
            *super().get_list_more_buttons(instance),
        ]

    @cached_property
    def show_export_buttons(self):
        return bool(self.list_export) and self.user_has_permission(BROWSE)

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export", "").strip().lower()
        if fmt in self.FORMATS:
            return self.export_response(fmt)
        return super().get(request, *args, **kwargs)

    def export_response(self, fmt: str):
        queryset = self.get_queryset()
        headers, rows = export_table(
            queryset,
            fmt=fmt,
            list_export=self.list_export,
            export_headings=self.export_headings,
            custom_field_preprocess=self.custom_field_preprocess,
        )
        record_export(
            request=self.request,
            model=self.model,
            rows=queryset.count(),
            export_format=fmt,
        )
        return writers.export_response(
            headers=headers,
            rows=_export_in_language(rows, translation.get_language()),
            fmt=fmt,
            filename_stem=export_filename_stem(self.model, self.export_filename),
        )


class RequestInspectView(ClearRefusalMixin, generic.InspectView):
    """One request's fields, read only; the review screen decides."""

    any_permission_required = [BROWSE]
    select_related = ()

    def get_object(self, queryset=None):
        if not self.user_has_permission(BROWSE):
            return None  # dispatch answers 403 before anything reads it
        queryset = self.permission_policy.instances_user_has_any_permission_for(
            self.request.user, [BROWSE]
        )
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return get_object_or_404(queryset, pk=unquote(str(self.pk)))

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if value is None or value == "":
            return NOBODY
        if isinstance(value, datetime):
            # Wagtail shows the stored (UTC) time; the institute reads local time.
            return _local(value)
        return value

    @cached_property
    def header_buttons(self):
        return [
            HeaderButton(
                OPEN_REVIEW_LABEL, url=views.review_url(self.object), icon_name="tasks"
            )
        ]


class RequestURLFinder(ModelAdminURLFinder):
    """A request's admin page is its review screen (it has no edit view)."""

    def get_edit_url(self, instance):
        policy = policy_registry.get(instance)
        if self.user and not policy.user_has_permission_for_instance(
            self.user, BROWSE, instance
        ):
            return None
        return views.review_url(instance)


class ApprovalRequestViewSet(ModelViewSet):
    """Index and inspect only: no add, edit, copy, delete, history or usage."""

    add_to_admin_menu = False
    # Nothing links to a request: keep it out of Wagtail's reference index,
    # which would otherwise cost every public form submission five queries.
    add_to_reference_index = False
    inspect_view_enabled = True
    copy_view_enabled = False
    search_backend_name = None  # Django ORM search over search_fields
    list_per_page = 50
    ordering = ["-submitted_at", "-pk"]
    index_view_class = RequestIndexView
    inspect_view_class = RequestInspectView
    list_select_related = ()
    url_finder_class = RequestURLFinder

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add", "edit", "delete", "copy", "history", "usage"):
            if f"{name}_url_name" in view_kwargs:
                view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            select_related=self.list_select_related, **kwargs
        )

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            select_related=self.list_select_related, **kwargs
        )

    def get_urlpatterns(self):
        # Built here, not filtered from ModelViewSet's: building its add and
        # edit views would ask for a form these requests never have.
        conv = self.pk_path_converter
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"),
        ]

    def get_permissions_to_register(self):
        # Nothing to grant in the group editor: the roles decide (see the policy).
        return Permission.objects.none()


DECIDED_COLUMN = Column(
    "decided",
    label=_("Decided by / at"),
    accessor=decided_label,
    sort_key="reviewed_at",
)
STATUS_COLUMN = Column(
    "status", label=_("Status"), accessor=status_label, sort_key="status"
)
SUBMITTED_COLUMN = DateColumn(
    "submitted_at", label=_("Submitted"), sort_key="submitted_at"
)
DECISION_EXPORT = [
    "get_status_display",
    "stage.name",
    "submitted_at",
    "reviewed_by",
    "reviewed_at",
    "review_notes",
]
DECISION_HEADINGS = {
    "get_status_display": _("Status"),
    "stage.name": _("Stage"),
}


class AdmissionApplicationBrowseViewSet(ApprovalRequestViewSet):
    model = AdmissionApplication
    name = "admission_applications"
    url_prefix = "requests/admissions"
    icon = "form"
    menu_label = _("Admission applications")
    filterset_class = filters.AdmissionApplicationFilterSet
    list_select_related = [
        "desired_department",
        "session",
        "stage",
        "reviewed_by",
    ]
    list_display = [
        "application_number",
        Column(
            "applicant",
            label=_("Applicant"),
            accessor=lambda a: names_cell(a.full_name_english, a.full_name_bangla),
            sort_key="full_name_english",
        ),
        Column(
            "department",
            label=_("Department"),
            accessor="desired_department.code",
            sort_key="desired_department__code",
        ),
        Column(
            "class_group",
            label=_("Session · semester · shift"),
            accessor=lambda a: class_group_label(
                a.session, a.get_semester_display(), a.get_desired_shift_display()
            ),
            sort_key="session__start_date",
        ),
        STATUS_COLUMN,
        SUBMITTED_COLUMN,
        DECIDED_COLUMN,
    ]
    search_fields = [
        "application_number",
        "full_name_english",
        "full_name_bangla",
        "email",
        "mobile_student",
        "guardian_mobile",
    ]
    list_export = [
        "application_number",
        "full_name_english",
        "full_name_bangla",
        "email",
        "mobile_student",
        "desired_department",
        "session",
        "semester",
        "desired_shift",
        *DECISION_EXPORT,
    ]
    export_headings = {**DECISION_HEADINGS, "desired_department": _("Department")}
    inspect_view_fields = [
        "application_number",
        "full_name_english",
        "full_name_bangla",
        "father_name",
        "mother_name",
        "date_of_birth",
        "birth_certificate_no",
        "mobile_student",
        "guardian_mobile",
        "email",
        "desired_department",
        "session",
        "semester",
        "desired_shift",
        "status",
        "stage",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "review_notes",
        "student",
    ]


class TeacherSignupBrowseViewSet(ApprovalRequestViewSet):
    model = TeacherSignupRequest
    name = "teacher_signups"
    url_prefix = "requests/teacher-signups"
    icon = "user"
    menu_label = _("Teacher signups")
    filterset_class = filters.TeacherSignupFilterSet
    list_select_related = ["department", "stage", "reviewed_by"]
    list_display = [
        Column("number", label=_("No."), accessor=lambda r: f"#{r.pk}", sort_key="pk"),
        Column(
            "name",
            label=_("Name"),
            accessor=lambda r: names_cell(r.full_name_english, r.full_name_bangla),
            sort_key="full_name_english",
        ),
        "designation",
        Column(
            "department",
            label=_("Department"),
            accessor="department.code",
            sort_key="department__code",
        ),
        Column(
            "contact",
            label=_("Email / mobile"),
            accessor=lambda r: format_html("{}<br>{}", r.email, r.mobile_number),
        ),
        STATUS_COLUMN,
        SUBMITTED_COLUMN,
        DECIDED_COLUMN,
    ]
    search_fields = [
        "full_name_english",
        "full_name_bangla",
        "email",
        "mobile_number",
        "username",
    ]
    list_export = [
        "pk",
        "full_name_english",
        "full_name_bangla",
        "email",
        "mobile_number",
        "designation",
        "department",
        "username",
        *DECISION_EXPORT,
    ]
    export_headings = {**DECISION_HEADINGS, "pk": _("No.")}
    # Never the password hash.
    inspect_view_fields = [
        "full_name_english",
        "full_name_bangla",
        "email",
        "mobile_number",
        "designation",
        "department",
        "qualifications",
        "specializations",
        "username",
        "status",
        "stage",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "review_notes",
        "user",
    ]


class CorrectionRequestBrowseViewSet(ApprovalRequestViewSet):
    model = CorrectionRequest
    name = "correction_requests"
    url_prefix = "requests/corrections"
    icon = "edit"
    menu_label = _("Correction requests")
    filterset_class = filters.CorrectionRequestFilterSet
    list_select_related = [
        "student__department",
        "student__session",
        "stage",
        "reviewed_by",
    ]
    list_display = [
        Column("number", label=_("No."), accessor=lambda r: f"#{r.pk}", sort_key="pk"),
        Column(
            "student",
            label=_("Student"),
            accessor=lambda r: names_cell(
                f"{r.student.full_name_english} ({r.student.current_roll_number})",
                r.student.full_name_bangla,
            ),
            sort_key="student__full_name_english",
        ),
        "field_name",
        Column(
            "department",
            label=_("Department"),
            accessor="student.department.code",
            sort_key="student__department__code",
        ),
        Column(
            "class_group",
            label=_("Session · semester · shift"),
            accessor=lambda r: class_group_label(
                r.student.session,
                r.student.get_semester_display(),
                r.student.get_shift_display(),
            ),
            sort_key="student__session__start_date",
        ),
        STATUS_COLUMN,
        SUBMITTED_COLUMN,
        DECIDED_COLUMN,
    ]
    search_fields = [
        "student__full_name_english",
        "student__full_name_bangla",
        "student__current_roll_number",
        "student__email",
        "student__mobile_student",
        "requested_value",
    ]
    list_export = [
        "pk",
        "student.current_roll_number",
        "student.full_name_english",
        "student.full_name_bangla",
        "student.department",
        "student.session",
        "student.semester",
        "student.shift",
        "field_name",
        "current_value",
        "requested_value",
        "reason",
        *DECISION_EXPORT,
    ]
    export_headings = {
        **DECISION_HEADINGS,
        "pk": _("No."),
        "student.current_roll_number": _("Roll number"),
        "student.full_name_english": _("Full name (English)"),
        "student.full_name_bangla": _("Full name (Bangla)"),
        "student.department": _("Department"),
        "student.session": _("Session"),
        "student.semester": _("Semester"),
        "student.shift": _("Shift"),
    }
    inspect_view_fields = [
        "student",
        "field_name",
        "current_value",
        "requested_value",
        "reason",
        "status",
        "stage",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "review_notes",
    ]


class ApplicationsAndRequestsGroup(RecordsViewSetGroup):
    """Every request, decided or not, to browse; the desk is where they are decided."""

    menu_label = _("Applications & requests")
    menu_icon = "folder-open-inverse"
    menu_order = 160
    items = (
        AdmissionApplicationBrowseViewSet,
        TeacherSignupBrowseViewSet,
        CorrectionRequestBrowseViewSet,
    )
