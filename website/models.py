from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page


class HomePage(Page):
    """The institute's public front page."""

    intro = RichTextField(_("introduction"), blank=True)
    contact_address = models.TextField(_("contact address"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("contact_address"),
    ]

    max_count = 1

    class Meta:
        verbose_name = _("home page")
