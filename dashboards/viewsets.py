"""Composing dashboards in the admin, without code.

A Wagtail ``ModelViewSet`` over ``Dashboard`` with its items as an inline,
orderable panel. Who may do what:

- the institute head (and superusers) edit every dashboard, the shipped ones
  included, share them with groups and mark the default;
- a registrar creates personal dashboards (owned by them, not shared) and edits
  or deletes only those; their figures cover their own departments anyway;
- everyone else gets 403.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from records.roles import Role

from . import metrics
from .models import Dashboard


def _is_head(user) -> bool:
    return bool(
        user.is_active
        and (user.is_superuser or getattr(user, "role", None) == Role.INSTITUTE_HEAD)
    )


class DashboardPermissionPolicy(BasePermissionPolicy):
    """Heads: everything. Registrars: their own dashboards. Others: nothing."""

    def __init__(self):
        super().__init__(Dashboard)

    def user_has_permission(self, user, action):
        if not metrics.may_view_dashboards(user):
            return False
        return action in ("add", "change", "delete", "view")

    def user_has_permission_for_instance(self, user, action, instance):
        if not metrics.may_view_dashboards(user):
            return False
        if action == "view":
            return Dashboard.objects.visible_to(user).filter(pk=instance.pk).exists()
        if _is_head(user):
            return True
        return instance.owner_id == user.pk

    def instances_user_has_any_permission_for(self, user, actions):
        if "view" in actions:
            return Dashboard.objects.visible_to(user)
        return Dashboard.objects.editable_by(user)

    def instances_user_has_permission_for(self, user, action):
        if action == "view":
            return Dashboard.objects.visible_to(user)
        return Dashboard.objects.editable_by(user)

    def users_with_any_permission(self, actions):
        from django.contrib.auth import get_user_model

        User = get_user_model()
        return User.objects.filter(is_active=True).filter(
            role__in=[Role.INSTITUTE_HEAD, Role.REGISTRAR]
        ) | User.objects.filter(is_active=True, is_superuser=True)


register_permission_policy(Dashboard, DashboardPermissionPolicy())


class DashboardForm(WagtailAdminModelForm):
    """Registrars' dashboards are personal: no sharing, not the default."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.for_user = for_user
        if for_user is not None and not _is_head(for_user):
            for name in ("shared_with", "is_default"):
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _(
                        "Only the institute head shares dashboards or sets the default."
                    )

    def clean(self):
        data = super().clean()
        if self.for_user is not None and not _is_head(self.for_user):
            data["shared_with"] = []
            data["is_default"] = False
        return data

    def save(self, commit=True):
        instance = super().save(commit=False)
        user = self.for_user
        if instance.pk is None and user is not None:
            instance.owner = user
        if commit:
            instance.save()
            self.save_m2m()
        return instance


class ItemMetricWidget(forms.Select):
    """The metric select, with each metric's description as a tooltip."""

    def create_option(self, name, value, label, selected, index, **kwargs):
        option = super().create_option(name, value, label, selected, index, **kwargs)
        metric = metrics.get_metric(value) if value else None
        if metric is not None:
            option["attrs"]["title"] = str(metric.description)
            option["attrs"]["data-groupings"] = " ".join(metric.groupings())
        return option


class DashboardTitleColumn(TitleColumn):
    """The name opens the dashboard (editing is a row action)."""

    def get_link_url(self, instance, parent_context):
        return reverse("dashboards_view:show", args=[instance.pk])


class DashboardIndexView(generic.IndexView):
    def get_base_queryset(self):
        return Dashboard.objects.visible_to(self.request.user).select_related("owner")


class DashboardEditView(generic.EditView):
    def get_queryset(self):
        return Dashboard.objects.editable_by(self.request.user)


class DashboardDeleteView(generic.DeleteView):
    def get_queryset(self):
        return Dashboard.objects.editable_by(self.request.user)


class DashboardViewSet(ModelViewSet):
    model = Dashboard
    icon = "home"
    menu_label = _("Dashboards")
    add_to_admin_menu = False
    name = "dashboards"
    url_prefix = "dashboards"
    index_view_class = DashboardIndexView
    edit_view_class = DashboardEditView
    delete_view_class = DashboardDeleteView
    search_fields = ["name", "description"]
    ordering = ["-is_default", "name"]
    list_display = [
        DashboardTitleColumn("name", label=_("Name")),
        Column("description", label=_("Description")),
        Column("owner", label=_("Owner")),
        Column("is_default", label=_("Default")),
    ]
    inspect_view_enabled = False
    copy_view_enabled = False

    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("name"),
                    FieldPanel("description"),
                    FieldRowPanel(
                        [FieldPanel("is_default"), FieldPanel("shared_with")]
                    ),
                ],
                heading=_("Dashboard"),
            ),
            InlinePanel(
                "items",
                heading=_("Cards and charts"),
                label=_("Item"),
                panels=[
                    FieldRowPanel(
                        [
                            FieldPanel("metric", widget=ItemMetricWidget),
                            FieldPanel("title"),
                        ]
                    ),
                    FieldRowPanel(
                        [
                            FieldPanel("display"),
                            FieldPanel("group_by"),
                            FieldPanel("window"),
                            FieldPanel("width"),
                        ]
                    ),
                    FieldRowPanel(
                        [
                            FieldPanel("department"),
                            FieldPanel("session"),
                            FieldPanel("semester"),
                            FieldPanel("shift"),
                            FieldPanel("exam_type"),
                        ],
                        heading=_("Fixed filters"),
                    ),
                ],
            ),
        ],
        base_form_class=DashboardForm,
    )
