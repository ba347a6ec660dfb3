from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self):
        # The head's dashboards: menu, URLs and the viewset that composes them.
        from . import head_hooks  # noqa: F401
