"""Back-office wiring for the dashboards app (views live in views_*.py)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from . import views_teacher

# --- The teacher's home page (dashboards/teacher.py, views_teacher.py) -------------


@hooks.register("construct_homepage_panels")
def add_teacher_dashboard_panel(request, panels):
    panel = views_teacher.homepage_panel_for(request)
    if panel is not None:
        panels.append(panel)


@hooks.register("register_admin_urls")
def register_my_classes_urls():
    return views_teacher.my_classes_urlpatterns()


@hooks.register("register_admin_menu_item")
def register_my_classes_menu_item():
    return views_teacher.MyClassesMenuItem(
        _("My classes"),
        reverse(views_teacher.MY_CLASSES_URL_NAME),
        name="my-classes",
        icon_name="group",
        order=140,
    )
