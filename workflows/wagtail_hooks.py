"""Back-office wiring for approvals: the desk, its dashboard panel, workflow editing,
and the read-only listings of every request ("Applications & requests")."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import views
from .viewsets import ApplicationsAndRequestsGroup, ApprovalWorkflowsGroup


@hooks.register("register_admin_urls")
def register_desk_urls():
    return views.desk_urlpatterns()


class DeskMenuItem(MenuItem):
    """ "Awaiting my action (3)": shown to those who may use the desk."""

    def is_shown(self, request):
        return views.user_may_use_desk(request.user)

    def render_component(self, request):
        component = super().render_component(request)
        total = sum(c.count for c in views.awaiting_counts(request.user))
        if total:
            component.label = f"{self.label} ({total})"
        return component


@hooks.register("register_admin_menu_item")
def register_desk_menu_item():
    return DeskMenuItem(
        _("Awaiting my action"),
        reverse("workflows_desk:index"),
        name="workflows-desk",
        icon_name="tasks",
        order=150,
    )


@hooks.register("construct_homepage_panels")
def add_awaiting_panel(request, panels):
    panel = views.homepage_panel_for(request)
    if panel is not None:
        panels.append(panel)


@hooks.register("register_admin_viewset")
def register_workflow_viewsets():
    return ApprovalWorkflowsGroup()


@hooks.register("register_admin_viewset")
def register_request_listings():
    return ApplicationsAndRequestsGroup()
