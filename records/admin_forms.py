"""Forms of the back office that are not plain model forms of one record."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from .models import Alumni, Document, Student


class AcademicSessionForm(WagtailAdminModelForm):
    """A new current session takes the flag from the old one (the service does it).

    So the "one current session" constraint is left to the service on create.
    """

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        if self.instance._state.adding:
            exclude.add("is_current")
        return exclude


class DocumentUploadForm(forms.ModelForm):
    """Student, type and file; the service checks the file's real type and size."""

    class Meta:
        model = Document
        fields = ["student", "kind", "file"]
        help_texts = {
            "file": _(
                "PDF, JPEG or PNG. The type is read from the file itself, not its name."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].required = True
        self.fields["student"].queryset = Student.objects.order_by(
            "current_roll_number"
        )


class DiscontinueForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the student's record and in the history."),
    )


class ReinstateForm(forms.Form):
    """No fields: the confirmation is the POST itself."""


class AlumniConversionForm(forms.ModelForm):
    class Meta:
        model = Alumni
        fields = [
            "graduation_year",
            "current_occupation",
            "current_organization",
            "contact_mobile",
            "contact_email",
        ]

    def __init__(self, *args, student: Student, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "graduation_year": timezone.localdate().year,
                "contact_mobile": student.mobile_student,
                "contact_email": student.email,
            },
        )
        super().__init__(*args, **kwargs)
        self.instance.student = student
