"""The back office of the records: Wagtail viewsets (wired in wagtail_hooks.py).

Creates and edits of students, routines, documents, attendance and marks go
through ``records.services``, so the rules hold here as on every other path:
a broken rule becomes a form error or a clear message, never a 500.
"""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import ProtectedError, RestrictedError
from django.db.models.deletion import Collector
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic.edit import FormView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.models import CopyViewMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.log_actions import log
from wagtail.permissions import policy_registry
from wagtail.users.views import users as wagtail_users

from . import activity, filters, selectors, services
from .activity import record_created, record_deleted, record_saved, stored_snapshot
from .admin_forms import (
    AcademicSessionForm,
    AlumniConversionForm,
    DiscontinueForm,
    DocumentUploadForm,
    ReinstateForm,
)
from .errors import BusinessRuleError
from .exports import EXPORT_FORMATS, listing_export_response, user_may_export
from .forms import CampusdeskUserCreationForm, CampusdeskUserEditForm
from .history_views import (
    DeletedRecordsView,
    RecordHistoryView,
    RecordRestoreView,
    RecordRevertView,
)
from .import_views import import_button_label, import_url
from .models import (
    AcademicSession,
    Alumni,
    AttendanceRecord,
    ClassRoutine,
    Department,
    Document,
    MarksRecord,
    Student,
    StudentStatus,
    Subject,
    Teacher,
)
from .permissions import (
    ADD,
    CHANGE,
    DELETE,
    HISTORY,
    VIEW,
    scope_queryset,
    user_can,
    user_can_place,
)
from .roles import initial_account_status
from .services import user_sync_role_groups
from .spreadsheets.batches import import_allowed
from .spreadsheets.resources import resource_for_model

# --- Accounts (Wagtail's user viewset, with roles) -------------------------------


class UserCreateView(wagtail_users.CreateView):
    def save_instance(self):
        # Property 1 holds for accounts made in the admin too.
        self.form.instance.account_status = initial_account_status(
            self.form.cleaned_data["role"]
        )
        with transaction.atomic():
            user = super().save_instance()
            user_sync_role_groups(user=user)
            record_created(user, user=self.request.user)
        return user


class UserEditView(wagtail_users.EditView):
    def save_instance(self):
        with transaction.atomic():
            before = stored_snapshot(self.form.instance)
            user = super().save_instance()
            user_sync_role_groups(user=user)
            record_saved(user, before, user=self.request.user)
        return user


class UserDeleteView(wagtail_users.DeleteView):
    def delete_action(self):
        with transaction.atomic():
            record_deleted(self.object, user=self.request.user)
            super().delete_action()


class UserViewSet(wagtail_users.UserViewSet):
    add_view_class = UserCreateView
    edit_view_class = UserEditView
    delete_view_class = UserDeleteView
    create_template_name = "records/users/create.html"
    edit_template_name = "records/users/edit.html"

    def get_form_class(self, for_update=False):
        return CampusdeskUserEditForm if for_update else CampusdeskUserCreationForm


# --- Shared view behaviour ---------------------------------------------------------

PROTECTED_MESSAGE = _(
    "%(object)s cannot be deleted: %(count)d other record(s) refer to it, "
    "for example %(examples)s."
)


def add_validation_errors(form, exc: ValidationError, fallback_field=None) -> None:
    """Put a model/service ValidationError onto the form, field by field.

    Errors for fields the form does not show become errors of the whole form,
    so no message is lost (and ``add_error`` never raises).
    """
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        target = fallback_field if fallback_field in form.fields else None
        for message in exc.messages:
            form.add_error(target, message)


def form_model_values(form, names=None) -> dict:
    """The form's cleaned values as model attributes (objects for foreign keys).

    The values are read from ``form.instance``, where the ModelForm has put
    them, so files, choices and relations arrive as the model expects them.
    """
    model_fields = {
        f.name for f in form.instance._meta.concrete_fields if f.editable
    } & set(form.fields)
    names = model_fields if names is None else model_fields & set(names)
    return {name: getattr(form.instance, name) for name in sorted(names)}


# --- One permission policy for every records view -------------------------------------

SCOPE_REFUSED = _(
    "You may only keep records of your own departments or classes here; "
    "this one would be outside them."
)


class ScopedIndexMixin:
    """Listings and their spreadsheet exports hold only what the user may see."""

    def get_base_queryset(self):
        return scope_queryset(self.request.user, super().get_base_queryset(), VIEW)


class ScopedObjectMixin:
    """A record outside the user's scope answers 404: its existence does not leak."""

    scope_action = VIEW

    def get_object(self, *args, **kwargs):
        instance = super().get_object(*args, **kwargs)
        if not user_can(self.request.user, self.scope_action, instance):
            raise Http404
        return instance


class ScopedSaveMixin:
    """What is saved must land inside the user's scope (e.g. their departments)."""

    scope_save_action = ADD

    def save_instance(self):
        if not user_can_place(
            self.request.user, self.scope_save_action, self.form.instance
        ):
            raise ValidationError(SCOPE_REFUSED)
        if isinstance(self, ServiceFormMixin):
            return super().save_instance()  # the service writes the activity entry
        # Wagtail's own create/edit views: the same entry a service would write,
        # inside the transaction Wagtail's form_valid opens.
        before = activity.stored_snapshot(self.form.instance)
        instance = super().save_instance()
        activity.record_saved(instance, before, user=self.request.user)
        return instance

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            # Views without ServiceFormMixin: show the refusal on the form.
            add_validation_errors(form, exc, None)
            return self.form_invalid(form)


class ClearRefusalMixin:
    """A refusal answers 403 with a page that says so.

    Wagtail turns ``PermissionDenied`` into a redirect to the dashboard with a
    flash message; that reads like a glitch, so records views answer 403.
    """

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied:
            if request.headers.get("x-requested-with") == "XMLHttpRequest":
                raise
            return TemplateResponse(
                request, "records/admin/permission_denied.html", status=403
            )


_SCOPED_VIEWS: dict[type, type] = {}


def scoped_view_class(view_class: type) -> type:
    """The same view class, narrowed by the permission policy."""
    if view_class in _SCOPED_VIEWS:
        return _SCOPED_VIEWS[view_class]
    bases: list[type] = []
    attrs: dict = {}
    if issubclass(view_class, generic.IndexView):
        bases.append(ScopedIndexMixin)
    elif issubclass(view_class, generic.CreateView):
        bases.append(ScopedSaveMixin)
        attrs["scope_save_action"] = ADD
        if issubclass(view_class, CopyViewMixin):
            bases.insert(0, ScopedObjectMixin)
            attrs["scope_action"] = VIEW
    elif issubclass(view_class, generic.EditView):
        bases += [ScopedObjectMixin, ScopedSaveMixin]
        attrs.update(scope_action=CHANGE, scope_save_action=CHANGE)
    elif issubclass(view_class, generic.DeleteView):
        bases.append(ScopedObjectMixin)
        attrs["scope_action"] = DELETE
    elif issubclass(view_class, generic.HistoryView):
        bases.append(ScopedObjectMixin)
        # Wagtail asks for add/change/delete; the rules give history with view.
        attrs["scope_action"] = HISTORY
        attrs["any_permission_required"] = ["view", "add", "change", "delete"]
    elif issubclass(view_class, (generic.InspectView, UsageView)):
        bases.append(ScopedObjectMixin)
        attrs["scope_action"] = VIEW
    scoped = type(
        f"Scoped{view_class.__name__}", (ClearRefusalMixin, *bases, view_class), attrs
    )
    _SCOPED_VIEWS[view_class] = scoped
    return scoped


class RecordIndexView(generic.IndexView):
    """An index whose rows come with their relations (constant queries per page)."""

    select_related = ()
    title_links_to_inspect = False

    def get_base_queryset(self):
        queryset = super().get_base_queryset()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset

    # --- Spreadsheet export (records/exports.py) ---------------------------------
    # ?export=csv|xlsx|ods answers a file of exactly the listing: its filters,
    # search and ordering, every page, only rows the user may export; the
    # record types with an import resource in its columns (the file imports
    # back). Handled before the listing's context is built, so the rows are
    # streamed from the database, never loaded all at once.

    FORMATS = EXPORT_FORMATS

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export", "").strip().lower()
        if not fmt:
            return super().get(request, *args, **kwargs)
        if fmt not in self.FORMATS:
            return HttpResponseBadRequest(
                _("Unknown export format. Use one of: %(formats)s.")
                % {"formats": ", ".join(self.FORMATS)},
                content_type="text/plain; charset=utf-8",
            )
        return listing_export_response(self, fmt)

    @cached_property
    def show_export_buttons(self):
        return bool(self.list_export) and user_may_export(self.request.user, self.model)

    def get_export_url(self, format):
        """The listing's URL with its filters, search and ordering, and ``export``.

        Also right in the results-only view that refreshes the header buttons
        when a filter changes (its own path would answer too, but the page
        number and the fragment flag have no place in a download link).
        """
        params = self.request.GET.copy()
        for key in (self.page_kwarg, "_w_filter_fragment", "export"):
            params.pop(key, None)
        params["export"] = format
        return f"{self.index_url or self.request.path}?{params.urlencode()}"

    @property
    def ods_export_url(self):
        return self.get_export_url("ods")

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if self.show_export_buttons:
            buttons.append(
                Button(
                    _("Download ODS"),
                    url=self.ods_export_url,
                    icon_name="download",
                    priority=95,
                )
            )
        resource = resource_for_model(self.model)
        if resource is not None and import_allowed(
            self.request.user, resource.record_type
        ):
            buttons.append(
                Button(
                    import_button_label(resource.record_type),
                    url=import_url(resource.record_type),
                    icon_name="upload",
                    priority=100,
                )
            )
        return buttons

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        if not self.title_links_to_inspect:
            return super()._get_title_column(field_name, column_class, **kwargs)
        column_class = self._get_title_column_class(column_class)

        def get_url(instance):
            return self.get_inspect_url(instance) or self.get_edit_url(instance)

        return self._get_custom_column(
            field_name, column_class, get_url=get_url, **kwargs
        )


class RecordInspectView(generic.InspectView):
    select_related = ()
    history_url_name = None

    def get_object(self, queryset=None):
        queryset = self.model._default_manager.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return get_object_or_404(queryset, pk=self.pk)

    def get_history_url(self):
        if self.history_url_name:
            return reverse(self.history_url_name, args=(quote(self.object.pk),))

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if history_url := self.get_history_url():
            buttons.append(
                Button(_("History"), url=history_url, icon_name="history", priority=90)
            )
        return buttons


class ServiceFormMixin:
    """Create/edit views that save through a service.

    ``ValidationError`` from the service lands on the form's fields;
    ``BusinessRuleError`` becomes an error of the whole form. Either way the
    transaction is rolled back and the form is shown again.
    """

    error_fallback_field = None

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            add_validation_errors(form, exc, self.error_fallback_field)
        except BusinessRuleError as exc:
            form.add_error(None, str(exc))
        self.produced_error_code = "validation_error"
        self.produced_error_message = self.get_error_message()
        return self.form_invalid(form)


class ServiceCreateView(ServiceFormMixin, generic.CreateView):
    def create(self, form):
        raise NotImplementedError

    def save_instance(self):
        instance = self.create(self.form)
        return instance


class ServiceEditView(ServiceFormMixin, generic.EditView):
    def update(self, form):
        raise NotImplementedError

    def save_instance(self):
        instance = self.update(self.form)
        return instance


class ProtectedDeleteView(generic.DeleteView):
    """Deleting something others still refer to explains why instead of failing.

    Every delete writes its activity entry in the delete's transaction (views
    that delete through a service, like documents, leave it to the service).
    """

    def delete_action(self):
        with transaction.atomic():
            activity.record_deleted(self.object, user=self.request.user)
            super().delete_action()

    def form_valid(self, form):
        try:
            if self.usage and self.usage.is_protected:
                # Wagtail would answer "permission denied"; say what protects it.
                Collector(using=router.db_for_write(self.model)).collect([self.object])
            return super().form_valid(form)
        except (ProtectedError, RestrictedError) as exc:
            related = list(
                getattr(exc, "protected_objects", None)
                or getattr(exc, "restricted_objects", None)
                or []
            )
            messages.error(
                self.request,
                PROTECTED_MESSAGE
                % {
                    "object": self.object,
                    "count": len(related),
                    "examples": ", ".join(str(o) for o in related[:3]),
                },
            )
        except BusinessRuleError as exc:
            messages.error(self.request, str(exc))
        return redirect(self.get_delete_url())


class RecordViewSet(ModelViewSet):
    """Defaults shared by the records' viewsets."""

    add_to_admin_menu = False
    inspect_view_enabled = True
    copy_view_enabled = False
    search_backend_name = None  # Django ORM search over search_fields
    list_per_page = 50
    index_view_class = RecordIndexView
    inspect_view_class = RecordInspectView
    delete_view_class = ProtectedDeleteView
    list_select_related = ()
    title_links_to_inspect = False
    # simple-history is the one story of a record's changes (records/history.py).
    history_view_class = RecordHistoryView

    def construct_view(self, view_class, **kwargs):
        return super().construct_view(scoped_view_class(view_class), **kwargs)

    def get_history_view_kwargs(self, **kwargs):
        return super().get_history_view_kwargs(
            revert_url_name=self.get_url_name("revert"),
            deleted_url_name=self.get_url_name("deleted"),
            **kwargs,
        )

    def _history_action_kwargs(self) -> dict:
        return {
            "model": self.model,
            "index_url_name": self.get_url_name("index"),
            "history_url_name": self.get_url_name("history"),
            "deleted_url_name": self.get_url_name("deleted"),
        }

    def get_urlpatterns(self):
        actions = self._history_action_kwargs()
        return [
            *super().get_urlpatterns(),
            path(
                "history/<int:pk>/revert/<int:history_id>/",
                self.construct_view(RecordRevertView, **actions),
                name="revert",
            ),
            path(
                "deleted/",
                self.construct_view(
                    DeletedRecordsView,
                    restore_url_name=self.get_url_name("restore"),
                    **actions,
                ),
                name="deleted",
            ),
            path(
                "deleted/<int:history_id>/restore/",
                self.construct_view(RecordRestoreView, **actions),
                name="restore",
            ),
        ]

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            select_related=self.list_select_related,
            title_links_to_inspect=self.title_links_to_inspect,
            **kwargs,
        )

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            select_related=self.list_select_related,
            history_url_name=self.get_url_name("history"),
            **kwargs,
        )


# --- Structure -----------------------------------------------------------------------


class AcademicSessionCreateView(ServiceCreateView):
    def create(self, form):
        return services.academic_session_create(
            acting_user=self.request.user, **form_model_values(form)
        )


class DepartmentViewSet(RecordViewSet):
    model = Department
    name = "departments"
    icon = "site"
    menu_label = _("Departments")
    list_display = ["name", "code", "name_bangla", "short_name", "head"]
    list_select_related = ["head"]
    list_export = ["code", "name", "name_bangla", "short_name", "head"]
    search_fields = ["name", "name_bangla", "code", "short_name"]
    ordering = "name"
    panels = [
        FieldRowPanel([FieldPanel("code"), FieldPanel("short_name")]),
        FieldPanel("name"),
        FieldPanel("name_bangla"),
        FieldPanel("head"),
    ]
    inspect_view_fields = ["code", "name", "name_bangla", "short_name", "head"]


class AcademicSessionViewSet(RecordViewSet):
    model = AcademicSession
    name = "sessions"
    icon = "calendar"
    menu_label = _("Sessions")
    add_view_class = AcademicSessionCreateView
    filterset_class = filters.AcademicSessionFilterSet
    list_display = [
        "name",
        "start_date",
        "end_date",
        BooleanColumn("is_current", label=_("Current"), sort_key="is_current"),
    ]
    list_export = ["name", "start_date", "end_date", "is_current"]
    search_fields = ["name"]
    ordering = "-start_date"
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
            FieldPanel("is_current"),
        ],
        base_form_class=AcademicSessionForm,
    )
    inspect_view_fields = ["name", "start_date", "end_date", "is_current"]


class SubjectViewSet(RecordViewSet):
    model = Subject
    name = "subjects"
    icon = "doc-empty"
    menu_label = _("Subjects")
    filterset_class = filters.SubjectFilterSet
    list_display = [
        "code",
        "name",
        "name_bangla",
        "department",
        "semester",
        "credits",
        BooleanColumn("is_active", label=_("Active"), sort_key="is_active"),
    ]
    list_select_related = ["department"]
    list_export = [
        "code",
        "name",
        "name_bangla",
        "department",
        "semester",
        "credits",
        "is_active",
    ]
    search_fields = ["code", "name", "name_bangla"]
    ordering = ["department__code", "semester", "code"]
    panels = [
        FieldRowPanel([FieldPanel("code"), FieldPanel("credits")]),
        FieldPanel("name"),
        FieldPanel("name_bangla"),
        FieldRowPanel([FieldPanel("department"), FieldPanel("semester")]),
        FieldPanel("is_active"),
    ]
    inspect_view_fields = [
        "code",
        "name",
        "name_bangla",
        "department",
        "semester",
        "credits",
        "is_active",
    ]


# --- Teachers ------------------------------------------------------------------------


class TeacherEditView(ServiceEditView):
    def update(self, form):
        return services.teacher_update(
            teacher=self.object,
            acting_user=self.request.user,
            **form_model_values(form, form.changed_data),
        )


class TeacherViewSet(RecordViewSet):
    model = Teacher
    name = "teachers"
    edit_view_class = TeacherEditView
    icon = "user"
    menu_label = _("Teachers")
    filterset_class = filters.TeacherFilterSet
    list_display = [
        "full_name_english",
        "full_name_bangla",
        "designation",
        "department",
        "mobile_number",
        "email",
        "status",
    ]
    list_select_related = ["department"]
    list_export = [
        "full_name_english",
        "full_name_bangla",
        "designation",
        "department",
        "mobile_number",
        "email",
        "joining_date",
        "get_status_display",
    ]
    export_headings = {"get_status_display": _("Status")}
    search_fields = [
        "full_name_english",
        "full_name_bangla",
        "mobile_number",
        "email",
        "designation",
    ]
    ordering = "full_name_english"
    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("full_name_english"),
                    FieldPanel("full_name_bangla"),
                    FieldRowPanel([FieldPanel("designation"), FieldPanel("status")]),
                    FieldRowPanel(
                        [FieldPanel("department"), FieldPanel("joining_date")]
                    ),
                ],
                heading=_("Personal"),
            ),
            ObjectList(
                [FieldPanel("mobile_number"), FieldPanel("email")],
                heading=_("Contact"),
            ),
            ObjectList(
                [FieldPanel("qualifications"), FieldPanel("specializations")],
                heading=_("Qualifications"),
            ),
        ]
    )
    inspect_view_fields = [
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


# --- Students ------------------------------------------------------------------------

STUDENT_PERSONAL = [
    "full_name_english",
    "full_name_bangla",
    "father_name",
    "father_nid",
    "mother_name",
    "mother_nid",
    "date_of_birth",
    "birth_certificate_no",
    "gender",
    "religion",
    "blood_group",
]
STUDENT_CONTACT = ["mobile_student", "guardian_mobile", "email", "emergency_contact"]
STUDENT_PRESENT_ADDRESS = [
    "present_village",
    "present_post_office",
    "present_upazila",
    "present_district",
    "present_division",
]
STUDENT_PERMANENT_ADDRESS = [
    f.replace("present_", "permanent_") for f in STUDENT_PRESENT_ADDRESS
]
STUDENT_EDUCATION = [
    "previous_exam",
    "previous_exam_board",
    "previous_exam_group",
    "previous_exam_roll",
    "previous_exam_registration",
    "previous_exam_passing_year",
    "previous_exam_gpa",
    "previous_institution",
]
STUDENT_ACADEMIC = [
    "current_roll_number",
    "current_registration_number",
    "department",
    "semester",
    "shift",
    "session",
    "status",
    "discontinued_reason",
    "discontinued_at",
    "created_at",
]


def _rows(names, per_row=2):
    return [
        FieldRowPanel([FieldPanel(n) for n in names[i : i + per_row]])
        for i in range(0, len(names), per_row)
    ]


STUDENT_EDIT_HANDLER = TabbedInterface(
    [
        ObjectList(
            [
                FieldPanel("full_name_english"),
                FieldPanel("full_name_bangla"),
                *_rows(["father_name", "father_nid", "mother_name", "mother_nid"]),
                FieldRowPanel(
                    [FieldPanel("date_of_birth"), FieldPanel("birth_certificate_no")]
                ),
                FieldRowPanel(
                    [
                        FieldPanel("gender"),
                        FieldPanel("religion"),
                        FieldPanel("blood_group"),
                    ]
                ),
                FieldPanel("photo"),
            ],
            heading=_("Personal"),
        ),
        ObjectList(
            [
                FieldRowPanel(
                    [FieldPanel("mobile_student"), FieldPanel("guardian_mobile")]
                ),
                FieldPanel("email"),
                FieldPanel("emergency_contact"),
            ],
            heading=_("Contact"),
        ),
        ObjectList(
            [
                MultiFieldPanel(
                    [FieldPanel(n) for n in STUDENT_PRESENT_ADDRESS],
                    heading=_("Present address"),
                ),
                MultiFieldPanel(
                    [FieldPanel(n) for n in STUDENT_PERMANENT_ADDRESS],
                    heading=_("Permanent address"),
                ),
            ],
            heading=_("Address"),
        ),
        ObjectList(
            [
                FieldPanel("previous_exam"),
                *_rows(STUDENT_EDUCATION[1:]),
            ],
            heading=_("Previous education"),
        ),
        ObjectList(
            [
                FieldRowPanel([FieldPanel("department"), FieldPanel("session")]),
                FieldRowPanel([FieldPanel("semester"), FieldPanel("shift")]),
            ],
            heading=_("Academic"),
            help_text=_(
                "Roll and registration numbers are given by Campusdesk when the "
                "student is saved for the first time."
            ),
        ),
    ]
)


class StudentCreateView(ServiceCreateView):
    def create(self, form):
        return services.student_create(
            acting_user=self.request.user,
            reason="admin create",
            **form_model_values(form),
        )

    def get_success_url(self):
        return reverse("students:inspect", args=[quote(self.object.pk)])

    def get_success_message(self, instance):
        return _(
            "Student '%(name)s' created with roll number %(roll)s and "
            "registration number %(registration)s."
        ) % {
            "name": instance.full_name_english,
            "roll": instance.current_roll_number,
            "registration": instance.current_registration_number,
        }


def student_action_buttons(user, student, *, button_class=Button, next_url=None):
    """Discontinue / reinstate / convert, as far as the student's status allows."""
    policy = policy_registry.get_by_type(Student)
    if not policy.user_has_permission(user, "change"):
        return []
    actions = []
    if student.status == StudentStatus.ACTIVE:
        actions.append(("discontinue", _("Discontinue"), "warning"))
        actions.append(("convert_to_alumni", _("Convert to alumni"), "success"))
    elif student.status == StudentStatus.DISCONTINUED:
        actions.append(("reinstate", _("Reinstate"), "resubmit"))
    elif student.status == StudentStatus.GRADUATED:
        actions.append(("convert_to_alumni", _("Convert to alumni"), "success"))
    return [
        button_class(
            label,
            url=reverse(f"students:{name}", args=[quote(student.pk)]),
            icon_name=icon,
            priority=100 + i,
        )
        for i, (name, label, icon) in enumerate(actions)
    ]


class StudentEditView(ServiceEditView):
    def update(self, form):
        return services.student_update(
            student=self.object,
            acting_user=self.request.user,
            reason="admin edit",
            **form_model_values(form, form.changed_data),
        )

    @cached_property
    def header_more_buttons(self):
        return [
            *super().header_more_buttons,
            *student_action_buttons(self.request.user, self.object),
        ]


class StudentIndexView(RecordIndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        for button in student_action_buttons(
            self.request.user, instance, button_class=MenuItem
        ):
            buttons.append(button)
        return buttons

    @cached_property
    def header_buttons(self):
        return [
            *super().header_buttons,
            HeaderButton(
                _("Discontinued students"),
                url=self.index_url + "?status=discontinued",
                icon_name="warning",
            ),
        ]


class StudentDeleteView(ProtectedDeleteView):
    def delete_action(self):
        # Deleting the row would leave the documents' files behind in storage.
        if self.object.documents.exists():
            raise BusinessRuleError(
                _(
                    "%(student)s has uploaded documents; delete them first, or "
                    "discontinue the student instead of deleting the record."
                )
                % {"student": self.object}
            )
        super().delete_action()


STUDENT_SECTIONS = [
    (_("Academic"), STUDENT_ACADEMIC),
    (_("Personal"), STUDENT_PERSONAL),
    (_("Contact"), STUDENT_CONTACT),
    (_("Present address"), STUDENT_PRESENT_ADDRESS),
    (_("Permanent address"), STUDENT_PERMANENT_ADDRESS),
    (_("Previous education"), STUDENT_EDUCATION),
]


class StudentInspectView(RecordInspectView):
    """Everything about one student on one screen."""

    template_name = "records/admin/student_inspect.html"

    def get_fields(self):
        return []

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        buttons.extend(student_action_buttons(self.request.user, self.object))
        if policy_registry.get_by_type(Document).user_has_permission(
            self.request.user, "add"
        ):
            buttons.append(
                Button(
                    _("Upload document"),
                    url=reverse("documents:add") + f"?student={self.object.pk}",
                    icon_name="upload",
                    priority=120,
                )
            )
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        student = self.object
        context["sections"] = [
            (f"section-{i}", title, [self.get_context_for_field(n) for n in names])
            for i, (title, names) in enumerate(STUDENT_SECTIONS, start=1)
        ]
        context["attendance"] = selectors.student_attendance_summary(student=student)
        context["results"] = selectors.student_semester_results(student=student)
        context["documents"] = list(student.documents.all())
        context["alumni"] = Alumni.objects.filter(student=student).first()
        context["photo_url"] = (
            reverse("records:student_photo", args=[student.pk]) if student.photo else ""
        )
        context["history_url"] = self.get_history_url()
        context["edit_url"] = self.get_edit_url()
        context["action_buttons"] = student_action_buttons(self.request.user, student)
        context["can_view_documents"] = policy_registry.get_by_type(
            Document
        ).user_has_any_permission(self.request.user, ["add", "change", "view"])
        return context


class StudentActionView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """A confirmation page for one operation on a student (GET shows, POST acts)."""

    model = Student
    permission_required = "change"
    template_name = "records/admin/student_action.html"
    header_icon = "user"
    page_title = ""
    intro = ""
    submit_label = _("Confirm")
    submit_classname = "button"
    success_message = ""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(
            Student.objects.select_related("department", "session"), pk=kwargs["pk"]
        )
        if not user_can(request.user, CHANGE, self.object):
            raise Http404

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("students:index"),
                "label": capfirst(Student._meta.verbose_name_plural),
            },
            {"url": self.inspect_url, "label": str(self.object)},
            {"url": "", "label": self.get_page_title()},
        ]

    @cached_property
    def inspect_url(self):
        return reverse("students:inspect", args=[quote(self.object.pk)])

    def unavailable_reason(self) -> str:
        """Why the action cannot be done now (shown instead of the button)."""
        return ""

    def perform(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.perform(form)
        except ValidationError as exc:
            add_validation_errors(form, exc, fallback_field=None)
            return self.form_invalid(form)
        except BusinessRuleError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"student": self.object})
        return redirect(self.inspect_url)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "object": self.object,
                "intro": self.intro,
                "unavailable_reason": self.unavailable_reason(),
                "submit_label": self.submit_label,
                "submit_classname": self.submit_classname,
                "cancel_url": self.inspect_url,
                "action_url": self.request.path,
            }
        )
        return context


ALREADY_DISCONTINUED_NOTICE = _("%(student)s is already discontinued.")


class StudentDiscontinueView(StudentActionView):
    form_class = DiscontinueForm
    page_title = _("Discontinue")
    intro = _(
        "The student leaves the active lists and appears in the list of "
        "discontinued students. They can be reinstated later."
    )
    submit_label = _("Yes, discontinue")
    submit_classname = "button serious"
    success_message = _("%(student)s is discontinued.")

    def unavailable_reason(self):
        if self.object.status == StudentStatus.DISCONTINUED:
            return ALREADY_DISCONTINUED_NOTICE % {"student": self.object}
        return ""

    def perform(self, form):
        services.student_discontinue(
            student=self.object,
            reason=form.cleaned_data["reason"],
            acting_user=self.request.user,
        )


class StudentReinstateView(StudentActionView):
    form_class = ReinstateForm
    page_title = _("Reinstate")
    intro = _(
        "The student becomes active again; the reason for discontinuing is cleared."
    )
    submit_label = _("Yes, reinstate")
    success_message = _("%(student)s is active again.")

    def unavailable_reason(self):
        if self.object.status != StudentStatus.DISCONTINUED:
            return _("%(student)s is not discontinued.") % {"student": self.object}
        return ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["discontinued_reason"] = self.object.discontinued_reason
        return context

    def perform(self, form):
        services.student_reinstate(student=self.object, acting_user=self.request.user)


class StudentConvertToAlumniView(StudentActionView):
    form_class = AlumniConversionForm
    page_title = _("Convert to alumni")
    intro = _(
        "A student becomes an alumnus once results exist for all eight semesters."
    )
    submit_label = _("Convert to alumni")
    success_message = _("%(student)s is now an alumnus.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "student": self.object}

    @cached_property
    def missing_semesters(self):
        return selectors.student_semesters_missing_results(student=self.object)

    def unavailable_reason(self):
        if self.object.status == StudentStatus.ALUMNI:
            return _("%(student)s is already an alumnus.") % {"student": self.object}
        if self.object.status == StudentStatus.DISCONTINUED:
            return _("%(student)s is discontinued and cannot become an alumnus.") % {
                "student": self.object
            }
        if self.missing_semesters:
            return services.ALUMNI_MISSING_RESULTS % {
                "student": self.object,
                "missing": ", ".join(str(n) for n in self.missing_semesters),
            }
        return ""

    def perform(self, form):
        services.student_convert_to_alumni(
            student=self.object,
            acting_user=self.request.user,
            **form.cleaned_data,
        )


class StudentViewSet(RecordViewSet):
    model = Student
    name = "students"
    icon = "group"
    menu_label = _("Students")
    index_view_class = StudentIndexView
    add_view_class = StudentCreateView
    edit_view_class = StudentEditView
    delete_view_class = StudentDeleteView
    inspect_view_class = StudentInspectView
    filterset_class = filters.StudentFilterSet
    title_links_to_inspect = True
    list_display = [
        "current_roll_number",
        "current_registration_number",
        "full_name_english",
        "full_name_bangla",
        Column(
            "department",
            label=_("Department"),
            accessor="department.code",
            sort_key="department__code",
        ),
        "semester",
        "shift",
        "session",
        "status",
    ]
    list_select_related = ["department", "session"]
    list_export = [
        "current_roll_number",
        "current_registration_number",
        "full_name_english",
        "full_name_bangla",
        "department",
        "semester",
        "get_shift_display",
        "session",
        "get_status_display",
        "gender",
        "date_of_birth",
        "mobile_student",
        "guardian_mobile",
        "email",
        "father_name",
        "mother_name",
    ]
    export_headings = {
        "get_shift_display": _("Shift"),
        "get_status_display": _("Status"),
    }
    export_filename = "students"
    search_fields = [
        "full_name_english",
        "full_name_bangla",
        "current_roll_number",
        "current_registration_number",
        "mobile_student",
        "guardian_mobile",
    ]
    ordering = ["department__code", "semester", "current_roll_number"]
    edit_handler = STUDENT_EDIT_HANDLER

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "discontinue/<int:pk>/",
                StudentDiscontinueView.as_view(),
                name="discontinue",
            ),
            path(
                "reinstate/<int:pk>/", StudentReinstateView.as_view(), name="reinstate"
            ),
            path(
                "convert-to-alumni/<int:pk>/",
                StudentConvertToAlumniView.as_view(),
                name="convert_to_alumni",
            ),
        ]


class DiscontinuedStudentsMenu(ViewSet):
    """Property 9's list: a menu entry for the discontinued students.

    A ViewSet without views of its own, so a ViewSetGroup can hold it.
    """

    name = "discontinued_students"
    icon = "warning"
    menu_label = _("Discontinued students")
    menu_name = "discontinued-students"

    @property
    def menu_url(self):
        return reverse("students:index") + "?status=discontinued"

    @cached_property
    def menu_item_class(self):
        def is_shown(_self, request):
            return policy_registry.get_by_type(Student).user_has_any_permission(
                request.user, ["add", "change", "delete", "view"]
            )

        return type(
            "DiscontinuedStudentsMenuItem", (AdminMenuItem,), {"is_shown": is_shown}
        )


# --- Alumni --------------------------------------------------------------------------


class AlumniCreateView(generic.CreateView):
    """Alumni are made from a student's page, where the results are checked."""

    def dispatch(self, request, *args, **kwargs):
        messages.info(
            request,
            _(
                "To add an alumnus, open the student and choose “Convert to alumni”: "
                "their results are checked first."
            ),
        )
        return redirect("students:index")


class AlumniIndexView(RecordIndexView):
    def get_add_url(self):
        return None


class AlumniViewSet(RecordViewSet):
    model = Alumni
    name = "alumni"
    icon = "user"
    menu_label = _("Alumni")
    index_view_class = AlumniIndexView
    add_view_class = AlumniCreateView
    filterset_class = filters.AlumniFilterSet
    list_display = [
        "student__full_name_english",
        "student__full_name_bangla",
        Column(
            "roll",
            label=_("Roll number"),
            accessor="student.current_roll_number",
            sort_key="student__current_roll_number",
        ),
        Column(
            "department",
            label=_("Department"),
            accessor="student.department.code",
            sort_key="student__department__code",
        ),
        "graduation_year",
        "current_occupation",
        "current_organization",
        "contact_mobile",
    ]
    list_select_related = ["student", "student__department", "student__session"]
    list_export = [
        "student.current_roll_number",
        "student.full_name_english",
        "student.full_name_bangla",
        "student.department",
        "student.session",
        "graduation_year",
        "current_occupation",
        "current_organization",
        "contact_mobile",
        "contact_email",
    ]
    export_headings = {
        "student.current_roll_number": _("Roll number"),
        "student.full_name_english": _("Full name (English)"),
        "student.full_name_bangla": _("Full name (Bangla)"),
        "student.department": _("Department"),
        "student.session": _("Session"),
    }
    search_fields = [
        "student__full_name_english",
        "student__full_name_bangla",
        "student__current_roll_number",
        "current_organization",
        "contact_mobile",
    ]
    ordering = ["-graduation_year", "student__full_name_english"]
    panels = [
        FieldPanel("graduation_year"),
        FieldRowPanel(
            [FieldPanel("current_occupation"), FieldPanel("current_organization")]
        ),
        FieldRowPanel([FieldPanel("contact_mobile"), FieldPanel("contact_email")]),
    ]
    inspect_view_fields = [
        "student",
        "graduation_year",
        "current_occupation",
        "current_organization",
        "contact_mobile",
        "contact_email",
        "converted_at",
        "converted_by",
    ]


# --- Documents -----------------------------------------------------------------------


class DocumentCreateView(ServiceCreateView):
    error_fallback_field = "file"

    def get_initial(self):
        initial = super().get_initial()
        if student := self.request.GET.get("student"):
            initial["student"] = student
        return initial

    def create(self, form):
        return services.document_upload(
            student=form.cleaned_data["student"],
            kind=form.cleaned_data["kind"],
            uploaded_file=form.cleaned_data["file"],
            acting_user=self.request.user,
        )

    def get_success_buttons(self):
        return []

    def get_success_url(self):
        return reverse("students:inspect", args=[quote(self.object.student_id)])


class DocumentDeleteView(ProtectedDeleteView):
    def delete_action(self):
        log(instance=self.object, action="wagtail.delete", user=self.request.user)
        services.document_delete(document=self.object, acting_user=self.request.user)


class DocumentInspectView(RecordInspectView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["download_url"] = reverse(
            "records:document_download", args=[self.object.pk]
        )
        return context


class DocumentViewSet(RecordViewSet):
    """Documents are uploaded and deleted, never edited in place."""

    model = Document
    name = "documents"
    # /admin/documents/ is Wagtail's own documents library.
    url_prefix = "student-documents"
    icon = "doc-full"
    menu_label = _("Documents")
    add_view_class = DocumentCreateView
    delete_view_class = DocumentDeleteView
    inspect_view_class = DocumentInspectView
    inspect_template_name = "records/admin/document_inspect.html"
    filterset_class = filters.DocumentFilterSet
    list_display = [
        "original_name",
        "kind",
        "student",
        Column(
            "department",
            label=_("Department"),
            accessor="student.department.code",
            sort_key="student__department__code",
        ),
        "content_type",
        "size",
        "uploaded_at",
    ]
    list_select_related = ["student", "student__department"]
    list_export = [
        "student.current_roll_number",
        "student.full_name_english",
        "get_kind_display",
        "original_name",
        "content_type",
        "size",
        "uploaded_at",
    ]
    export_headings = {
        "student.current_roll_number": _("Roll number"),
        "student.full_name_english": _("Student"),
        "get_kind_display": _("Type"),
    }
    search_fields = [
        "original_name",
        "student__full_name_english",
        "student__full_name_bangla",
        "student__current_roll_number",
    ]
    ordering = "-uploaded_at"
    inspect_view_fields = [
        "student",
        "kind",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]

    def get_form_class(self, for_update=False):
        return DocumentUploadForm

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs["edit_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        return [p for p in super().get_urlpatterns() if p.name != "edit"]


# --- Routines ------------------------------------------------------------------------


class RoutineCreateView(ServiceCreateView):
    def create(self, form):
        return services.routine_create(
            acting_user=self.request.user, **form_model_values(form)
        )


class RoutineCopyView(CopyViewMixin, RoutineCreateView):
    pass


class RoutineEditView(ServiceEditView):
    def update(self, form):
        return services.routine_update(
            routine=self.object,
            acting_user=self.request.user,
            **form_model_values(form, form.changed_data),
        )


class ClassRoutineViewSet(RecordViewSet):
    model = ClassRoutine
    name = "routines"
    icon = "time"
    menu_label = _("Class routine")
    add_view_class = RoutineCreateView
    edit_view_class = RoutineEditView
    copy_view_enabled = True
    copy_view_class = RoutineCopyView
    filterset_class = filters.ClassRoutineFilterSet
    list_display = [
        "subject",
        Column(
            "group",
            label=_("Class group"),
            accessor=lambda r: (
                f"{r.department.code} · {r.get_semester_display()} · "
                f"{r.get_shift_display()}"
            ),
        ),
        "session",
        "day_of_week",
        Column("time", label=_("Time"), accessor="time_label", sort_key="start_time"),
        "teacher",
        "room_number",
        BooleanColumn("is_active", label=_("Active"), sort_key="is_active"),
    ]
    list_select_related = ["department", "session", "subject", "teacher"]
    list_export = [
        "department.code",
        "semester",
        "get_shift_display",
        "session",
        "get_day_of_week_display",
        "start_time",
        "end_time",
        "subject.code",
        "subject.name",
        "teacher",
        "room_number",
        "is_active",
    ]
    export_headings = {
        "department.code": _("Department"),
        "get_shift_display": _("Shift"),
        "get_day_of_week_display": _("Day"),
        "subject.code": _("Subject code"),
        "subject.name": _("Subject"),
    }
    search_fields = [
        "subject__code",
        "subject__name",
        "room_number",
        "teacher__full_name_english",
        "teacher__full_name_bangla",
    ]
    ordering = [
        "department__code",
        "semester",
        "shift",
        "day_of_week",
        "start_time",
    ]
    panels = [
        FieldRowPanel([FieldPanel("department"), FieldPanel("session")]),
        FieldRowPanel([FieldPanel("semester"), FieldPanel("shift")]),
        FieldRowPanel(
            [
                FieldPanel("day_of_week"),
                FieldPanel("start_time"),
                FieldPanel("end_time"),
            ]
        ),
        FieldPanel("subject"),
        FieldRowPanel([FieldPanel("teacher"), FieldPanel("room_number")]),
        FieldPanel("is_active"),
    ]
    inspect_view_fields = [
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


# --- Attendance and marks ---------------------------------------------------------


class AttendanceCreateView(ServiceCreateView):
    def create(self, form):
        return services.attendance_record_save(
            record=form.instance, acting_user=self.request.user
        )


class AttendanceEditView(ServiceEditView):
    def update(self, form):
        return services.attendance_record_save(
            record=form.instance, acting_user=self.request.user
        )


class AttendanceViewSet(RecordViewSet):
    model = AttendanceRecord
    name = "attendance"
    icon = "calendar-check"
    menu_label = _("Attendance records")
    add_view_class = AttendanceCreateView
    edit_view_class = AttendanceEditView
    filterset_class = filters.AttendanceRecordFilterSet
    list_display = [
        "date",
        Column(
            "roll",
            label=_("Roll number"),
            accessor="student.current_roll_number",
            sort_key="student__current_roll_number",
        ),
        Column(
            "student_name",
            label=_("Student"),
            accessor="student.full_name_english",
            sort_key="student__full_name_english",
        ),
        Column(
            "subject_code",
            label=_("Subject"),
            accessor="subject.code",
            sort_key="subject__code",
        ),
        "semester",
        BooleanColumn("is_present", label=_("Present"), sort_key="is_present"),
        "notes",
    ]
    list_select_related = ["student", "subject"]
    list_export = [
        "date",
        "student.current_roll_number",
        "student.full_name_english",
        "subject.code",
        "semester",
        "is_present",
        "notes",
    ]
    export_headings = {
        "student.current_roll_number": _("Roll number"),
        "student.full_name_english": _("Student"),
        "subject.code": _("Subject"),
    }
    search_fields = [
        "student__full_name_english",
        "student__full_name_bangla",
        "student__current_roll_number",
        "subject__code",
    ]
    ordering = ["-date", "subject__code", "student__current_roll_number"]
    panels = [
        FieldPanel("student"),
        FieldRowPanel([FieldPanel("subject"), FieldPanel("semester")]),
        FieldRowPanel([FieldPanel("date"), FieldPanel("is_present")]),
        FieldPanel("notes"),
    ]
    inspect_view_fields = [
        "student",
        "subject",
        "semester",
        "date",
        "is_present",
        "notes",
        "recorded_by",
        "recorded_at",
    ]


class MarksCreateView(ServiceCreateView):
    def create(self, form):
        return services.marks_record_save(
            record=form.instance, acting_user=self.request.user
        )


class MarksEditView(ServiceEditView):
    def update(self, form):
        return services.marks_record_save(
            record=form.instance, acting_user=self.request.user
        )


class MarksViewSet(RecordViewSet):
    model = MarksRecord
    name = "marks"
    icon = "table"
    menu_label = _("Marks records")
    add_view_class = MarksCreateView
    edit_view_class = MarksEditView
    filterset_class = filters.MarksRecordFilterSet
    list_display = [
        Column(
            "roll",
            label=_("Roll number"),
            accessor="student.current_roll_number",
            sort_key="student__current_roll_number",
        ),
        Column(
            "student_name",
            label=_("Student"),
            accessor="student.full_name_english",
            sort_key="student__full_name_english",
        ),
        Column(
            "subject_code",
            label=_("Subject"),
            accessor="subject.code",
            sort_key="subject__code",
        ),
        "semester",
        "exam_type",
        "marks_obtained",
        "total_marks",
        Column("percentage", label=_("Percentage"), accessor="percentage"),
        "recorded_at",
    ]
    list_select_related = ["student", "subject"]
    list_export = [
        "student.current_roll_number",
        "student.full_name_english",
        "subject.code",
        "semester",
        "get_exam_type_display",
        "marks_obtained",
        "total_marks",
        "percentage",
        "remarks",
    ]
    export_headings = {
        "student.current_roll_number": _("Roll number"),
        "student.full_name_english": _("Student"),
        "subject.code": _("Subject"),
        "get_exam_type_display": _("Exam type"),
        "percentage": _("Percentage"),
    }
    search_fields = [
        "student__full_name_english",
        "student__full_name_bangla",
        "student__current_roll_number",
        "subject__code",
    ]
    ordering = [
        "student__current_roll_number",
        "semester",
        "subject__code",
        "exam_type",
    ]
    panels = [
        FieldPanel("student"),
        FieldRowPanel(
            [FieldPanel("subject"), FieldPanel("semester"), FieldPanel("exam_type")]
        ),
        FieldRowPanel([FieldPanel("marks_obtained"), FieldPanel("total_marks")]),
        FieldPanel("remarks"),
    ]
    inspect_view_fields = [
        "student",
        "subject",
        "semester",
        "exam_type",
        "marks_obtained",
        "total_marks",
        "remarks",
        "recorded_by",
        "recorded_at",
    ]


# --- Menu groups (registered in wagtail_hooks.py) -------------------------------------


def _has_menu_url(registerable) -> bool:
    try:
        return bool(registerable.menu_url)
    except IndexError:
        # A plain ViewSet whose get_urlpatterns() is still empty has nowhere
        # to link to (ViewSet.menu_url takes its first URL pattern).
        return False


class RecordsViewSetGroup(ModelViewSetGroup):
    """A menu group; its items keep the group's order."""

    def get_submenu_items(self):
        return [
            registerable.get_menu_item(order=order)
            for order, registerable in enumerate(self.registerables, start=1)
            if _has_menu_url(registerable)
        ]
