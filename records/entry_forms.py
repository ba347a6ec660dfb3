"""Forms and POST readers of the daily entry screens (take attendance, marks entry).

The forms only parse what the user typed; the rules live in the models and
services (``attendance_sheet_save``, ``marks_grid_save``, ``parse_mark``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import (
    AcademicSession,
    Department,
    ExamType,
    Semester,
    Shift,
    Subject,
    Weekday,
)

# Totals offered when an exam has no stored marks yet.
DEFAULT_TOTAL_MARKS: dict[str, Decimal] = {
    ExamType.FINAL: Decimal(100),
    ExamType.MIDTERM: Decimal(50),
    ExamType.ASSIGNMENT: Decimal(20),
    ExamType.PRACTICAL: Decimal(50),
}

STATUS_PREFIX = "status-"
NOTE_PREFIX = "note-"
MARK_PREFIX = "mark-"
REMARK_PREFIX = "remark-"
PRESENT, ABSENT = "present", "absent"

SHEET_BAD_ROWS = _("The sheet was sent with rows that are not students: %(keys)s.")
SHEET_BAD_STATUS = _("Choose present or absent for every student.")
MARKS_CLASS_NOT_YOURS = _(
    "You do not enter marks for %(subject)s in the %(shift)s shift: no class of "
    "yours in the routine matches."
)


def latest_class_date(day_of_week: int, *, today: date) -> date:
    """The most recent date, today included, that falls on ``day_of_week``."""
    day = today
    for _offset in range(7):
        if Weekday.of(day) == day_of_week:
            return day
        day -= timedelta(days=1)
    return today  # not a class day at all (cannot happen for a stored slot)


def format_mark(value: Decimal | None) -> str:
    """80.00 -> "80", 72.50 -> "72.5" (as a person would type it)."""
    if value is None:
        return ""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


class SlotFilterForm(forms.Form):
    """Narrows the list of routine slots on the Take attendance screen."""

    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.order_by("code"),
        required=False,
        empty_label=_("All departments"),
    )
    semester = forms.TypedChoiceField(
        label=_("Semester"),
        choices=[("", _("All semesters")), *Semester.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    shift = forms.ChoiceField(
        label=_("Shift"),
        choices=[("", _("Both shifts")), *Shift.choices],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].label_from_instance = lambda department: (
            f"{department.code} · {department.name}"
        )

    def filter(self, routines):
        if not self.is_valid():
            return routines
        data = self.cleaned_data
        if data["department"]:
            routines = routines.filter(department=data["department"])
        if data["semester"]:
            routines = routines.filter(semester=data["semester"])
        if data["shift"]:
            routines = routines.filter(shift=data["shift"])
        return routines

    @property
    def is_filtered(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())


class SheetDateForm(forms.Form):
    date = forms.DateField(
        label=_("Date of the class"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if today is not None:
            # The browser's date picker greys out future days; the service decides.
            self.fields["date"].widget.attrs["max"] = today.isoformat()


@dataclass
class SheetInput:
    """What the attendance sheet sent: present/absent and a note per student id."""

    present: dict[int, bool] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _row_id(key: str, prefix: str) -> int | None:
    text = key.removeprefix(prefix)
    return int(text) if text.isascii() and text.isdigit() else None


def read_attendance_sheet(data) -> SheetInput:
    """Read ``status-<student id>`` (present/absent) and ``note-<student id>`` rows.

    Ids are passed on as sent: the service refuses ids outside the class.
    """
    sheet = SheetInput()
    bad_keys = []
    for key in data:
        if key.startswith(STATUS_PREFIX):
            student_id = _row_id(key, STATUS_PREFIX)
            if student_id is None:
                bad_keys.append(key)
                continue
            value = data.get(key)
            if value not in (PRESENT, ABSENT):
                if SHEET_BAD_STATUS not in sheet.errors:
                    sheet.errors.append(SHEET_BAD_STATUS)
                continue
            sheet.present[student_id] = value == PRESENT
        elif key.startswith(NOTE_PREFIX):
            student_id = _row_id(key, NOTE_PREFIX)
            if student_id is None:
                bad_keys.append(key)
                continue
            note = data.get(key, "").strip()
            if note:
                sheet.notes[student_id] = note
    if bad_keys:
        sheet.errors.append(SHEET_BAD_ROWS % {"keys": ", ".join(sorted(bad_keys))})
    return sheet


class MarksGridChooserForm(forms.Form):
    """Which grid to open: subject, exam, shift and session (GET)."""

    subject = forms.ModelChoiceField(
        label=_("Subject"),
        queryset=Subject.objects.filter(is_active=True).select_related("department"),
    )
    exam_type = forms.ChoiceField(label=_("Exam"), choices=ExamType.choices)
    shift = forms.ChoiceField(label=_("Shift"), choices=Shift.choices)
    session = forms.ModelChoiceField(
        label=_("Session"),
        queryset=AcademicSession.objects.all(),
        empty_label=None,
    )

    def __init__(self, *args, allowed_classes=None, **kwargs):
        """``allowed_classes``: the (subject id, shift) pairs the user may enter
        marks for (``permissions.routines_for_marks``); None offers every subject.
        """
        super().__init__(*args, **kwargs)
        self.allowed_classes = (
            None if allowed_classes is None else frozenset(allowed_classes)
        )
        if self.allowed_classes is not None:
            self.fields["subject"].queryset = self.fields["subject"].queryset.filter(
                pk__in=sorted(
                    {subject_id for subject_id, _shift in self.allowed_classes}
                )
            )
        self.fields["subject"].label_from_instance = lambda subject: (
            f"{subject.department.code} · "
            f"{subject.get_semester_display()} · {subject.code} {subject.name}"
        )

    def clean(self):
        cleaned = super().clean()
        subject, shift = cleaned.get("subject"), cleaned.get("shift")
        if (
            self.allowed_classes is not None
            and subject is not None
            and shift
            and (subject.pk, shift) not in self.allowed_classes
        ):
            self.add_error(
                "shift",
                MARKS_CLASS_NOT_YOURS
                % {"subject": subject.code, "shift": Shift(shift).label},
            )
        return cleaned


class MarksGridForm(MarksGridChooserForm):
    """The grid's own fields (POST): the chooser's choices again, and the total."""

    total_marks = forms.DecimalField(
        label=_("Total marks"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("What the exam is out of, the same for every student."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("subject", "exam_type", "shift", "session"):
            self.fields[name].widget = forms.HiddenInput()


@dataclass
class MarksInput:
    entries: dict[int, str] = field(default_factory=dict)
    remarks: dict[int, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def read_marks_grid(data) -> MarksInput:
    """Read ``mark-<student id>`` and ``remark-<student id>`` cells as typed."""
    grid = MarksInput()
    bad_keys = []
    for key in data:
        for prefix, target in (
            (MARK_PREFIX, grid.entries),
            (REMARK_PREFIX, grid.remarks),
        ):
            if key.startswith(prefix):
                student_id = _row_id(key, prefix)
                if student_id is None:
                    bad_keys.append(key)
                else:
                    target[student_id] = data.get(key, "")
    for student_id in grid.remarks.keys() - grid.entries.keys():
        # A remark alone is a blank mark: the service still checks the student.
        grid.entries[student_id] = ""
    if bad_keys:
        grid.errors.append(SHEET_BAD_ROWS % {"keys": ", ".join(sorted(bad_keys))})
    return grid
