"""The Access screen: who holds which object permissions, and why.

Wagtail's group screen shows model permissions only; object permissions
(a registrar's departments, a class's attendance and marks rights) live here.
Institute heads change them, registrars look. Class rights are derived: they
are changed through their cause (the routine's teacher, a captain
appointment), never edited directly. The reads and the write are in
``records.access``; captains go through ``services.captain_appoint`` /
``services.captain_dismiss``.
"""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from . import access, selectors, services
from .errors import BusinessRuleError
from .models import (
    AcademicSession,
    ClassRoutine,
    Department,
    Semester,
    Shift,
    Student,
    User,
)
from .permissions import CHANGE, RECORD_TYPES, VIEW, scope_queryset, user_can
from .roles import Role

REGISTRAR_SCOPE_SAVED = _("%(user)s now reaches: %(scope)s (%(count)d students).")
CAPTAIN_APPOINTED = _(
    "%(student)s is now a captain of %(group)s and may take attendance for its classes."
)
CAPTAIN_DISMISSED = _(
    "%(student)s is no longer a captain; their attendance rights are removed."
)
ALREADY_CAPTAIN = _("%(student)s is already a captain.")
NOT_A_CAPTAIN = _("%(student)s is not a captain (already dismissed?).")
NOT_A_STUDENT_ACCOUNT = _(
    "%(student)s's account is not a student account, so they cannot be a captain."
)
CHOOSE_A_STUDENT = _("Choose a student to appoint.")
GROUPS_PER_PAGE = 10


# --- Plumbing ----------------------------------------------------------------------


class AccessViewMixin(WagtailAdminTemplateMixin):
    """Heads, registrars and superusers may look; only heads change (403 otherwise).

    Wagtail turns a raised ``PermissionDenied`` into a redirect to the dashboard,
    which hides why; this answers 403 with a page that says it.
    """

    header_icon = "lock"
    edit_only = False
    section = ""
    permission_denied_template = "records/access/permission_denied.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        needs_edit = self.edit_only or request.method not in ("GET", "HEAD")
        allowed = (
            access.can_edit_access(user) if needs_edit else access.can_view_access(user)
        )
        if not allowed:
            context = WagtailAdminTemplateMixin.get_context_data(self)
            context["needs_edit"] = needs_edit
            return TemplateResponse(
                request, self.permission_denied_template, context, status=403
            )
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("access:index"), "label": _("Access")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = access.can_edit_access(self.request.user)
        context["section"] = self.section
        return context

    def next_url(self, default: str) -> str:
        url = self.request.POST.get("next", "")
        if url and url_has_allowed_host_and_scheme(
            url,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            return url
        return default


# --- Registrars ---------------------------------------------------------------------


class RegistrarIndexView(AccessViewMixin, View):
    page_title = _("Access: registrars")
    section = "registrars"
    template_name = "records/access/registrars.html"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": _("Access")}]

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            self.get_context_data(scopes=access.registrar_scopes())
        )


class RegistrarScopeForm(forms.Form):
    all_departments = forms.BooleanField(
        label=_("All departments (institute-wide)"),
        required=False,
        help_text=_(
            "An institute-wide registrar manages the records of every department, "
            "including departments added later."
        ),
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.order_by("code"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Used when the registrar is not institute-wide."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].label_from_instance = lambda department: (
            f"{department.code} · {department.name}"
        )


class RegistrarScopeEditView(AccessViewMixin, View):
    edit_only = True
    section = "registrars"
    template_name = "records/access/registrar_edit.html"

    @cached_property
    def registrar(self) -> User:
        return get_object_or_404(User, pk=self.kwargs["user_id"], role=Role.REGISTRAR)

    def get_page_title(self):
        return gettext("Departments of %(user)s") % {
            "user": self.registrar.get_username()
        }

    def get(self, request, *args, **kwargs):
        scope = access.registrar_scopes([self.registrar])[0]
        form = RegistrarScopeForm(
            initial={
                "all_departments": scope.all_departments,
                "departments": scope.departments,
            }
        )
        return self.render(form, scope)

    def post(self, request, *args, **kwargs):
        form = RegistrarScopeForm(request.POST)
        if not form.is_valid():
            return self.render(form, access.registrar_scopes([self.registrar])[0])
        scope = access.registrar_scope_set(
            registrar=self.registrar,
            departments=form.cleaned_data["departments"],
            all_departments=form.cleaned_data["all_departments"],
            acting_user=request.user,
        )
        messages.success(
            request,
            REGISTRAR_SCOPE_SAVED
            % {
                "user": self.registrar.get_username(),
                "scope": scope.label,
                "count": scope.student_count,
            },
        )
        return redirect("access:index")

    def render(self, form, scope):
        return self.render_to_response(
            self.get_context_data(
                form=form,
                scope=scope,
                registrar=self.registrar,
                action_url=reverse("access:registrar", args=[self.registrar.pk]),
            )
        )


# --- Class permissions ----------------------------------------------------------------


class ClassFilterForm(forms.Form):
    session = forms.ModelChoiceField(
        label=_("Session"),
        queryset=AcademicSession.objects.order_by("-start_date"),
        required=False,
        empty_label=_("All sessions"),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.order_by("code"),
        required=False,
        empty_label=_("All departments"),
    )
    semester = forms.TypedChoiceField(
        label=_("Semester"),
        choices=[("", _("All semesters")), *Semester.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    shift = forms.ChoiceField(
        label=_("Shift"),
        choices=[("", _("Both shifts")), *Shift.choices],
        required=False,
    )

    def __init__(self, data, *, departments):
        if "session" not in data:
            # Open on the current session; "All sessions" is an explicit choice.
            data = data.copy()
            current = selectors.academic_session_current()
            data["session"] = str(current.pk) if current else ""
        super().__init__(data)
        self.fields["department"].queryset = departments
        self.fields["department"].label_from_instance = lambda department: (
            f"{department.code} · {department.name}"
        )

    def filter(self, routines):
        if not self.is_valid():
            return routines.none()
        for name in ("session", "department", "semester", "shift"):
            value = self.cleaned_data[name]
            if value:
                routines = routines.filter(**{name: value})
        return routines


class ClassPermissionsView(AccessViewMixin, View):
    page_title = _("Access: class permissions")
    section = "classes"
    template_name = "records/access/classes.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        routines = scope_queryset(
            user, ClassRoutine.objects.filter(is_active=True), VIEW
        )
        departments = Department.objects.filter(
            pk__in=routines.values("department")
        ).order_by("code")
        filter_form = ClassFilterForm(request.GET, departments=departments)
        routines = filter_form.filter(routines)
        keys = (
            routines.order_by(
                "department__code", "semester", "shift", "-session__start_date"
            )
            .values_list("department", "semester", "shift", "session")
            .distinct()
        )
        page = Paginator(list(keys), GROUPS_PER_PAGE).get_page(request.GET.get("p"))
        groups = []
        if page.object_list:
            from django.db.models import Q

            page_q = Q(pk__in=[])
            for department_id, semester, shift, session_id in page.object_list:
                page_q |= Q(
                    department_id=department_id,
                    semester=semester,
                    shift=shift,
                    session_id=session_id,
                )
            groups = access.class_grants(routines.filter(page_q))
        for group in groups:
            for row in group.routines:
                row.edit_url = (
                    reverse("routines:edit", args=[row.routine.pk])
                    if user_can(user, CHANGE, row.routine)
                    else ""
                )
        query = request.GET.copy()
        query.pop("p", None)
        return self.render_to_response(
            self.get_context_data(
                filter_form=filter_form,
                groups=groups,
                page=page,
                query=query.urlencode(),
                return_url=request.get_full_path(),
            )
        )


class CaptainActionView(AccessViewMixin, View):
    edit_only = True

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def done(self):
        return redirect(self.next_url(reverse("access:classes")))


class CaptainAppointView(CaptainActionView):
    def post(self, request, *args, **kwargs):
        raw = request.POST.get("student", "").strip()
        if not raw:
            messages.error(request, CHOOSE_A_STUDENT)
            return self.done()
        if not raw.isdigit():
            raise Http404
        student = get_object_or_404(
            Student.objects.select_related("user", "department"), pk=int(raw)
        )
        names = {"student": student.full_name_english}
        if student.user_id and student.user.role == Role.CAPTAIN:
            messages.info(request, ALREADY_CAPTAIN % names)  # a repeated POST
            return self.done()
        if student.user_id and student.user.role != Role.STUDENT:
            messages.error(request, NOT_A_STUDENT_ACCOUNT % names)
            return self.done()
        try:
            services.captain_appoint(student=student, acting_user=request.user)
        except BusinessRuleError as exc:
            messages.error(request, str(exc))
            return self.done()
        messages.success(
            request,
            CAPTAIN_APPOINTED
            % {
                **names,
                "group": access.class_group_label(
                    department=student.department,
                    semester=student.semester,
                    shift=student.shift,
                ),
            },
        )
        return self.done()


class CaptainDismissView(CaptainActionView):
    def post(self, request, *args, **kwargs):
        student = get_object_or_404(
            Student.objects.select_related("user"), pk=kwargs["student_id"]
        )
        names = {"student": student.full_name_english}
        if not (student.user_id and student.user.role == Role.CAPTAIN):
            messages.info(request, NOT_A_CAPTAIN % names)  # a repeated POST
            return self.done()
        try:
            services.captain_dismiss(student=student, acting_user=request.user)
        except BusinessRuleError as exc:
            messages.error(request, str(exc))
            return self.done()
        messages.success(request, CAPTAIN_DISMISSED % names)
        return self.done()


# --- Why can't X see this? -------------------------------------------------------------


def _record_type_choices():
    choices = []
    for record in RECORD_TYPES:
        model = access.record_model(record)
        choices.append((record, capfirst(model._meta.verbose_name_plural)))
    return choices


class WhyNotForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    record_type = forms.ChoiceField(label=_("Record type"), choices=())
    record_id = forms.IntegerField(label=_("Record id"), min_value=1)
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            (a, capfirst(access.ACTION_LABELS[a])) for a in access.EXPLAINED_ACTIONS
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = _record_type_choices()


NO_SUCH_USER = _("There is no account with the username “%(username)s”.")
NO_SUCH_RECORD = _("There is no %(type)s with id %(id)s that you can see.")


class WhyNotView(AccessViewMixin, View):
    page_title = _("Why can't X see this?")
    section = "why"
    template_name = "records/access/why.html"

    def get(self, request, *args, **kwargs):
        form = WhyNotForm(request.GET or None)
        steps = []
        subject = record = None
        status = 200
        if form.is_valid():
            data = form.cleaned_data
            subject = User.objects.filter(username=data["username"]).first()
            model = access.record_model(data["record_type"])
            record = model._default_manager.filter(pk=data["record_id"]).first()
            if subject is None:
                form.add_error(
                    "username", NO_SUCH_USER % {"username": data["username"]}
                )
                status = 404
            # The answer describes the record, so it is only given for records
            # the asker may see themselves (otherwise: as if it did not exist).
            if record is None or not user_can(request.user, VIEW, record):
                record = None
                form.add_error(
                    "record_id",
                    NO_SUCH_RECORD
                    % {"type": model._meta.verbose_name, "id": data["record_id"]},
                )
                status = 404
            if subject is not None and record is not None:
                steps = access.explain(subject, data["action"], record)
        context = self.get_context_data(
            form=form,
            steps=steps[:-1],
            verdict=steps[-1] if steps else None,
            subject=subject,
            record=record,
        )
        return self.render_to_response(context, status=status)


# --- The viewset ------------------------------------------------------------------------


class AccessMenuItem(MenuItem):
    def is_shown(self, request):
        return access.can_view_access(request.user)


class AccessViewSet(ViewSet):
    name = "access"
    icon = "lock"
    menu_label = _("Access")
    menu_name = "access"
    add_to_settings_menu = True
    menu_order = 650
    menu_item_class = AccessMenuItem

    def get_urlpatterns(self):
        # The index comes first: ViewSet.menu_url links to the first pattern.
        return [
            path("", RegistrarIndexView.as_view(), name="index"),
            path(
                "registrars/<int:user_id>/",
                RegistrarScopeEditView.as_view(),
                name="registrar",
            ),
            path("classes/", ClassPermissionsView.as_view(), name="classes"),
            path(
                "captains/appoint/",
                CaptainAppointView.as_view(),
                name="captain_appoint",
            ),
            path(
                "captains/<int:student_id>/dismiss/",
                CaptainDismissView.as_view(),
                name="captain_dismiss",
            ),
            path("why/", WhyNotView.as_view(), name="why"),
        ]
