"""Editing the approval workflows in the admin: the institute head's screens.

``Workflow`` and ``WorkflowStage`` are plain models (no ClusterableModel), so
stages get their own listing, filtered by workflow, with add/edit/delete.
Only superusers and the institute head may use either; anyone else gets the
403 page (``ClearRefusalMixin``), never Wagtail's redirect to the dashboard.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from records.roles import Role
from records.viewsets import ClearRefusalMixin

from .models import Workflow, WorkflowStage


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
