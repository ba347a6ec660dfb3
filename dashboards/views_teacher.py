"""The teacher's home page in the admin: its dashboard panel and "My classes".

The data are ``dashboards.teacher``'s selectors; this module only renders them.
"""

from __future__ import annotations

from django.template.response import TemplateResponse
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .teacher import teacher_dashboard, user_has_teacher_dashboard

PERMISSION_DENIED_TEMPLATE = "records/admin/permission_denied.html"
MY_CLASSES_URL_NAME = "dashboards_my_classes"


class TeacherDashboardPanel(Component):
    """Today's classes, attendance not yet taken, low attendance, missing marks."""

    name = "teacher_dashboard"
    template_name = "dashboards/panels/teacher_home.html"
    # Before Wagtail's own panels (110 and up) and the approval desk (90).
    order = 50

    def __init__(self, user, *, now=None):
        self.user = user
        self.now = now

    @cached_property
    def dashboard(self):
        # Computed when rendered, so adding the panel to the list costs nothing.
        return teacher_dashboard(user=self.user, now=self.now)

    def get_context_data(self, parent_context=None):
        return {"dashboard": self.dashboard}


def homepage_panel_for(request) -> TeacherDashboardPanel | None:
    if not user_has_teacher_dashboard(request.user):
        return None
    return TeacherDashboardPanel(request.user)


class MyClassesView(WagtailAdminTemplateMixin, TemplateView):
    """The teacher's dashboard on a page of its own, full width."""

    template_name = "dashboards/my_classes.html"
    page_title = _("My classes")
    header_icon = "group"

    def dispatch(self, request, *args, **kwargs):
        if not user_has_teacher_dashboard(request.user):
            context = WagtailAdminTemplateMixin.get_context_data(self)
            return TemplateResponse(
                request, PERMISSION_DENIED_TEMPLATE, context, status=403
            )
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            panel=TeacherDashboardPanel(self.request.user), **kwargs
        )


class MyClassesMenuItem(MenuItem):
    def is_shown(self, request):
        return user_has_teacher_dashboard(request.user)


def my_classes_urlpatterns():
    return [
        path("my-classes/", MyClassesView.as_view(), name=MY_CLASSES_URL_NAME),
    ]
