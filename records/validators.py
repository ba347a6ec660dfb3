"""Validators for Bangladeshi formats, shared by models, forms, imports and the API.

Messages say what is wrong in a registrar's words; they are constants where
tests assert them.
"""

import re
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^01[3-9][0-9]{8}$")
MOBILE_MESSAGE = _(
    "Enter a Bangladeshi mobile number: 11 digits starting with 013 to 019, "
    "for example 01712345678."
)
MOBILE_LENGTH_MESSAGE = _(
    "%(value)s has %(count)d digits, a Bangladeshi mobile number has 11."
)


def validate_bd_mobile(value: str) -> None:
    if MOBILE_RE.match(value or ""):
        return
    digits = sum(ch.isdigit() for ch in value)
    if value.isdigit() and digits != 11:
        raise ValidationError(
            MOBILE_LENGTH_MESSAGE,
            code="invalid_mobile_length",
            params={"value": value, "count": digits},
        )
    raise ValidationError(MOBILE_MESSAGE, code="invalid_mobile")


NID_MESSAGE = _("A national ID (NID) number has 10, 13 or 17 digits.")


def validate_nid(value: str) -> None:
    if not (value.isdigit() and len(value) in (10, 13, 17)):
        raise ValidationError(NID_MESSAGE, code="invalid_nid")


BIRTH_CERTIFICATE_MESSAGE = _("A birth registration number has 17 digits.")

validate_birth_certificate = RegexValidator(
    regex=r"^[0-9]{17}$",
    message=BIRTH_CERTIFICATE_MESSAGE,
    code="invalid_birth_certificate",
)

GPA_MESSAGE = _("GPA must be between 0.00 and 5.00.")


def validate_gpa(value: Decimal) -> None:
    if value is not None and not (Decimal("0") <= value <= Decimal("5")):
        raise ValidationError(GPA_MESSAGE, code="invalid_gpa")


PAST_DATE_MESSAGE = _("This date is in the future.")


def validate_not_future(value: date) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(PAST_DATE_MESSAGE, code="future_date")


PASSING_YEAR_MESSAGE = _("Enter a passing year between 1950 and this year.")


def validate_passing_year(value: int) -> None:
    if value is not None and not (1950 <= value <= timezone.localdate().year):
        raise ValidationError(PASSING_YEAR_MESSAGE, code="invalid_passing_year")


# Uploads: whitelisted types, checked by content (magic bytes), not by name.
ALLOWED_UPLOAD_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
ALLOWED_IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png"}
UPLOAD_TOO_LARGE = _("The file is %(size)s; the limit is %(limit)s.")
UPLOAD_WRONG_TYPE = _("%(name)s is not a %(allowed)s file (its content is %(found)s).")
UPLOAD_EMPTY = _("The file is empty.")
UPLOAD_DAMAGED = _(
    "%(name)s looks like a %(kind)s file but cannot be read; it may be damaged."
)


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def sniff_upload(uploaded_file, allowed: dict[str, str] = ALLOWED_UPLOAD_TYPES) -> str:
    """Check an upload's size and real type; return its content type.

    The type is read from the file's first bytes, never from its name or from
    what the browser claims.
    """
    import filetype
    from django.conf import settings

    limit = settings.CAMPUSDESK_MAX_UPLOAD_BYTES
    size = uploaded_file.size
    if not size:
        raise ValidationError(UPLOAD_EMPTY, code="empty_upload")
    if size > limit:
        raise ValidationError(
            UPLOAD_TOO_LARGE,
            code="upload_too_large",
            params={"size": _megabytes(size), "limit": _megabytes(limit)},
        )
    position = uploaded_file.tell() if hasattr(uploaded_file, "tell") else 0
    uploaded_file.seek(0)
    head = uploaded_file.read(2048)
    uploaded_file.seek(position)
    kind = filetype.guess(head)
    found = kind.mime if kind else "unknown"
    if found not in allowed:
        names = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
        raise ValidationError(
            UPLOAD_WRONG_TYPE,
            code="upload_wrong_type",
            params={
                "name": getattr(uploaded_file, "name", "the file"),
                "allowed": ", ".join(names[t] for t in allowed),
                "found": found,
            },
        )
    if found.startswith("image/"):
        from PIL import Image

        try:
            uploaded_file.seek(0)
            with Image.open(uploaded_file) as image:
                image.verify()
        except Exception as exc:  # Pillow raises many types for broken images
            raise ValidationError(
                UPLOAD_DAMAGED,
                code="upload_damaged",
                params={"name": getattr(uploaded_file, "name", "file"), "kind": found},
            ) from exc
        finally:
            uploaded_file.seek(position)
    return found


def validate_photo_upload(value) -> None:
    """Model-field validator for photos: JPEG or PNG by content, within the size limit."""
    if value and getattr(value, "_file", None) is not None:
        sniff_upload(value, ALLOWED_IMAGE_TYPES)
