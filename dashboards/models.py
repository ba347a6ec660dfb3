"""Dashboards as data: a named, ordered set of cards and charts.

Each item picks a metric from the catalogue (``dashboards.metrics``), how to
group it, how to draw it, a time window and fixed filters. The institute head
edits the shipped dashboards and shares dashboards with groups; a registrar
keeps personal dashboards, whose figures cover their own departments.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from records.models import AcademicSession, Department, ExamType, Semester, Shift
from records.roles import Role

from . import metrics


class Display(models.TextChoices):
    CARD = "card", _("Number card")
    BAR = "bar", _("Bar chart")
    HBAR = "hbar", _("Horizontal bar chart")
    LINE = "line", _("Line chart (over time)")
    DOUGHNUT = "doughnut", _("Doughnut chart")
    TABLE = "table", _("Table")


class Width(models.TextChoices):
    SMALL = "small", _("Third of a row")
    MEDIUM = "medium", _("Half a row")
    LARGE = "large", _("Full row")


def metric_choices():
    return metrics.metric_choices()


def grouping_choices():
    return metrics.dimension_choices()


def window_choices():
    return list(metrics.WINDOWS.items())


class DashboardQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The dashboards ``user`` may open: shipped ones, their own, and shared."""
        if not metrics.may_view_dashboards(user):
            return self.none()
        if user.is_superuser or getattr(user, "role", None) == Role.INSTITUTE_HEAD:
            return self
        return self.filter(
            Q(owner__isnull=True) | Q(owner=user) | Q(shared_with__in=user.groups.all())
        ).distinct()

    def editable_by(self, user):
        if not metrics.may_view_dashboards(user):
            return self.none()
        if user.is_superuser or getattr(user, "role", None) == Role.INSTITUTE_HEAD:
            return self
        return self.filter(owner=user)


class Dashboard(ClusterableModel):
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dashboards",
        help_text=_("Empty: an institute dashboard every head and registrar sees."),
    )
    shared_with = ParentalManyToManyField(
        Group,
        verbose_name=_("shared with"),
        blank=True,
        related_name="+",
        help_text=_("Members of these groups see this dashboard too."),
    )
    is_default = models.BooleanField(
        _("default"),
        default=False,
        help_text=_("Opened first from the Dashboards menu."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DashboardQuerySet.as_manager()

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboards")
        ordering = ["-is_default", "name"]

    def __str__(self) -> str:
        return self.name


class DashboardItem(Orderable):
    dashboard = ParentalKey(Dashboard, on_delete=models.CASCADE, related_name="items")
    metric = models.CharField(_("metric"), max_length=50, choices=metric_choices)
    title = models.CharField(
        _("title"),
        max_length=150,
        blank=True,
        help_text=_("Empty: the metric's name."),
    )
    display = models.CharField(
        _("display"), max_length=10, choices=Display.choices, default=Display.CARD
    )
    group_by = models.CharField(
        _("group by"), max_length=20, blank=True, choices=grouping_choices
    )
    window = models.CharField(
        _("time window"), max_length=20, blank=True, choices=window_choices
    )
    width = models.CharField(
        _("width"), max_length=10, choices=Width.choices, default=Width.SMALL
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("only department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    session = models.ForeignKey(
        AcademicSession,
        verbose_name=_("only session"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    semester = models.PositiveSmallIntegerField(
        _("only semester"), null=True, blank=True, choices=Semester.choices
    )
    shift = models.CharField(
        _("only shift"), max_length=10, blank=True, choices=Shift.choices
    )
    exam_type = models.CharField(
        _("only exam type"), max_length=20, blank=True, choices=ExamType.choices
    )

    wagtail_reference_index_ignore = True

    class Meta(Orderable.Meta):
        verbose_name = _("dashboard item")
        verbose_name_plural = _("dashboard items")

    def __str__(self) -> str:
        return self.heading

    @property
    def metric_obj(self):
        return metrics.get_metric(self.metric)

    @property
    def heading(self) -> str:
        if self.title:
            return self.title
        metric = self.metric_obj
        return str(metric.label) if metric else self.metric

    def fixed_filters(self, today=None) -> metrics.Filters:
        fixed = metrics.Filters(
            department=self.department_id,
            session=self.session_id,
            semester=self.semester,
            shift=self.shift or None,
            exam_type=self.exam_type or None,
        )
        if self.window:
            fixed = fixed.narrowed(metrics.window_filters(self.window, today))
        return fixed

    def clean(self):
        super().clean()
        metric = self.metric_obj
        if metric is None:
            raise ValidationError({"metric": _("Choose a metric from the list.")})
        errors = {}
        if self.group_by and self.group_by not in metric.groupings():
            names = ", ".join(
                str(metrics.DIMENSION_LABELS[g]).lower() for g in metric.groupings()
            )
            errors["group_by"] = _("%(metric)s can be grouped by: %(names)s.") % {
                "metric": metric.label,
                "names": names or _("nothing"),
            }
        if self.display == Display.LINE and self.group_by not in metrics.PERIODS:
            errors["display"] = _(
                "A line chart shows a figure over time: group by day, week or month."
            )
        if (
            self.display in (Display.BAR, Display.HBAR, Display.DOUGHNUT, Display.LINE)
            and not self.group_by
        ):
            errors.setdefault(
                "display",
                _("A chart needs a grouping; choose one, or show a number card."),
            )
        if self.window and not metric.applies("date"):
            errors["window"] = _(
                "%(metric)s is not dated, so a time window does not apply."
            ) % {"metric": metric.label}
        if self.exam_type and "exam_type" not in metric.paths:
            errors["exam_type"] = _("Only marks figures have an exam type.")
        if errors:
            raise ValidationError(errors)
