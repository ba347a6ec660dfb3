"""Back-office wiring of the head's dashboards (imported by the app config).

The teacher's home panel is wired in ``wagtail_hooks.py``.
"""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import metrics, views
from .viewsets import DashboardViewSet

dashboard_viewset = DashboardViewSet()


@hooks.register("register_admin_viewset")
def register_dashboard_viewset():
    return dashboard_viewset


@hooks.register("register_admin_urls")
def register_dashboard_urls():
    return [
        path(
            "dashboard/",
            include((views.urlpatterns(), views.NAMESPACE), namespace=views.NAMESPACE),
        )
    ]


class DashboardMenuItem(MenuItem):
    def is_shown(self, request):
        return metrics.may_view_dashboards(request.user)


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return DashboardMenuItem(
        _("Dashboard"),
        reverse(f"{views.NAMESPACE}:default"),
        name="dashboard",
        icon_name="home",
        order=90,
    )


@hooks.register("construct_homepage_panels")
def add_key_figures_panel(request, panels):
    panel = views.key_figures_panel_for(request)
    if panel is not None:
        panels.append(panel)
