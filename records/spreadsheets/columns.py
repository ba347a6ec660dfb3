"""Columns of the spreadsheet resources: how a cell is read and how a value is written.

Each column is a django-import-export ``Field`` with one of the widgets below.
Widgets read what registrars actually type: Bangla digits, dates as ISO,
dd/mm/yyyy or Excel serial numbers, choices by value or by label in either
language, related records by their human key (department code or name,
teacher email, student registration number). ``CellError`` carries a message
in a registrar's words; the engine adds the row and the column.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.fields import Field
from import_export.widgets import Widget

from .writers import unescape_formula

BANGLA_DIGITS = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")
EXCEL_EPOCH = date(1899, 12, 30)


class CellError(ValueError):
    """A cell that cannot be read; the message is shown with its row and column."""


def normalize_header(text: Any) -> str:
    """Case-, space- and punctuation-insensitive form of a header (any language)."""
    text = str(text or "").translate(BANGLA_DIGITS).casefold()
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def normalize_choice(text: Any) -> str:
    """Like ``normalize_header`` but keeps + and - (blood groups B+ and B-)."""
    text = str(text or "").translate(BANGLA_DIGITS).casefold()
    text = re.sub(r"[^\w+\-]+|_", " ", text)
    return " ".join(text.split())


def ascii_digits(value: Any) -> str:
    return str(value).translate(BANGLA_DIGITS).strip()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Column(Field):
    """A resource field with the headers it answers to and its rule in words.

    ``aliases`` are extra headers (the Bangla header, old names); the model
    field name and the verbose name always match. ``rule`` is shown in the
    downloadable template.
    """

    def __init__(
        self,
        attribute: str,
        column_name: str,
        widget: Widget | None = None,
        *,
        aliases: tuple[str, ...] = (),
        rule: str = "",
        example: Any = "",
        required: bool = False,
        readonly: bool = False,
        export_only: bool = False,
    ):
        super().__init__(
            attribute=attribute,
            column_name=column_name,
            widget=widget or TextWidget(),
            readonly=readonly or export_only,
        )
        self.aliases = aliases
        self.rule = rule
        self.example = example
        self.required = required
        self.export_only = export_only

    def header_keys(self) -> set[str]:
        keys = {normalize_header(self.column_name), normalize_header(self.attribute)}
        keys.update(normalize_header(alias) for alias in self.aliases)
        keys.discard("")
        return keys

    def read(self, value: Any, context: dict) -> Any:
        return self.widget.read(value, context)

    def export_value(self, obj) -> Any:
        value = obj
        for part in self.attribute.split("__"):
            value = getattr(value, part, None) if value is not None else None
        return self.widget.export(value)


class TextWidget(Widget):
    """Text: trimmed; numbers typed into a text column come back as digits."""

    def __init__(self, *, max_length: int | None = None, lower: bool = False):
        super().__init__()
        self.lower = lower

    def read(self, value: Any, context: dict) -> str:
        if type(value) is str:  # the common case, kept short
            text = value.strip()
            if text[:1] == "'":
                # Our own exports escape formula-like text with an apostrophe.
                text = unescape_formula(text)
            return text.lower() if self.lower else text
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, datetime | date | time):
            value = value.isoformat()
        # Our own exports escape formula-like text with an apostrophe: undo it.
        text = unescape_formula(str(value).strip())
        return text.lower() if self.lower else text

    def clean(self, value, row=None, **kwargs):
        return self.read(value, {})

    def export(self, value: Any) -> Any:
        return "" if value is None else value

    def render(self, value, obj=None, **kwargs):
        return self.export(value)


class DigitsWidget(TextWidget):
    """Numbers kept as text (NID, birth registration, roll): Bangla digits become ASCII.

    A spreadsheet that stored the number as a number (1.9900123456789e16)
    loses nothing for up to 15 digits; the validator reports anything else.
    """

    def read(self, value: Any, context: dict) -> str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = super().read(value, context).translate(BANGLA_DIGITS)
        return text.replace(" ", "").replace("-", "") if text.isascii() else text


class MobileWidget(DigitsWidget):
    """A Bangladeshi mobile: 01712345678, +8801712345678, 01712-345678, or the
    number a spreadsheet kept without its leading zero (1712345678)."""

    def read(self, value: Any, context: dict) -> str:
        text = super().read(value, context)
        if text.startswith("+880"):
            text = text[3:]
        elif text.startswith("880") and len(text) == 13:
            text = text[2:]
        if isinstance(value, int | float) and len(text) == 10 and text[0] == "1":
            text = "0" + text
        return text


class IntegerWidget(Widget):
    def read(self, value: Any, context: dict) -> int | None:
        if is_blank(value):
            return None
        if isinstance(value, bool):
            raise CellError(
                gettext("%(value)s is not a whole number.") % {"value": value}
            )
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            if value.is_integer():
                return int(value)
            raise CellError(
                gettext("%(value)s is not a whole number.") % {"value": value}
            )
        text = ascii_digits(value).replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(
                gettext("%(value)s is not a whole number.") % {"value": value}
            ) from None
        if number != number.to_integral_value():
            raise CellError(
                gettext("%(value)s is not a whole number.") % {"value": value}
            )
        return int(number)

    def export(self, value: Any) -> Any:
        return value

    def clean(self, value, row=None, **kwargs):
        return self.read(value, {})


class DecimalWidget(Widget):
    def read(self, value: Any, context: dict) -> Decimal | None:
        if is_blank(value):
            return None
        if isinstance(value, bool):
            raise CellError(gettext("%(value)s is not a number.") % {"value": value})
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, float):
            return Decimal(repr(value))
        text = ascii_digits(value).replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(
                gettext("%(value)s is not a number.") % {"value": value}
            ) from None
        if not number.is_finite():
            raise CellError(gettext("%(value)s is not a number.") % {"value": value})
        return number

    def export(self, value: Any) -> Any:
        return value

    def clean(self, value, row=None, **kwargs):
        return self.read(value, {})


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d %b %Y")
DATE_HELP = _("a date: 2026-01-31, 31/01/2026 or a date cell")


class DateWidget(Widget):
    """A date cell, ISO, dd/mm/yyyy (day first, as in Bangladesh), or an Excel serial."""

    def read(self, value: Any, context: dict) -> date | None:
        if is_blank(value):
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self._serial(value, value)
        text = ascii_digits(value)
        if re.fullmatch(r"\d{5}(\.\d+)?", text):
            return self._serial(float(text), value)
        text = text.split("T")[0].split(" 00:00")[0]
        if len(text) == 10 and text[4] == "-":
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).date()  # noqa: DTZ007
            except ValueError:
                continue
        raise CellError(
            gettext("%(value)s is not a date; write %(help)s.")
            % {"value": value, "help": DATE_HELP}
        )

    @staticmethod
    def _serial(number: float, original: Any) -> date:
        if not 1 <= number < 2958466:
            raise CellError(gettext("%(value)s is not a date.") % {"value": original})
        return EXCEL_EPOCH + timedelta(days=int(number))

    def export(self, value: Any) -> Any:
        return value

    def clean(self, value, row=None, **kwargs):
        return self.read(value, {})


class TimeWidget(Widget):
    """09:00, 9:00 AM, 14:30:00, a time cell or Excel's fraction of a day."""

    def read(self, value: Any, context: dict) -> time | None:
        if is_blank(value):
            return None
        if isinstance(value, datetime):
            return value.time()
        if isinstance(value, time):
            return value
        if isinstance(value, float | int) and not isinstance(value, bool):
            if 0 <= value < 1:
                minutes = round(value * 24 * 60)
                return time(minutes // 60, minutes % 60)
        text = ascii_digits(value).upper().replace(".", ":")
        for fmt in ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%I %p"):
            try:
                return datetime.strptime(text, fmt).time()  # noqa: DTZ007
            except ValueError:
                continue
        raise CellError(
            gettext("%(value)s is not a time; write it like 09:30 or 2:15 PM.")
            % {"value": value}
        )

    def export(self, value: Any) -> Any:
        return value

    def clean(self, value, row=None, **kwargs):
        return self.read(value, {})


YES = {"yes", "y", "true", "1", "present", "p", "active", "হ্যাঁ", "হা", "উপস্থিত"}
NO = {"no", "n", "false", "0", "absent", "a", "inactive", "না", "অনুপস্থিত"}


class BooleanWidget(Widget):
    def __init__(self, *, true_label=None, false_label=None):
        super().__init__()
        self.true_label = true_label if true_label is not None else _("Yes")
        self.false_label = false_label if false_label is not None else _("No")

    def read(self, value: Any, context: dict) -> bool | None:
        if is_blank(value):
            return None
        if isinstance(value, bool):
            return value
        text = ascii_digits(value).casefold()
        if text in YES or text == str(self.true_label).casefold():
            return True
        if text in NO or text == str(self.false_label).casefold():
            return False
        raise CellError(
            gettext("%(value)s is not yes or no; write %(yes)s or %(no)s.")
            % {"value": value, "yes": self.true_label, "no": self.false_label}
        )

    def export(self, value: Any) -> Any:
        if value is None:
            return ""
        return str(self.true_label if value else self.false_label)

    def exporter(self):
        yes, no = str(self.true_label), str(self.false_label)
        return lambda value: "" if value is None else (yes if value else no)

    def clean(self, value, row=None, **kwargs):
        return self.read(value, {})


class ChoiceWidget(Widget):
    """A choice by its stored value or its label (English or Bangla), any case."""

    def __init__(
        self,
        choices,
        *,
        integer: bool = False,
        extra: dict | None = None,
        export_label: bool = True,
    ):
        super().__init__()
        self.export_label = export_label
        self.choices = list(choices)
        self.integer = integer
        self.extra = {normalize_choice(k): v for k, v in (extra or {}).items()}
        self._lookup: dict[str, Any] | None = None

    def lookup(self) -> dict[str, Any]:
        # Built on first use, in the active language (labels are lazy).
        table: dict[str, Any] = dict(self.extra)
        for value, label in self.choices:
            for key in (normalize_choice(value), normalize_choice(label)):
                if table.get(key, value) != value:
                    raise ValueError(f"choices {value!r} and {table[key]!r} read alike")
                table[key] = value
        return table

    def read(self, value: Any, context: dict) -> Any:
        if is_blank(value):
            return "" if not self.integer else None
        seen = context.get(("seen", id(self)))
        if seen is None:
            seen = context[("seen", id(self))] = {}
        hashable = not isinstance(value, float)
        if hashable and value in seen:
            return seen[value]
        original = value
        if (
            self.integer
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            value = int(value)
        key = normalize_choice(value)
        table = context.get(("choices", id(self)))
        if table is None:
            table = context[("choices", id(self))] = self.lookup()
        if key in table:
            if hashable:
                seen[original] = table[key]
            return table[key]
        labels = ", ".join(str(label) for _value, label in self.choices)
        raise CellError(
            gettext("%(value)s is not one of: %(choices)s.")
            % {"value": value, "choices": labels}
        )

    def export(self, value: Any) -> Any:
        if not self.export_label:
            return value
        for choice, label in self.choices:
            if choice == value:
                return str(label)
        return "" if value is None else value

    def exporter(self):
        """``export`` for a whole file: the labels looked up once."""
        if not self.export_label:
            return None
        labels = {choice: str(label) for choice, label in self.choices}
        return lambda value: labels.get(value, "" if value is None else value)

    def clean(self, value, row=None, **kwargs):
        return self.read(value, {})


class RelatedWidget(Widget):
    """A related record by a human key: e.g. a department by code or by name.

    ``lookups`` are the model fields tried in turn; the engine loads the
    candidates once per import (``load``), so a 20,000-row file costs one
    query per related model, not one per row.
    """

    def __init__(
        self,
        model,
        lookups: tuple[str, ...],
        *,
        export_field: str | None = None,
        label=None,
        preload_all: bool = True,
        select_related: tuple[str, ...] = (),
    ):
        super().__init__()
        self.model = model
        self.lookups = lookups
        self.export_field = export_field or lookups[0]
        self.label = label
        self.preload_all = preload_all
        self.select_related = select_related

    def cache_key(self):
        return ("related", self.model, self.lookups)

    def load(self, raw_values, context: dict) -> None:
        """Fill the lookup table for these raw cell values (one or two queries)."""
        key = self.cache_key()
        table = context.setdefault(key, {})
        manager = self.model._base_manager.select_related(*self.select_related)
        if self.preload_all:
            if context.get((key, "loaded")):
                return
            objects = manager.all()
        else:
            wanted = {self.key_of(v) for v in raw_values if not is_blank(v)}
            wanted -= set(table)
            if not wanted:
                return
            objects = []
            wanted_list = sorted(wanted)
            for start in range(0, len(wanted_list), 2000):
                chunk = wanted_list[start : start + 2000]
                objects.extend(
                    manager.filter(**{f"{self.lookups[0]}__any": chunk}).iterator(
                        chunk_size=2000
                    )
                )
        for obj in objects:
            for field in reversed(self.lookups):
                value = getattr(obj, field)
                if value not in (None, ""):
                    table[normalize_header(value)] = obj
        context[(key, "loaded")] = True

    def key_of(self, value: Any) -> str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).translate(BANGLA_DIGITS).strip()

    def read(self, value: Any, context: dict) -> Any:
        if is_blank(value):
            return None
        table = context.get(self.cache_key(), {})
        seen = context.get(("seen", id(self)))
        if seen is None:
            seen = context[("seen", id(self))] = {}
        if isinstance(value, str) and value in seen:
            return seen[value]
        text = self.key_of(value)
        obj = table.get(normalize_header(text))
        if obj is not None and isinstance(value, str):
            seen[value] = obj
        if obj is None:
            raise CellError(
                gettext("There is no %(record)s %(value)s.")
                % {"record": self.label or self.model._meta.verbose_name, "value": text}
            )
        return obj

    def export(self, value: Any) -> Any:
        if value is None:
            return ""
        return getattr(value, self.export_field)

    def clean(self, value, row=None, **kwargs):
        return self.read(value, {})
