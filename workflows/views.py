"""The approval desk in the Wagtail admin: what waits for me, review, decide.

Every decision is one service call (``workflows.services``); the views only
read the request, call the service and show its answer. A conflict (already
decided, not your stage) is a ``BusinessRuleError`` and becomes an error
message; a missing note is a ``ValidationError`` and stays on the form.

Who sees what:

* the desk lists the pending requests the user may act on now (the stage's
  group, and for registrars their departments; superusers everything);
* a request's review screen opens for the institute head and superusers,
  registrars of its department, and members of its current stage's group;
  anyone else gets 404, so a guessed id tells nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin import messages
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from records import history
from records.errors import BusinessRuleError
from records.permissions import user_scope
from records.roles import Role

from . import services
from .models import (
    AdmissionApplication,
    CorrectionRequest,
    RequestKind,
    RequestStatus,
    WorkflowAction,
    WorkflowStage,
)

PERMISSION_DENIED_TEMPLATE = "records/admin/permission_denied.html"

# How each kind reaches its department, and what to load with its rows.
DEPARTMENT_PATH = {
    RequestKind.ADMISSION: "desired_department",
    RequestKind.TEACHER_SIGNUP: "department",
    RequestKind.CORRECTION: "student__department",
}
SELECT_RELATED = {
    RequestKind.ADMISSION: ("desired_department", "session", "stage__group"),
    RequestKind.TEACHER_SIGNUP: ("department", "stage__group"),
    RequestKind.CORRECTION: ("student__department", "stage__group"),
}

APPROVED_MESSAGE = _("%(request)s was approved.")
MOVED_MESSAGE = _("%(request)s was approved at %(stage)s; it now waits for %(next)s.")
REJECTED_MESSAGE = _("%(request)s was rejected.")
RETURNED_MESSAGE = _("%(request)s was returned to the applicant.")
NOTHING_SELECTED = _("Select at least one request to approve.")
WHO_ACTS_NOW = _("%(stage)s: members of %(group)s act on this request now.")
NOBODY_ACTS = _("%(request)s is %(status)s; nobody acts on it now.")


# --- Querysets -----------------------------------------------------------------------


def _is_head(user) -> bool:
    return user.is_active and (
        user.is_superuser or getattr(user, "role", None) == Role.INSTITUTE_HEAD
    )


def _registrar_departments_q(user, kind) -> Q | None:
    """Registrars' department limit (None: no limit, Q(): nothing)."""
    if user.is_superuser or getattr(user, "role", None) != Role.REGISTRAR:
        return None
    scope = user_scope(user)
    if scope.all_departments:
        return None
    return Q(**{f"{DEPARTMENT_PATH[kind]}__in": scope.managed_departments})


def actionable_queryset(user, kind):
    """Pending requests of ``kind`` the user may act on now (as ``can_act``)."""
    model = services.MODELS[kind]
    queryset = model.objects.filter(
        status=RequestStatus.PENDING, stage__isnull=False
    ).select_related(*SELECT_RELATED[kind])
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    if user.is_superuser:
        return queryset
    queryset = queryset.filter(stage__group__in=user.groups.all())
    limit = _registrar_departments_q(user, kind)
    if limit is not None:
        queryset = queryset.filter(limit)
    return queryset


def visible_queryset(user, kind):
    """Requests of ``kind`` whose review screen the user may open."""
    model = services.MODELS[kind]
    queryset = model.objects.select_related(*SELECT_RELATED[kind])
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    if _is_head(user):
        return queryset
    if getattr(user, "role", None) == Role.REGISTRAR:
        # Their departments, at any stage (also as a member of a stage's group).
        limit = _registrar_departments_q(user, kind)
        return queryset if limit is None else queryset.filter(limit)
    return queryset.filter(stage__group__in=user.groups.all()).distinct()


def user_has_stage_group(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return WorkflowStage.objects.filter(group__in=user.groups.all()).exists()


def user_may_use_desk(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return (
        user_has_stage_group(user)
        or _is_head(user)
        or getattr(user, "role", None) == Role.REGISTRAR
    )


@dataclass
class KindCount:
    kind: str
    label: str
    count: int
    url: str = ""


def awaiting_counts(user) -> list[KindCount]:
    index = reverse("workflows_desk:index")
    return [
        KindCount(
            kind=kind,
            label=str(kind.label),
            count=actionable_queryset(user, kind).count(),
            url=f"{index}#kind-{kind.value}",
        )
        for kind in RequestKind
    ]


def kind_or_404(value: str) -> RequestKind:
    try:
        return RequestKind(value)
    except ValueError:
        raise Http404 from None


def row_label(request) -> str:
    if isinstance(request, AdmissionApplication):
        return f"{request.application_number} {request.full_name_english}"
    if request.kind == RequestKind.TEACHER_SIGNUP:
        return f"{request.full_name_english} ({request.designation})"
    return (
        f"#{request.pk} {request.get_field_name_display()}: "
        f"{request.student.full_name_english}"
    )


def review_url(request) -> str:
    return reverse("workflows_desk:review", args=[request.kind, request.pk])


# --- Shared view plumbing ------------------------------------------------------------


class DeskViewMixin(WagtailAdminTemplateMixin):
    header_icon = "tasks"
    page_title = _("Awaiting my action")

    def refuse(self):
        context = WagtailAdminTemplateMixin.get_context_data(self)
        return TemplateResponse(
            self.request, PERMISSION_DENIED_TEMPLATE, context, status=403
        )

    def render(self, **context):
        return TemplateResponse(
            self.request, self.template_name, self.get_context_data(**context)
        )


@dataclass
class KindGroup:
    kind: str
    label: str
    rows: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass
class DeskRow:
    request: object
    label: str
    department: object
    url: str

    @property
    def value(self) -> str:
        return f"{self.request.kind}:{self.request.pk}"


class DeskIndexView(DeskViewMixin, View):
    template_name = "workflows/desk/index.html"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def dispatch(self, request, *args, **kwargs):
        if not user_may_use_desk(request.user):
            return self.refuse()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        groups = []
        for kind in RequestKind:
            queryset = actionable_queryset(request.user, kind).order_by(
                "submitted_at", "pk"
            )
            groups.append(
                KindGroup(
                    kind=kind.value,
                    label=str(kind.label),
                    rows=[
                        DeskRow(
                            request=item,
                            label=row_label(item),
                            department=services.department_of(item),
                            url=review_url(item),
                        )
                        for item in queryset
                    ],
                )
            )
        return self.render(
            groups=groups,
            total=sum(group.count for group in groups),
            bulk_url=reverse("workflows_desk:bulk_approve"),
        )


# --- Review ----------------------------------------------------------------------------


class DecisionForm(forms.Form):
    APPROVE, REJECT, RETURN = "approve", "reject", "return"
    ACTIONS = {
        APPROVE: _("Approve"),
        REJECT: _("Reject"),
        RETURN: _("Return for more information"),
    }

    action = forms.ChoiceField(choices=list(ACTIONS.items()), widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Optional when approving; required to reject or return. "
            "The applicant reads it."
        ),
    )


def field_rows(instance) -> list[tuple[str, str]]:
    """Every concrete field of the request, labelled and displayed in human terms."""
    skip = {"id", "password_hash"}
    fields = [
        f
        for f in instance._meta.concrete_fields
        if f.name not in skip and not f.primary_key
    ]
    names = history.RelatedNames()
    for f in fields:
        names.want(f, getattr(instance, f.attname))
    names.resolve()
    return [
        (
            history.field_label(f),
            history.display_value(f, getattr(instance, f.attname), names),
        )
        for f in fields
    ]


class ReviewView(DeskViewMixin, View):
    template_name = "workflows/desk/review.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.kind = kind_or_404(kwargs["kind"])

    def get_object(self):
        return get_object_or_404(
            visible_queryset(self.request.user, self.kind), pk=self.kwargs["pk"]
        )

    def get_page_subtitle(self):
        return services.request_label(self.object)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("workflows_desk:index"), "label": self.page_title},
            {"url": "", "label": self.get_page_subtitle()},
        ]

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_review(DecisionForm())

    def post(self, request, *args, **kwargs):
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self.render_review(form, status=400)
        action = form.cleaned_data["action"]
        note = form.cleaned_data["note"]
        try:
            result = decide(self.object, action, request.user, note)
        except BusinessRuleError as exc:
            messages.error(request, str(exc))
            return redirect(review_url(self.object))
        except ValidationError as exc:
            put_errors(form, exc)
            self.object.refresh_from_db()
            return self.render_review(form, status=400)
        messages.success(request, result_message(result, self.object))
        return redirect(reverse("workflows_desk:index"))

    def render_review(self, form, status=200):
        obj = self.object
        may_act = services.can_act(self.request.user, obj)
        if obj.status == RequestStatus.PENDING and obj.stage is not None:
            who_acts = WHO_ACTS_NOW % {
                "stage": obj.stage.name,
                "group": obj.stage.group.name,
            }
        else:
            who_acts = NOBODY_ACTS % {
                "request": services.request_label(obj),
                "status": obj.get_status_display().lower(),
            }
        documents = []
        if isinstance(obj, AdmissionApplication | CorrectionRequest):
            url_name = (
                "workflows_desk:document"
                if isinstance(obj, AdmissionApplication)
                else "workflows_desk:correction_document"
            )
            documents = [
                (document, reverse(url_name, args=[obj.pk, document.pk]))
                for document in obj.documents.all()
            ]
        trail = WorkflowAction.objects.filter(
            kind=obj.kind, request_id=obj.pk
        ).select_related("actor")
        versions = []
        if hasattr(type(obj), "history"):
            rows = obj.history.select_related("history_user").order_by(
                "-history_date", "-history_id"
            )[:20]
            versions = history.describe_versions(type(obj), rows)
            for version in versions:
                version.user_label = history.history_user_label(version.user)
        response = TemplateResponse(
            self.request,
            self.template_name,
            self.get_context_data(
                object=obj,
                label=services.request_label(obj),
                department=services.department_of(obj),
                fields=field_rows(obj),
                documents=documents,
                trail=trail,
                versions=versions,
                may_act=may_act,
                who_acts=who_acts,
                form=form,
                actions=DecisionForm.ACTIONS,
                action_url=review_url(obj),
            ),
            status=status,
        )
        return response


def put_errors(form, exc: ValidationError) -> None:
    """The note's errors on the note; anything else on the whole form."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for name, errors in exc.message_dict.items():
        for message in errors:
            if name == "note":
                form.add_error("note", message)
            elif name == "__all__":
                form.add_error(None, message)
            else:
                form.add_error(None, f"{name}: {message}")


def decide(request_obj, action: str, user, note: str):
    if action == DecisionForm.APPROVE:
        return services.request_approve(
            request=request_obj, acting_user=user, note=note
        )
    if action == DecisionForm.REJECT:
        return services.request_reject(request=request_obj, acting_user=user, note=note)
    return services.request_return(request=request_obj, acting_user=user, note=note)


def result_message(result, before) -> str:
    label = services.request_label(result)
    if result.status == RequestStatus.APPROVED:
        return str(APPROVED_MESSAGE % {"request": label})
    if result.status == RequestStatus.REJECTED:
        return str(REJECTED_MESSAGE % {"request": label})
    if result.status == RequestStatus.RETURNED:
        return str(RETURNED_MESSAGE % {"request": label})
    return str(
        MOVED_MESSAGE
        % {
            "request": label,
            "stage": before.stage.name if before.stage else "—",
            "next": result.stage.name if result.stage else "—",
        }
    )


# --- Bulk approve ------------------------------------------------------------------------


@dataclass
class BulkResult:
    label: str
    outcome: str  # approved | moved | refused
    message: str
    url: str = ""


class BulkApproveView(DeskViewMixin, View):
    template_name = "workflows/desk/bulk_results.html"
    page_title = _("Approve selected")

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("workflows_desk:index"), "label": _("Awaiting my action")},
            {"url": "", "label": self.page_title},
        ]

    def dispatch(self, request, *args, **kwargs):
        if not user_may_use_desk(request.user):
            return self.refuse()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return redirect(reverse("workflows_desk:index"))

    def post(self, request, *args, **kwargs):
        wanted: dict[str, list[int]] = {}
        for value in request.POST.getlist("selected"):
            kind, _sep, pk = value.partition(":")
            if kind in RequestKind.values and pk.isdigit():
                wanted.setdefault(kind, []).append(int(pk))
        if not wanted:
            messages.error(request, str(NOTHING_SELECTED))
            return redirect(reverse("workflows_desk:index"))
        results = []
        for kind, pks in wanted.items():
            found = visible_queryset(request.user, RequestKind(kind)).in_bulk(pks)
            for pk in pks:
                item = found.get(pk)
                if item is None:
                    results.append(
                        BulkResult(
                            label=f"{capfirst(RequestKind(kind).label)} #{pk}",
                            outcome="refused",
                            message=gettext("Not found."),
                        )
                    )
                    continue
                results.append(self.approve_one(item))
        return self.render(results=results)

    def approve_one(self, item) -> BulkResult:
        label = row_label(item)
        try:
            with transaction.atomic():
                result = services.request_approve(
                    request=item, acting_user=self.request.user
                )
        except (BusinessRuleError, ValidationError) as exc:
            message = (
                str(exc)
                if isinstance(exc, BusinessRuleError)
                else " ".join(exc.messages)
            )
            return BulkResult(label, "refused", message, review_url(item))
        outcome = "approved" if result.status == RequestStatus.APPROVED else "moved"
        return BulkResult(
            label, outcome, result_message(result, item), review_url(item)
        )


# --- Documents ---------------------------------------------------------------------------


class DocumentDownloadView(View):
    """A file sent with an application, only to those who may see the application."""

    kind = RequestKind.ADMISSION

    def get(self, request, pk, doc_pk):
        owner = get_object_or_404(visible_queryset(request.user, self.kind), pk=pk)
        document = get_object_or_404(owner.documents.all(), pk=doc_pk)
        try:
            handle = document.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=document.original_name,
            content_type=document.content_type or "application/octet-stream",
        )


# --- Dashboard panel -------------------------------------------------------------------


class AwaitingPanel(Component):
    name = "workflows_awaiting"
    template_name = "workflows/desk/home_panel.html"
    order = 90

    def __init__(self, counts: list[KindCount]):
        self.counts = counts

    def get_context_data(self, parent_context=None):
        return {
            "counts": self.counts,
            "total": sum(c.count for c in self.counts),
            "desk_url": reverse("workflows_desk:index"),
        }


def homepage_panel_for(request):
    user = request.user
    if not user_may_use_desk(user):
        return None
    counts = awaiting_counts(user)
    if not any(c.count for c in counts) and not user_has_stage_group(user):
        return None
    return AwaitingPanel(counts)


# --- URLs ------------------------------------------------------------------------------


def desk_urlpatterns():
    return [
        path(
            "desk/",
            include_desk(),
        )
    ]


def include_desk():
    from django.urls import include

    patterns = [
        path("", DeskIndexView.as_view(), name="index"),
        path("approve/", BulkApproveView.as_view(), name="bulk_approve"),
        path(
            "admission/<int:pk>/documents/<int:doc_pk>/",
            DocumentDownloadView.as_view(),
            name="document",
        ),
        path(
            "correction/<int:pk>/documents/<int:doc_pk>/",
            DocumentDownloadView.as_view(kind=RequestKind.CORRECTION),
            name="correction_document",
        ),
        path("<str:kind>/<int:pk>/", ReviewView.as_view(), name="review"),
    ]
    return include((patterns, "workflows_desk"), namespace="workflows_desk")
