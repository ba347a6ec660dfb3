from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
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


def _document_kind_choices():
    from records.models import DocumentKind

    return DocumentKind.choices


def _shift_choices():
    from records.models import Shift

    return Shift.choices


class AdmissionFormPageForm(WagtailAdminPageForm):
    """Lists kept in JSON fields, edited as checkboxes."""

    shifts_offered = forms.MultipleChoiceField(
        label=_("shifts offered"),
        choices=_shift_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked means every shift."),
    )
    required_documents = forms.MultipleChoiceField(
        label=_("required documents"),
        choices=_document_kind_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class AdmissionFormPage(Page):
    """The public admission form: a page whose serve() renders a Django form.

    Wagtail's form builder has no file field (see ARCHITECTURE.md).
    """

    intro = RichTextField(_("introduction"), blank=True)
    session = models.ForeignKey(
        "records.AcademicSession",
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    departments = ParentalManyToManyField(
        "records.Department",
        verbose_name=_("departments"),
        related_name="+",
        help_text=_("The departments applicants may choose."),
    )
    shifts_offered = models.JSONField(_("shifts offered"), default=list, blank=True)
    opens_on = models.DateField(_("opens on"), null=True, blank=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    required_documents = models.JSONField(
        _("required documents"), default=list, blank=True
    )
    thank_you_text = RichTextField(_("thank-you text"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("session"),
        FieldPanel("departments", widget=forms.CheckboxSelectMultiple),
        FieldPanel("shifts_offered"),
        FieldPanel("opens_on"),
        FieldPanel("closes_on"),
        FieldPanel("required_documents"),
        FieldPanel("thank_you_text"),
    ]

    base_form_class = AdmissionFormPageForm
    parent_page_types = ["website.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("admission form page")

    def get_view_restrictions(self):
        # The form's own route (admission_views.admission_apply) reads with the
        # page whether any view restriction applies; when none does, no query.
        if getattr(self, "any_view_restriction", None) is False:
            from wagtail.models import PageViewRestriction

            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()

    def offered_shifts(self) -> list[str]:
        valid = {value for value, _label in _shift_choices()}
        shifts = [s for s in (self.shifts_offered or []) if s in valid]
        return shifts or sorted(valid)

    def is_open(self, today=None) -> bool:
        from django.utils import timezone

        today = today or timezone.localdate()
        if self.opens_on and today < self.opens_on:
            return False
        if self.closes_on and today > self.closes_on:
            return False
        return True

    def serve(self, request, *args, **kwargs):
        from . import admission_views

        return admission_views.serve_admission_form(self, request)


class TeacherSignupPage(Page):
    """Teachers ask for an account here; a head reviews the request."""

    intro = RichTextField(_("introduction"), blank=True)
    thank_you_text = RichTextField(_("thank-you text"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("thank_you_text"),
    ]

    parent_page_types = ["website.HomePage"]
    subpage_types: list[str] = []
    max_count = 1

    class Meta:
        verbose_name = _("teacher signup page")

    def serve(self, request, *args, **kwargs):
        from . import admission_views

        return admission_views.serve_teacher_signup(self, request)
