from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebsiteConfig(AppConfig):
    name = "website"
    verbose_name = _("Public website")

    def ready(self):
        from . import admission_offer

        admission_offer.connect_signals()
