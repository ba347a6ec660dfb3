"""The public site's forms: the admission application and the teacher signup."""

import os

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from records.models import Department, DocumentKind, PersonalDetails, Shift
from records.validators import ALLOWED_UPLOAD_TYPES, sniff_upload
from workflows.models import AdmissionApplication, TeacherSignupRequest

PERSONAL_FIELDS = [field.name for field in PersonalDetails._meta.fields]
HONEYPOT = "website"
DOCUMENT_PREFIX = "document_"


def honeypot_field() -> forms.CharField:
    """A field people never see; a bot that fills it is pretended to."""
    return forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )


def document_field_name(kind: str) -> str:
    return f"{DOCUMENT_PREFIX}{kind}"


EXTENSIONS = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
NAME_MISMATCH = _(
    "%(name)s is named like a %(named)s file but its content is %(found)s; "
    "send the real %(named)s file."
)


class UploadField(forms.FileField):
    """A PDF, JPEG or PNG, checked by its content; the name must not lie."""

    def clean(self, data, initial=None):
        uploaded = super().clean(data, initial)
        if uploaded:
            found = sniff_upload(uploaded, ALLOWED_UPLOAD_TYPES)
            extension = os.path.splitext(str(uploaded.name))[1].lower()
            named = EXTENSIONS.get(extension)
            if named is not None and named != found:
                raise ValidationError(
                    NAME_MISMATCH,
                    code="upload_name_mismatch",
                    params={
                        "name": uploaded.name,
                        "named": TYPE_NAMES[named],
                        "found": TYPE_NAMES[found],
                    },
                )
        return uploaded


class FixedChoiceField(forms.TypedChoiceField):
    """A model field's fixed choices (gender, division, exam board...).

    Every form instance deep-copies its fields; these choices never change
    per form, so the copies share them instead of copying every pair. A form
    that needs other choices assigns a new list (``field.choices = ...``),
    which replaces the shared one for that form only.
    """

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = self._choices
        return result


def fixed_choices_formfield(model_field, **kwargs):
    """``Meta.formfield_callback``: model fields with choices get FixedChoiceField."""
    if model_field.choices:
        kwargs.setdefault("choices_form_class", FixedChoiceField)
    return model_field.formfield(**kwargs)


class OfferedChoiceField(forms.ModelChoiceField):
    """A choice among model instances already read (a page's departments).

    Rendering and validating it run no query: the choices are the instances
    set in ``offer()``, in their order; an id not among them is refused as any
    invalid choice is.
    """

    def __init__(self, model, **kwargs):
        self.instances = ()
        super().__init__(queryset=model._default_manager.none(), **kwargs)

    def offer(self, instances) -> None:
        self.instances = tuple(instances)
        self.widget.choices = self.choices

    @property
    def choices(self):
        return [
            (self.prepare_value(obj), self.label_from_instance(obj))
            for obj in self.instances
        ]

    @choices.setter
    def choices(self, value):
        raise AttributeError("OfferedChoiceField's choices are set by offer()")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        for obj in self.instances:
            if str(obj.pk) == str(value):
                return obj
        raise ValidationError(
            self.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": value},
        )


class AdmissionForm(forms.ModelForm):
    """Property 5: every field of seed 000's admission form, plus the documents."""

    website = honeypot_field()
    desired_department = OfferedChoiceField(
        Department,
        label=capfirst(
            AdmissionApplication._meta.get_field("desired_department").verbose_name
        ),
        empty_label=None,
    )

    class Meta:
        model = AdmissionApplication
        fields = [*PERSONAL_FIELDS, "desired_department", "desired_shift"]
        formfield_callback = fixed_choices_formfield
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "emergency_contact": forms.TextInput,
        }

    def __init__(self, *args, page, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.page = page
        if departments is None:
            departments = page.departments.order_by("name")
        self.fields["desired_department"].offer(departments)
        offered = page.offered_shifts()
        self.fields["desired_shift"].choices = [
            (value, label) for value, label in Shift.choices if value in offered
        ]
        required = [
            kind for kind in (page.required_documents or []) if kind in DocumentKind
        ]
        for kind in required:
            self.fields[document_field_name(kind)] = UploadField(
                label=DocumentKind(kind).label,
                required=True,
                help_text=_("PDF, JPEG or PNG."),
            )
        if DocumentKind.PHOTO not in required:
            self.fields[document_field_name(DocumentKind.PHOTO)] = UploadField(
                label=_("Photo (optional)"),
                required=False,
                help_text=_("JPEG or PNG."),
            )
        # The honeypot goes last, out of the way.
        self.fields[HONEYPOT] = self.fields.pop(HONEYPOT)

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))

    def _get_validation_exclusions(self):
        # The department was looked up in the page's own departments: the model
        # need not query again whether it exists.
        return {*super()._get_validation_exclusions(), "desired_department"}

    def application_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}

    def documents(self) -> list[tuple[str, object]]:
        """(kind, uploaded file) for every file sent."""
        found = []
        for name in self.fields:
            if name.startswith(DOCUMENT_PREFIX) and self.cleaned_data.get(name):
                found.append((name[len(DOCUMENT_PREFIX) :], self.cleaned_data[name]))
        return found

    def visible_personal_fields(self):
        return [self[name] for name in self.fields if name != HONEYPOT]

    def add_service_error(self, error: ValidationError) -> None:
        add_service_error(self, error)


def add_service_error(form, error: ValidationError) -> None:
    """A service's ValidationError shown on the fields it names (or the form)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class DocumentUploadForm(forms.Form):
    """A missing document sent for a returned application."""

    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    file = UploadField(label=_("File"), help_text=_("PDF, JPEG or PNG."))


class TeacherSignupForm(forms.ModelForm):
    """Seed 000 §3: a teacher asks for an account; a head reviews it."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    website = honeypot_field()

    class Meta:
        model = TeacherSignupRequest
        fields = [
            "full_name_english",
            "full_name_bangla",
            "email",
            "mobile_number",
            "designation",
            "department",
            "qualifications",
            "specializations",
            "username",
        ]
        widgets = {
            "qualifications": forms.Textarea(attrs={"rows": 3}),
            "specializations": forms.Textarea(attrs={"rows": 3}),
        }

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))

    def clean(self):
        cleaned = super().clean()
        first = cleaned.get("password1")
        second = cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(
                    first,
                    TeacherSignupRequest(
                        username=cleaned.get("username") or "",
                        email=cleaned.get("email") or "",
                        full_name_english=cleaned.get("full_name_english") or "",
                    ),
                )
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def signup_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}
