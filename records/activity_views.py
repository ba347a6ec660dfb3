"""The activity log in the back office: a read-only listing, its export and inspect.

Entries are written by the services (``records/activity.py``); here they are
only read. The viewset has no add, edit or delete views, and the permission
policy (``RULES["activitylog"]`` in ``records/permissions.py``) grants view and
export only: everything to the institute head, their departments' entries to a
registrar.
"""

from __future__ import annotations

import json

import django_filters
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from .models import ActivityAction, ActivityLog, Department, User
from .permissions import RECORD_TYPES
from .roles import STAFF_ROLES
from .viewsets import RecordIndexView, scoped_view_class

# Entries about more than one record (a whole sheet or grid) have their own types.
EXTRA_ENTITY_TYPES = {
    "user": _("account"),
    "attendancesheet": _("attendance sheet"),
    "marksgrid": _("marks grid"),
}


def entity_type_choices():
    from django.apps import apps

    choices = [
        (name, apps.get_model("records", name)._meta.verbose_name)
        for name in RECORD_TYPES
        if name != "activitylog"
    ]
    choices += list(EXTRA_ENTITY_TYPES.items())
    return sorted(choices, key=lambda choice: str(choice[1]))


class ActivityLogFilterSet(WagtailFilterSet):
    user = django_filters.ModelChoiceFilter(
        label=_("User"),
        queryset=User.objects.filter(role__in=STAFF_ROLES).order_by("username"),
        empty_label=_("Everyone"),
    )
    action_type = django_filters.ChoiceFilter(
        label=_("Action"), choices=ActivityAction.choices, empty_label=_("All")
    )
    entity_type = django_filters.ChoiceFilter(
        label=_("Record type"), choices=entity_type_choices, empty_label=_("All")
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"),
        queryset=Department.objects.all(),
        empty_label=_("All departments"),
    )
    timestamp = django_filters.DateFromToRangeFilter(
        label=_("Date"), widget=DateRangePickerWidget
    )

    class Meta:
        model = ActivityLog
        fields = []


def _json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


class ActivityLogIndexView(RecordIndexView):
    custom_field_preprocess = {
        "changes": {"csv": _json_text, "xlsx": _json_text},
    }


def change_rows(changes: dict) -> list[tuple[str, object, object]]:
    """The entry's changes as (field, before, after) rows for the inspect table.

    Updates, creates and deletes store ``{field: {"before": .., "after": ..}}``;
    other entries (exports) store plain values, shown as "after".
    """
    rows = []
    for name, value in (changes or {}).items():
        if isinstance(value, dict) and set(value) == {"before", "after"}:
            rows.append((name, value["before"], value["after"]))
        else:
            rows.append((name, None, value))
    return rows


class ActivityLogInspectView(generic.InspectView):
    template_name = "records/activity/inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["change_rows"] = change_rows(self.object.changes)
        return context


class ActivityLogViewSet(ModelViewSet):
    """Settings -> Activity log: read-only; no add, edit, delete or history views."""

    model = ActivityLog
    name = "activity_log"
    url_prefix = "activity-log"
    icon = "list-ul"
    menu_label = _("Activity log")
    add_to_settings_menu = True
    menu_order = 900
    inspect_view_enabled = True
    copy_view_enabled = False
    search_backend_name = None  # Django ORM search over search_fields
    search_fields = ["description", "username"]
    filterset_class = ActivityLogFilterSet
    index_view_class = ActivityLogIndexView
    inspect_view_class = ActivityLogInspectView
    list_per_page = 50
    ordering = ["-timestamp", "-pk"]
    list_display = [
        "timestamp",
        "username",
        Column(
            "action_type",
            label=_("Action"),
            accessor="get_action_type_display",
            sort_key="action_type",
        ),
        "entity_type",
        "entity_id",
        "department",
        "description",
    ]
    list_export = [
        "timestamp",
        "username",
        "action_type",
        "entity_type",
        "entity_id",
        "department",
        "description",
        "changes",
        "ip_address",
        "user_agent",
    ]
    export_filename = "activity-log"
    inspect_view_fields = [
        "timestamp",
        "username",
        "action_type",
        "entity_type",
        "entity_id",
        "department",
        "description",
        "ip_address",
        "user_agent",
    ]

    def construct_view(self, view_class, **kwargs):
        return super().construct_view(scoped_view_class(view_class), **kwargs)

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add", "edit", "delete", "history", "usage"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            title_links_to_inspect=True, select_related=("department",), **kwargs
        )

    def get_urlpatterns(self):
        # Built by hand: the generic list would construct add/edit views too.
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
        ]
