"""The head's dashboards in the admin: filters, cards and charts, downloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from records.models import AcademicSession, Department, Semester, Shift
from records.spreadsheets.writers import export_response

from . import metrics
from .models import Dashboard, DashboardItem, Display

PERMISSION_DENIED_TEMPLATE = "records/admin/permission_denied.html"
NAMESPACE = "dashboards_view"
DOWNLOAD_FORMATS = ("csv", "xlsx", "ods")


class DashboardFilterForm(forms.Form):
    """The filters every dashboard has (GET parameters, shareable as a link)."""

    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("All departments"),
    )
    session = forms.ModelChoiceField(
        label=_("Session"),
        queryset=AcademicSession.objects.order_by("-start_date"),
        required=False,
        empty_label=_("All sessions"),
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

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        limit = metrics.department_limit(user)
        departments = Department.objects.order_by("code", "name")
        if limit is not None:
            departments = departments.filter(pk__in=limit)
        self.fields["department"].queryset = departments

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to", gettext("The end of the range is before its start.")
            )
        return data

    def filters(self) -> metrics.Filters:
        if not self.is_bound or not self.is_valid():
            return metrics.Filters()
        data = self.cleaned_data
        return metrics.Filters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            department=data["department"].pk if data.get("department") else None,
            session=data["session"].pk if data.get("session") else None,
            semester=data.get("semester"),
            shift=data.get("shift") or None,
        )

    @property
    def active(self) -> bool:
        return bool(
            self.is_bound and self.is_valid() and any(self.cleaned_data.values())
        )


def format_value(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{number_format(value, 1, force_grouping=True)}%"
    if isinstance(value, Decimal):
        return number_format(value, 1, force_grouping=True)
    return number_format(value, 0, force_grouping=True)


@dataclass
class PanelRow:
    label: str
    value: object
    display_value: str
    url: str
    numerator: int | None
    denominator: int | None


@dataclass
class Panel:
    id: str
    item_id: int
    title: str
    subtitle: str
    display: str
    unit: str
    width: str
    total: object
    total_display: str
    total_url: str
    rows: list[PanelRow]
    chart_data: dict
    csv_url: str
    xlsx_url: str
    note: str
    empty: bool
    numerator: int | None = None
    denominator: int | None = None
    figure: object = field(default=None, repr=False)

    @cached_property
    def has_counts(self) -> bool:
        """Whether the table needs the "x of y" column (any row has a numerator)."""
        return any(row.numerator is not None for row in self.rows)


def _subtitle(item: DashboardItem, filters: metrics.Filters) -> str:
    parts = []
    if item.window:
        parts.append(str(metrics.WINDOWS[item.window]))
    fixed = []
    if item.department_id:
        fixed.append(str(item.department))
    if item.semester:
        fixed.append(str(Semester(item.semester).label))
    if item.shift:
        fixed.append(str(Shift(item.shift).label))
    if item.exam_type:
        fixed.append(item.get_exam_type_display())
    if item.session_id:
        fixed.append(str(item.session))
    if fixed:
        parts.append(", ".join(fixed))
    return " · ".join(parts)


# A chart of more bars than this shows the ones that need attention (lowest
# rates, largest counts); the download has every row.
MAX_CHART_ROWS = 20


def _shown_rows(figure, item) -> tuple[list, str]:
    rows = figure.rows
    if item.group_by in metrics.PERIODS or len(rows) <= MAX_CHART_ROWS:
        return rows, ""
    if figure.unit == "%":
        picked = sorted(rows, key=lambda r: (r.value is None, r.value or 0))
        note = gettext(
            "The %(shown)d lowest of %(count)d; download the data for all of them."
        )
    else:
        picked = sorted(rows, key=lambda r: -(r.value or 0))
        note = gettext(
            "The %(shown)d largest of %(count)d; download the data for all of them."
        )
    return picked[:MAX_CHART_ROWS], note % {
        "shown": MAX_CHART_ROWS,
        "count": len(rows),
    }


def item_filters(
    item: DashboardItem, filters: metrics.Filters, today
) -> metrics.Filters:
    return filters.narrowed(item.fixed_filters(today))


def compute_item(
    item: DashboardItem, user, filters, today=None, *, raw=False, memo=None
):
    """The figure of one item; ``memo`` is shared by the items of one page."""
    metric = item.metric_obj
    if metric is None:
        return None
    today = today or timezone.localdate()
    ctx = metrics.Context(
        user=user, filters=item_filters(item, filters, today), today=today, memo=memo
    )
    group_by = item.group_by if item.group_by in metric.groupings() else ""
    return metric.compute(ctx, group_by, raw=raw)


def build_panel(
    item: DashboardItem, user, filters, today, query: str, memo=None
) -> Panel | None:
    figure = compute_item(item, user, filters, today, memo=memo)
    if figure is None:
        return None
    unit = figure.unit
    shown, note = _shown_rows(figure, item)
    rows = [
        PanelRow(
            label=row.label,
            value=row.value,
            display_value=format_value(row.value, unit),
            url=row.url,
            numerator=row.numerator,
            denominator=row.denominator,
        )
        for row in shown
    ]
    if figure.ignored:
        ignored = gettext(
            "Not filtered by %(names)s: it does not apply to %(metric)s."
        ) % {
            "names": ", ".join(figure.ignored),
            "metric": str(figure.metric.label).lower(),
        }
        note = f"{note} {ignored}".strip()
    base = reverse(f"{NAMESPACE}:panel_data", args=[item.dashboard_id, item.pk, "csv"])
    suffix = f"?{query}" if query else ""
    display = item.display
    return Panel(
        id=f"panel-{item.pk}",
        item_id=item.pk,
        title=item.heading,
        subtitle=_subtitle(item, filters),
        display=display,
        unit=unit,
        width=item.width,
        total=figure.value,
        total_display=format_value(figure.value, unit),
        total_url=figure.url,
        rows=rows,
        chart_data={
            "type": display,
            "labels": [r.label for r in rows],
            "values": [float(r.value) if r.value is not None else None for r in rows],
            "links": [r.url for r in rows],
            "unit": unit,
            "label": item.heading,
        },
        csv_url=base + suffix,
        xlsx_url=base[: -len("csv")] + "xlsx" + suffix,
        note=note,
        empty=not rows and not figure.value and not figure.denominator,
        numerator=figure.numerator,
        denominator=figure.denominator,
        figure=figure,
    )


class DashboardViewMixin(WagtailAdminTemplateMixin):
    header_icon = "home"

    def refuse(self):
        context = WagtailAdminTemplateMixin.get_context_data(self)
        return TemplateResponse(
            self.request, PERMISSION_DENIED_TEMPLATE, context, status=403
        )


class DefaultDashboardView(View):
    """``/admin/dashboard/``: the viewer's default dashboard."""

    def get(self, request):
        if not metrics.may_view_dashboards(request.user):
            return DashboardView.as_view()(request, pk=0)
        visible = Dashboard.objects.visible_to(request.user)
        dashboard = (
            visible.filter(owner=request.user, is_default=True).first()
            or visible.filter(is_default=True).first()
            or visible.first()
        )
        if dashboard is None:
            return redirect("dashboards:index")
        url = reverse(f"{NAMESPACE}:show", args=[dashboard.pk])
        if request.GET:
            url += "?" + request.GET.urlencode()
        return redirect(url)


class DashboardView(DashboardViewMixin, View):
    template_name = "dashboards/dashboard.html"

    def get(self, request, pk: int):
        user = request.user
        if not metrics.may_view_dashboards(user):
            return self.refuse()
        visible = Dashboard.objects.visible_to(user)
        dashboard = visible.filter(pk=pk).prefetch_related("items").first()
        if dashboard is None:
            return self.refuse()
        form = DashboardFilterForm(request.GET or None, user=user)
        filters = form.filters()
        today = timezone.localdate()
        query = request.GET.urlencode() if form.is_bound and form.is_valid() else ""
        memo: dict = {}
        panels = [
            panel
            for item in dashboard.items.select_related("department", "session")
            if (panel := build_panel(item, user, filters, today, query, memo))
            is not None
        ]
        self.page_title = self.header_title = dashboard.name
        self.breadcrumbs_items = [
            {"url": reverse("wagtailadmin_home"), "label": gettext("Home")},
            {"url": reverse("dashboards:index"), "label": gettext("Dashboards")},
            {"url": "", "label": dashboard.name},
        ]
        context = self.get_context_data(
            dashboard=dashboard,
            dashboards=list(visible.only("pk", "name")),
            form=form,
            panels=panels,
            cards=[p for p in panels if p.display == Display.CARD],
            charts=[p for p in panels if p.display != Display.CARD],
            may_edit=Dashboard.objects.editable_by(user).filter(pk=pk).exists(),
            edit_url=reverse("dashboards:edit", args=[pk]),
            add_url=reverse("dashboards:add"),
            manage_url=reverse("dashboards:index"),
            scope_departments=_scope_label(user),
        )
        return TemplateResponse(request, self.template_name, context)


def _scope_label(user) -> str:
    limit = metrics.department_limit(user)
    if limit is None:
        return ""
    names = Department.objects.filter(pk__in=limit).order_by("code")
    listed = ", ".join(d.code or d.name for d in names)
    return gettext("Figures cover your departments: %(names)s.") % {
        "names": listed or gettext("none")
    }


class PanelDataView(DashboardViewMixin, View):
    """One panel's figures as CSV or XLSX, with the dashboard's filters."""

    def get(self, request, pk: int, item_pk: int, fmt: str):
        user = request.user
        if not metrics.may_view_dashboards(user):
            return self.refuse()
        if fmt not in DOWNLOAD_FORMATS:
            raise Http404
        dashboard = Dashboard.objects.visible_to(user).filter(pk=pk).first()
        item = (
            DashboardItem.objects.filter(dashboard=dashboard, pk=item_pk).first()
            if dashboard
            else None
        )
        if item is None:
            return self.refuse()
        form = DashboardFilterForm(request.GET or None, user=user)
        figure = compute_item(item, user, form.filters())
        if figure is None:
            return self.refuse()
        grouping = metrics.DIMENSION_LABELS.get(item.group_by, "")
        is_rate = figure.unit == "%"
        headers = [str(grouping or gettext("Figure")), str(item.heading)]
        if is_rate:
            headers[1] = f"{item.heading} (%)"
            headers += [gettext("Counted"), gettext("Out of")]
        rows = []
        source = figure.rows or [
            metrics.Row(
                key=None,
                label=gettext("All"),
                value=figure.value,
                numerator=figure.numerator,
                denominator=figure.denominator,
            )
        ]
        for row in source:
            line = [row.label, row.value]
            if is_rate:
                line += [row.numerator, row.denominator]
            rows.append(line)
        if figure.rows:
            total = [gettext("Total"), figure.value]
            if is_rate:
                total += [figure.numerator, figure.denominator]
            rows.append(total)
        stem = slugify(f"{dashboard.name}-{item.heading}") or "dashboard"
        return export_response(headers=headers, rows=rows, fmt=fmt, filename_stem=stem)


def urlpatterns():
    return [
        path("", DefaultDashboardView.as_view(), name="default"),
        path("<int:pk>/", DashboardView.as_view(), name="show"),
        path(
            "<int:pk>/panels/<int:item_pk>.<str:fmt>",
            PanelDataView.as_view(),
            name="panel_data",
        ),
    ]


class KeyFiguresPanel(Component):
    """The default dashboard's number cards on the admin home page."""

    name = "dashboard_key_figures"
    template_name = "dashboards/panels/key_figures.html"
    order = 60

    def __init__(self, request, dashboard: Dashboard):
        self.request = request
        self.dashboard = dashboard

    def get_context_data(self, parent_context=None):
        user = self.request.user
        today = timezone.localdate()
        items = self.dashboard.items.filter(display=Display.CARD).select_related(
            "department", "session"
        )
        memo: dict = {}
        panels = [
            panel
            for item in items
            if (panel := build_panel(item, user, metrics.Filters(), today, "", memo))
            is not None
        ]
        return {
            "dashboard": self.dashboard,
            "panels": panels,
            "url": reverse(f"{NAMESPACE}:show", args=[self.dashboard.pk]),
        }

    @property
    def media(self):
        return forms.Media(css={"all": ["dashboards/css/dashboard.css"]})


def key_figures_panel_for(request) -> KeyFiguresPanel | None:
    user = request.user
    if not metrics.may_view_dashboards(user):
        return None
    visible = Dashboard.objects.visible_to(user)
    dashboard = (
        visible.filter(owner=user, is_default=True).first()
        or visible.filter(is_default=True).first()
    )
    if dashboard is None:
        return None
    return KeyFiguresPanel(request, dashboard)
