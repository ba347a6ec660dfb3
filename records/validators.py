"""Validators for Bangladeshi formats, shared by models, forms, imports and the API."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

MOBILE_MESSAGE = _(
    "Enter a Bangladeshi mobile number: 11 digits starting with 013 to 019, "
    "for example 01712345678."
)

validate_bd_mobile = RegexValidator(
    regex=r"^01[3-9][0-9]{8}$", message=MOBILE_MESSAGE, code="invalid_mobile"
)
