"""Spreadsheet resources: the columns of each record type, for import and export.

Each resource is a django-import-export ``ModelResource`` whose fields are
``Column``s: the English header, the headers it also answers to (field name,
Bangla), the widget that reads and writes the cell, and the rule shown in the
template. Export and import use the same columns, so an exported file can be
edited and imported back.

The import engine (``engine.py``) calls the hooks below instead of
import-export's row-by-row ``import_data``: see ``PERFORMANCE.md`` for why.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import (
    EMPTY_VALUES,
    MaxLengthValidator,
    ProhibitNullCharactersValidator,
)
from django.db import models
from django.db.models.base import ModelState
from django.db.models.functions import Lower
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export import resources

from .. import models as m
from .columns import (
    BooleanWidget,
    ChoiceWidget,
    Column,
    DateWidget,
    DecimalWidget,
    DigitsWidget,
    IntegerWidget,
    MobileWidget,
    RelatedWidget,
    TextWidget,
    TimeWidget,
    is_blank,
    normalize_header,
)

SEMESTER_ALIASES = {
    **{
        f"{n}{s}": n
        for n, s in zip(range(1, 9), ["st", "nd", "rd"] + ["th"] * 5, strict=True)
    },
    **{f"semester {n}": n for n in range(1, 9)},
}
SEMESTER_RULE = _("1 to 8 (also 3rd or 3rd semester)")


def _semester(**kwargs) -> ChoiceWidget:
    # A number in the sheet, not "3rd semester".
    return ChoiceWidget(
        m.Semester.choices, integer=True, extra=SEMESTER_ALIASES, export_label=False
    )


def department_widget() -> RelatedWidget:
    return RelatedWidget(
        m.Department,
        ("code", "name", "name_bangla", "short_name"),
        label=_("department"),
    )


def session_widget() -> RelatedWidget:
    return RelatedWidget(m.AcademicSession, ("name",), label=_("session"))


def subject_widget() -> RelatedWidget:
    return RelatedWidget(m.Subject, ("code",), label=_("subject"))


def teacher_widget() -> RelatedWidget:
    return RelatedWidget(m.Teacher, ("email",), label=_("teacher"))


def student_widget() -> RelatedWidget:
    return RelatedWidget(
        m.Student,
        ("current_registration_number",),
        label=_("student with registration number"),
        preload_all=False,
        select_related=("department", "session"),
    )


_BUILTIN_VALIDATORS = (MaxLengthValidator, ProhibitNullCharactersValidator)


def _field_checks(model, exclude: frozenset) -> list[tuple]:
    checks = []
    for f in model._meta.concrete_fields:
        if f.name in exclude or f.primary_key:
            continue
        choices = {value for value, _label in f.flatchoices} if f.choices else None
        custom = [v for v in f.validators if not isinstance(v, _BUILTIN_VALIDATORS)]
        checks.append(
            (
                f.attname,
                f.null,
                f.blank,
                choices,
                getattr(f, "max_length", None),
                custom,
            )
        )
    return checks


def _quick_fields_ok(obj, exclude: set, context: dict) -> bool:
    """The checks of ``Model.clean_fields`` on typed values, without its overhead.

    Blank, null, choices, length and NUL bytes are compared inline and the
    field's own validators (mobile, NID, dates...) are called directly. True
    when all pass; on any failure the caller runs ``clean_fields`` for the
    messages, so the words stay Django's and the model's.
    """
    key = ("field_checks", frozenset(exclude))
    checks = context.get(key)
    if checks is None:
        checks = context[key] = _field_checks(type(obj), frozenset(exclude))
    values = obj.__dict__
    for attname, null, blank, choices, max_length, custom in checks:
        value = values.get(attname)
        if value is None:
            if not null:
                return False
            continue
        if value == "" or value in EMPTY_VALUES:
            if not blank:
                return False
            continue
        if choices is not None and value not in choices:
            return False
        if isinstance(value, str):
            if max_length is not None and len(value) > max_length:
                return False
            if "\x00" in value:
                return False
        if custom:
            # Validators are pure functions of the value (today's date is fixed
            # for one import): a value that passed once passes again.
            passed = context.setdefault("validated", set())
            memo = (attname, value)
            if memo in passed:
                continue
            try:
                for validator in custom:
                    validator(value)
            except ValidationError:
                return False
            passed.add(memo)
    return True


class SpreadsheetResource(resources.ModelResource):
    """Hooks the import engine calls; subclasses declare columns and keys."""

    record_type = ""  # the URL and command-line name: "students"
    title = ""
    key: tuple[str, ...] = ()  # attributes of the natural key
    case_insensitive_key = False  # match the first key field whatever its case
    key_optional = (
        False  # rows without a key may still match (see existing_by_identity)
    )
    locked_fields: tuple[str, ...] = ()  # set once, never changed by an import
    unique_fields: tuple[str, ...] = ()
    touch_fields: tuple[str, ...] = ()  # auto_now fields bulk_update must set
    export_select_related: tuple[str, ...] = ()
    template_notes: tuple = ()

    @property
    def model(self):
        return self._meta.model

    # --- columns -----------------------------------------------------------------

    def columns(self) -> list[Column]:
        return [f for f in self.fields.values() if isinstance(f, Column)]

    def import_columns(self) -> list[Column]:
        return [c for c in self.columns() if not c.export_only]

    def key_columns(self) -> list[Column]:
        by_attr = {c.attribute: c for c in self.columns()}
        return [by_attr[name] for name in self.key]

    def header_for(self, name: str) -> str:
        for column in self.columns():
            if column.attribute == name:
                return str(column.column_name)
        if name == NON_FIELD_ERRORS:
            return ""
        try:
            return capfirst(str(self.model._meta.get_field(name).verbose_name))
        except Exception:  # noqa: BLE001
            return ""

    # --- keys and existing records ---------------------------------------------------

    def _norm(self, value: Any) -> Any:
        if isinstance(value, models.Model):
            return value.pk
        if isinstance(value, str):
            return normalize_header(value)
        return value

    def key_of(self, values: dict) -> tuple | None:
        key = []
        for name in self.key:
            value = values.get(name)
            if is_blank(value):
                return None
            key.append(self._norm(value))
        return tuple(key)

    def instance_key(self, obj) -> tuple:
        key = []
        for name in self.key:
            f = self.model._meta.get_field(name)
            value = getattr(obj, f.attname)
            key.append(value if f.is_relation else self._norm(value))
        return tuple(key)

    label_fields: tuple[str, ...] = ()  # shown beside the key in the preview

    def row_label(self, values: dict) -> str:
        parts = [
            str(self.fields_by_attr(name).widget.export(values.get(name)) or "")
            for name in (*self.key, *self.label_fields)
            if name in values
        ]
        return " · ".join(p for p in parts if p)

    def fields_by_attr(self, name: str) -> Column:
        by_attr = self.__dict__.get("_by_attr")
        if by_attr is None:
            by_attr = self.__dict__["_by_attr"] = {
                c.attribute: c for c in self.columns()
            }
        return by_attr[name]

    def existing_queryset(self):
        return self.model._base_manager.all()

    def fetch_existing(self, rows: list[dict], context: dict) -> dict:
        """The records these rows name by their natural key, in a few queries."""
        wanted = {k for k in (self.key_of(v) for v in rows) if k is not None}
        if not wanted:
            return {}
        found = {}
        first = self.key[0]
        first_field = self.model._meta.get_field(first)
        raw_values = {
            (v[first].pk if first_field.is_relation else v[first])
            for v in rows
            if not is_blank(v.get(first))
        }
        lookup = first_field.attname if first_field.is_relation else first
        if not first_field.is_relation:
            # Keys match whatever the case (cst, CST); the database is exact.
            raw_values |= {
                value.upper()
                for value in raw_values
                if isinstance(value, str) and value.upper() != value
            }
        raw = sorted(raw_values, key=str)
        narrow = self.narrow_existing(rows)
        if self.case_insensitive_key and not first_field.is_relation:
            # Emails: whatever the case stored and typed (one small table).
            folded = sorted({str(v).casefold() for v in raw})
            queryset = self.existing_queryset().alias(key_casefolded=Lower(first))
            for start in range(0, len(folded), 2000):
                for obj in queryset.filter(
                    **narrow, key_casefolded__in=folded[start : start + 2000]
                ):
                    key = self.instance_key(obj)
                    if key in wanted:
                        found[key] = obj
            return found
        for start in range(0, len(raw), 2000):
            chunk = raw[start : start + 2000]
            queryset = self.existing_queryset().filter(
                **narrow,
                **{f"{lookup}__{'in' if first_field.is_relation else 'any'}": chunk},
            )
            for obj in queryset:
                key = self.instance_key(obj)
                if key in wanted:
                    found[key] = obj
        return found

    def narrow_existing(self, rows: list[dict]) -> dict:
        return {}

    def existing_by_identity(self, values: dict, context: dict):
        return None

    # --- building and validating -------------------------------------------------------

    def before_plan(self, context: dict) -> None:
        return None

    def new_instance(self, values: dict, context: dict):
        return self.blank_instance(context, values)

    def blank_instance(self, context: dict, values: dict):
        """A new object with the model's defaults, then ``values``.

        Copying a prepared default instance is several times faster than
        ``Model(**values)`` for a 60-field model, which matters at 20,000 rows.
        """
        template = context.get("template")
        if template is None:
            template = context["template"] = self.model()
        obj = self.model.__new__(self.model)
        obj.__dict__ = template.__dict__.copy()
        obj._state = ModelState()
        relations = context.get("relations")
        if relations is None:
            relations = context["relations"] = {
                f.name: f for f in self.model._meta.concrete_fields if f.is_relation
            }
        for name, value in values.items():
            field = relations.get(name)
            if field is None:
                setattr(obj, name, value)
            else:
                # What the related descriptor does, minus its per-call router check.
                obj.__dict__[field.attname] = None if value is None else value.pk
                if value is not None:
                    field.set_cached_value(obj, value)
        return obj

    def fk_names(self) -> set[str]:
        return {f.name for f in self.model._meta.concrete_fields if f.is_relation}

    def validate(self, obj, before: dict | None, context: dict) -> dict[str, list[str]]:
        from .engine import _messages

        if before is None:
            # A new record: the columns in the file; the rest hold their defaults.
            exclude = context.get("exclude_new")
            if exclude is None:
                mapped = context.get("mapped")
                exclude = self.fk_names()
                if mapped is not None:
                    exclude |= {
                        f.name
                        for f in self.model._meta.concrete_fields
                        if f.name not in mapped
                    }
                context["exclude_new"] = exclude
            exclude = set(exclude)
        else:
            exclude = self.fk_names()
            exclude |= {
                f.name for f in self.model._meta.concrete_fields if f.name not in before
            }
        exclude |= self.skip_field_validation(obj, before)
        errors: dict[str, list[str]] = {}
        if not _quick_fields_ok(obj, exclude, context):
            # Something is wrong: Django's own clean_fields says what, in its words.
            try:
                obj.clean_fields(exclude=exclude)
            except ValidationError as exc:
                errors.update(_messages(exc))
        if not errors:
            try:
                self.clean_instance(obj, before, context)
            except ValidationError as exc:
                errors.update(_messages(exc))
        return errors

    def skip_field_validation(self, obj, before) -> set[str]:
        return set()

    def clean_instance(self, obj, before: dict | None, context: dict) -> None:
        obj.clean()

    def before_save(self, obj, now) -> None:
        for name in self.touch_fields:
            setattr(obj, name, now)

    def before_create(self, objs: list, now) -> None:
        return None

    # --- export ------------------------------------------------------------------------

    def export_queryset(self, queryset):
        if self.export_select_related:
            queryset = queryset.select_related(*self.export_select_related)
        return queryset

    def export_headers(self) -> list[str]:
        return [str(c.column_name) for c in self.columns()]

    def export_rows(self, queryset):
        """The rows of a queryset as cell values, in the queryset's order.

        Read with ``values_list`` (related records by their export field
        through a join), so 100,000 rows build no model instances.
        """
        paths, converters = [], []
        for column in self.columns():
            widget = column.widget
            if isinstance(widget, RelatedWidget):
                paths.append(f"{column.attribute}__{widget.export_field}")
                converters.append(None)
            else:
                paths.append(column.attribute)
                exporter = getattr(widget, "exporter", None)
                converters.append(exporter() if exporter else None)
        pairs = [(i, f) for i, f in enumerate(converters) if f is not None]
        values = queryset.values_list(*paths).iterator(chunk_size=2000)
        if not pairs:
            yield from values
            return
        for row in values:
            row = list(row)
            for index, convert in pairs:
                row[index] = convert(row[index])
            yield row


def _col(attribute, header, widget=None, **kwargs) -> Column:
    return Column(attribute, header, widget, **kwargs)


MOBILE_RULE = _("11 digits, e.g. 01712345678")
DEPARTMENT_RULE = _("department code (CST) or name")


class StudentResource(SpreadsheetResource):
    record_type = "students"
    title = _("Students")
    label_fields = ("full_name_english",)
    key = ("current_registration_number",)
    key_optional = True
    locked_fields = ("current_roll_number", "current_registration_number")
    unique_fields = ("current_registration_number", "current_roll_number")
    touch_fields = ("updated_at",)
    export_select_related = ("department", "session")
    template_notes = (
        _(
            "Leave Registration number and Roll number empty for new students: "
            "Campusdesk gives them the next numbers. Fill them in to bring in "
            "students who already have numbers."
        ),
        _(
            "A row with a registration number updates that student; only the "
            "columns in the file change."
        ),
    )

    current_registration_number = _col(
        "current_registration_number",
        _("Registration number"),
        aliases=("registration no", "reg no", "রেজিস্ট্রেশন নম্বর", "রেজি নং"),
        rule=_("empty for a new student; e.g. 2026-CST-00042"),
        example="",
    )
    current_roll_number = _col(
        "current_roll_number",
        _("Roll number"),
        aliases=("roll", "roll no", "রোল", "রোল নম্বর"),
        rule=_("empty for a new student; e.g. CST-26M-042"),
        example="",
    )
    full_name_english = _col(
        "full_name_english",
        _("Full name (English)"),
        aliases=("name", "name english", "student name", "নাম ইংরেজি"),
        required=True,
        example="Rahim Uddin",
    )
    full_name_bangla = _col(
        "full_name_bangla",
        _("Full name (Bangla)"),
        aliases=("name bangla", "নাম", "নাম বাংলা", "শিক্ষার্থীর নাম"),
        required=True,
        example="রহিম উদ্দিন",
    )
    father_name = _col(
        "father_name",
        _("Father's name"),
        aliases=("father", "fathers name", "পিতার নাম"),
        required=True,
        example="Karim Uddin",
    )
    father_nid = _col(
        "father_nid",
        _("Father's NID"),
        DigitsWidget(),
        aliases=("পিতার এনআইডি",),
        rule=_("10, 13 or 17 digits"),
    )
    mother_name = _col(
        "mother_name",
        _("Mother's name"),
        aliases=("mother", "mothers name", "মাতার নাম"),
        required=True,
        example="Rahima Khatun",
    )
    mother_nid = _col(
        "mother_nid",
        _("Mother's NID"),
        DigitsWidget(),
        aliases=("মাতার এনআইডি",),
        rule=_("10, 13 or 17 digits"),
    )
    date_of_birth = _col(
        "date_of_birth",
        _("Date of birth"),
        DateWidget(),
        aliases=("dob", "birth date", "জন্ম তারিখ"),
        required=True,
        rule=_("a date: 2008-01-31, 31/01/2008 or a date cell"),
        example="2008-01-31",
    )
    birth_certificate_no = _col(
        "birth_certificate_no",
        _("Birth registration number"),
        DigitsWidget(),
        aliases=("birth certificate", "birth certificate no", "জন্ম নিবন্ধন নম্বর"),
        rule=_("17 digits"),
        example="20081234567890123",
    )
    gender = _col(
        "gender",
        _("Gender"),
        ChoiceWidget(m.Gender.choices),
        aliases=("sex", "লিঙ্গ"),
        required=True,
        example="Male",
    )
    religion = _col(
        "religion",
        _("Religion"),
        ChoiceWidget(m.Religion.choices),
        aliases=("ধর্ম",),
        example="Islam",
    )
    blood_group = _col(
        "blood_group",
        _("Blood group"),
        ChoiceWidget(m.BloodGroup.choices),
        aliases=("রক্তের গ্রুপ",),
        example="B+",
    )
    mobile_student = _col(
        "mobile_student",
        _("Student's mobile"),
        MobileWidget(),
        aliases=("mobile", "student mobile", "মোবাইল", "শিক্ষার্থীর মোবাইল"),
        rule=MOBILE_RULE,
        example="01712345678",
    )
    guardian_mobile = _col(
        "guardian_mobile",
        _("Guardian's mobile"),
        MobileWidget(),
        aliases=("guardian mobile", "guardian phone", "অভিভাবকের মোবাইল"),
        required=True,
        rule=MOBILE_RULE,
        example="01812345678",
    )
    email = _col("email", _("Email"), TextWidget(lower=True), aliases=("ইমেইল",))
    emergency_contact = _col(
        "emergency_contact", _("Emergency contact"), aliases=("জরুরি যোগাযোগ",)
    )
    present_village = _col(
        "present_village",
        _("Present address: village / road"),
        aliases=("present village", "বর্তমান ঠিকানা গ্রাম"),
        example="Baliadi",
    )
    present_post_office = _col(
        "present_post_office",
        _("Present address: post office"),
        aliases=("present post office", "বর্তমান ঠিকানা ডাকঘর"),
    )
    present_upazila = _col(
        "present_upazila",
        _("Present address: upazila"),
        aliases=("present upazila", "বর্তমান ঠিকানা উপজেলা"),
        example="Kaliakair",
    )
    present_district = _col(
        "present_district",
        _("Present address: district"),
        aliases=("present district", "বর্তমান ঠিকানা জেলা"),
        example="Gazipur",
    )
    present_division = _col(
        "present_division",
        _("Present address: division"),
        ChoiceWidget(m.Division.choices),
        aliases=("present division", "বর্তমান ঠিকানা বিভাগ"),
        example="Dhaka",
    )
    permanent_village = _col(
        "permanent_village",
        _("Permanent address: village / road"),
        aliases=("permanent village", "স্থায়ী ঠিকানা গ্রাম"),
    )
    permanent_post_office = _col(
        "permanent_post_office",
        _("Permanent address: post office"),
        aliases=("permanent post office", "স্থায়ী ঠিকানা ডাকঘর"),
    )
    permanent_upazila = _col(
        "permanent_upazila",
        _("Permanent address: upazila"),
        aliases=("permanent upazila", "স্থায়ী ঠিকানা উপজেলা"),
    )
    permanent_district = _col(
        "permanent_district",
        _("Permanent address: district"),
        aliases=("permanent district", "স্থায়ী ঠিকানা জেলা"),
    )
    permanent_division = _col(
        "permanent_division",
        _("Permanent address: division"),
        ChoiceWidget(m.Division.choices),
        aliases=("permanent division", "স্থায়ী ঠিকানা বিভাগ"),
    )
    previous_exam = _col(
        "previous_exam",
        _("Previous exam"),
        ChoiceWidget(m.PreviousExam.choices),
        aliases=("exam", "পূর্ববর্তী পরীক্ষা"),
        example="SSC",
    )
    previous_exam_board = _col(
        "previous_exam_board",
        _("Board"),
        ChoiceWidget(m.EducationBoard.choices),
        aliases=("previous exam board", "বোর্ড"),
        example="Dhaka",
    )
    previous_exam_group = _col(
        "previous_exam_group",
        _("Group"),
        ChoiceWidget(m.ExamGroup.choices),
        aliases=("previous exam group", "বিভাগ পরীক্ষা"),
        example="Science",
    )
    previous_exam_roll = _col(
        "previous_exam_roll",
        _("Exam roll"),
        DigitsWidget(),
        aliases=("previous exam roll",),
    )
    previous_exam_registration = _col(
        "previous_exam_registration",
        _("Exam registration number"),
        DigitsWidget(),
        aliases=("previous exam registration",),
    )
    previous_exam_passing_year = _col(
        "previous_exam_passing_year",
        _("Passing year"),
        IntegerWidget(),
        aliases=("previous exam passing year", "পাসের সাল"),
        example=2024,
    )
    previous_exam_gpa = _col(
        "previous_exam_gpa",
        _("GPA"),
        DecimalWidget(),
        aliases=("previous exam gpa", "জিপিএ"),
        rule=_("0.00 to 5.00"),
        example="4.50",
    )
    previous_institution = _col(
        "previous_institution",
        _("Institution"),
        aliases=("previous institution", "পূর্ববর্তী প্রতিষ্ঠান"),
    )
    department = _col(
        "department",
        _("Department"),
        department_widget(),
        aliases=("dept", "department code", "টেকনোলজি", "বিভাগের নাম"),
        required=True,
        rule=DEPARTMENT_RULE,
        example="CST",
    )
    semester = _col(
        "semester",
        _("Semester"),
        _semester(),
        aliases=("সেমিস্টার", "পর্ব"),
        rule=SEMESTER_RULE,
        example=1,
    )
    shift = _col(
        "shift",
        _("Shift"),
        ChoiceWidget(
            m.Shift.choices,
            extra={"প্রভাতী": "morning", "দিবা": "day", "1st": "morning", "2nd": "day"},
        ),
        aliases=("শিফট",),
        required=True,
        rule=_("Morning or Day"),
        example="Morning",
    )
    session = _col(
        "session",
        _("Session"),
        session_widget(),
        aliases=("academic session", "সেশন", "শিক্ষাবর্ষ"),
        required=True,
        rule=_("the session's name, e.g. 2026-27"),
        example="2026-27",
    )
    status = _col(
        "status",
        _("Status"),
        ChoiceWidget(m.StudentStatus.choices),
        aliases=("অবস্থা",),
        export_only=True,
    )

    class Meta:
        model = m.Student

    def skip_field_validation(self, obj, before) -> set[str]:
        skip = set()
        if before is None:
            values = obj.__dict__
            for name in ("current_roll_number", "current_registration_number"):
                if not values.get(name):
                    skip.add(name)  # Campusdesk gives the number on import
        return skip

    def existing_queryset(self):
        return m.Student.objects.select_related("department", "session")

    def before_plan(self, context: dict) -> None:
        context["identity_rows"] = []

    def existing_by_identity(self, values: dict, context: dict):
        """A row without a registration number is the student with the same
        birth registration number, or the same name, birth date and guardian's
        mobile: so importing the same file twice adds nobody twice."""
        if not is_blank(values.get("current_registration_number")):
            return None
        index = context.get("identity_index")
        if index is None:
            index = context["identity_index"] = self._identity_index(context)
        for key in self._identity_keys(values):
            if key in index:
                return index[key]
        return None

    def _identity_keys(self, values: dict) -> list[tuple]:
        keys = []
        birth = values.get("birth_certificate_no")
        if not is_blank(birth):
            keys.append(("birth", birth))
        name, born, mobile = (
            values.get("full_name_english"),
            values.get("date_of_birth"),
            values.get("guardian_mobile"),
        )
        if not (is_blank(name) or born is None or is_blank(mobile)):
            keys.append(("person", normalize_header(name), born, mobile))
        return keys

    def _identity_index(self, context: dict) -> dict:
        rows = context.get("all_rows", [])
        births = {
            v["birth_certificate_no"]
            for v in rows
            if not is_blank(v.get("birth_certificate_no"))
        }
        mobiles = {
            v["guardian_mobile"] for v in rows if not is_blank(v.get("guardian_mobile"))
        }
        index: dict = {}
        queryset = self.existing_queryset()
        for field_name, wanted in (
            ("birth_certificate_no", births),
            ("guardian_mobile", mobiles),
        ):
            values = sorted(wanted)
            for start in range(0, len(values), 2000):
                for obj in queryset.filter(
                    **{f"{field_name}__any": values[start : start + 2000]}
                ):
                    for key in self._identity_keys(
                        {
                            "birth_certificate_no": obj.birth_certificate_no,
                            "full_name_english": obj.full_name_english,
                            "date_of_birth": obj.date_of_birth,
                            "guardian_mobile": obj.guardian_mobile,
                            "current_registration_number": "",
                        }
                    ):
                        index.setdefault(key, obj)
        return index

    def before_create(self, objs: list, now) -> None:
        from ..services import student_numbers_for_import

        student_numbers_for_import(objs)


class TeacherResource(SpreadsheetResource):
    record_type = "teachers"
    title = _("Teachers")
    label_fields = ("full_name_english",)
    key = ("email",)
    case_insensitive_key = True
    unique_fields = ("email",)
    export_select_related = ("department",)

    email = _col(
        "email",
        _("Email"),
        TextWidget(lower=True),
        aliases=("ইমেইল",),
        required=True,
        rule=_("identifies the teacher"),
        example="nasrin@example.edu.bd",
    )
    full_name_english = _col(
        "full_name_english",
        _("Full name (English)"),
        aliases=("name", "নাম ইংরেজি"),
        required=True,
        example="Nasrin Akter",
    )
    full_name_bangla = _col(
        "full_name_bangla",
        _("Full name (Bangla)"),
        aliases=("নাম", "নাম বাংলা"),
        example="নাসরিন আক্তার",
    )
    designation = _col(
        "designation",
        _("Designation"),
        aliases=("পদবি",),
        required=True,
        example="Instructor",
    )
    department = _col(
        "department",
        _("Department"),
        department_widget(),
        aliases=("বিভাগ",),
        required=True,
        rule=DEPARTMENT_RULE,
        example="CST",
    )
    mobile_number = _col(
        "mobile_number",
        _("Mobile number"),
        MobileWidget(),
        aliases=("mobile", "মোবাইল"),
        rule=MOBILE_RULE,
        example="01712345678",
    )
    joining_date = _col(
        "joining_date",
        _("Joining date"),
        DateWidget(),
        aliases=("যোগদানের তারিখ",),
        example="2020-07-01",
    )
    status = _col(
        "status",
        _("Status"),
        ChoiceWidget(m.TeacherStatus.choices),
        aliases=("অবস্থা",),
        example="Active",
    )
    qualifications = _col(
        "qualifications",
        _("Qualifications"),
        aliases=("যোগ্যতা",),
        example="BSc in CSE",
    )
    specializations = _col(
        "specializations",
        _("Specializations"),
        aliases=("বিশেষজ্ঞতা",),
    )

    class Meta:
        model = m.Teacher


class DepartmentResource(SpreadsheetResource):
    record_type = "departments"
    title = _("Departments")
    key = ("code",)
    unique_fields = ("code", "name")
    export_select_related = ("head",)

    code = _col(
        "code",
        _("Code"),
        TextWidget(),
        aliases=("department code", "কোড"),
        required=True,
        rule=_("2 to 10 capital letters, e.g. CST"),
        example="CST",
    )
    name = _col(
        "name",
        _("Name"),
        aliases=("department", "নাম"),
        required=True,
        example="Computer Science and Technology",
    )
    name_bangla = _col(
        "name_bangla",
        _("Name (Bangla)"),
        aliases=("নাম বাংলা",),
        example="কম্পিউটার সায়েন্স অ্যান্ড টেকনোলজি",
    )
    short_name = _col("short_name", _("Short name"), aliases=("সংক্ষিপ্ত নাম",))
    head = _col(
        "head",
        _("Head"),
        teacher_widget(),
        aliases=("head email", "বিভাগীয় প্রধান"),
        rule=_("the head teacher's email"),
    )

    class Meta:
        model = m.Department


class ClassRoutineResource(SpreadsheetResource):
    record_type = "routines"
    title = _("Class routine")
    key = ("session", "department", "semester", "shift", "day_of_week", "start_time")
    export_select_related = ("department", "session", "subject", "teacher")

    session = _col(
        "session",
        _("Session"),
        session_widget(),
        aliases=("সেশন",),
        required=True,
        example="2026-27",
    )
    department = _col(
        "department",
        _("Department"),
        department_widget(),
        aliases=("বিভাগ",),
        required=True,
        rule=DEPARTMENT_RULE,
        example="CST",
    )
    semester = _col(
        "semester",
        _("Semester"),
        _semester(),
        aliases=("সেমিস্টার",),
        required=True,
        rule=SEMESTER_RULE,
        example=1,
    )
    shift = _col(
        "shift",
        _("Shift"),
        ChoiceWidget(m.Shift.choices),
        aliases=("শিফট",),
        required=True,
        example="Morning",
    )
    day_of_week = _col(
        "day_of_week",
        _("Day"),
        ChoiceWidget(
            m.Weekday.choices,
            integer=True,
            extra={
                "sun": 0,
                "mon": 1,
                "tue": 2,
                "wed": 3,
                "thu": 4,
                "রবিবার": 0,
                "সোমবার": 1,
                "মঙ্গলবার": 2,
                "বুধবার": 3,
                "বৃহস্পতিবার": 4,
            },
        ),
        aliases=("weekday", "বার"),
        required=True,
        rule=_("Sunday to Thursday"),
        example="Sunday",
    )
    start_time = _col(
        "start_time",
        _("Starts at"),
        TimeWidget(),
        aliases=("start", "from", "শুরু"),
        required=True,
        rule=_("09:00 or 9:00 AM"),
        example="09:00",
    )
    end_time = _col(
        "end_time",
        _("Ends at"),
        TimeWidget(),
        aliases=("end", "to", "শেষ"),
        required=True,
        example="09:45",
    )
    subject = _col(
        "subject",
        _("Subject"),
        subject_widget(),
        aliases=("subject code", "বিষয়"),
        required=True,
        rule=_("subject code"),
        example="66611",
    )
    teacher = _col(
        "teacher",
        _("Teacher"),
        teacher_widget(),
        aliases=("teacher email", "শিক্ষক"),
        rule=_("the teacher's email"),
        example="nasrin@example.edu.bd",
    )
    room_number = _col(
        "room_number",
        _("Room"),
        aliases=("room number", "কক্ষ"),
        required=True,
        example="301",
    )
    is_active = _col(
        "is_active",
        _("Active"),
        BooleanWidget(),
        aliases=("সক্রিয়",),
        example="Yes",
    )

    class Meta:
        model = m.ClassRoutine

    def new_instance(self, values: dict, context: dict):
        if values.get("is_active") is None:
            values = {**values, "is_active": True}
        return self.blank_instance(context, values)

    def clean_instance(self, obj, before, context) -> None:
        obj.clean()
        # Clashes with rows earlier in the same file (not yet in the database).
        placed = context.setdefault("routine_slots", [])
        for other in placed:
            if (
                other.session_id == obj.session_id
                and other.day_of_week == obj.day_of_week
                and other.start_time < obj.end_time
                and obj.start_time < other.end_time
                and other.is_active
                and obj.is_active
            ):
                if other.room_number.strip().lower() == obj.room_number.strip().lower():
                    raise ValidationError(
                        {
                            "room_number": _(
                                "Room %(room)s is also booked by row %(row)s of this file."
                            )
                            % {"room": obj.room_number, "row": other._import_row}
                        }
                    )
                if obj.teacher_id and other.teacher_id == obj.teacher_id:
                    raise ValidationError(
                        {
                            "teacher": _(
                                "%(teacher)s also teaches then in row %(row)s of this file."
                            )
                            % {"teacher": obj.teacher, "row": other._import_row}
                        }
                    )
        obj._import_row = context.get("row_number", "?")
        placed.append(obj)


class AttendanceResource(SpreadsheetResource):
    record_type = "attendance"
    title = _("Attendance")
    key = ("student", "subject", "date")
    export_select_related = ("student", "subject")

    student = _col(
        "student",
        _("Registration number"),
        student_widget(),
        aliases=("student", "registration no", "reg no", "রেজিস্ট্রেশন নম্বর"),
        required=True,
        rule=_("the student's registration number"),
        example="2026-CST-00042",
    )
    subject = _col(
        "subject",
        _("Subject"),
        subject_widget(),
        aliases=("subject code", "বিষয়"),
        required=True,
        rule=_("subject code"),
        example="66611",
    )
    date = _col(
        "date",
        _("Date"),
        DateWidget(),
        aliases=("তারিখ",),
        required=True,
        rule=_("a class day of the subject, not in the future"),
        example="2026-11-22",
    )
    is_present = _col(
        "is_present",
        _("Present"),
        BooleanWidget(true_label=_("Present"), false_label=_("Absent")),
        aliases=("attendance", "status", "উপস্থিতি"),
        required=True,
        rule=_("Present or Absent (also P/A, Yes/No)"),
        example="Present",
    )
    notes = _col("notes", _("Notes"), aliases=("মন্তব্য",))

    class Meta:
        model = m.AttendanceRecord

    def before_plan(self, context: dict) -> None:
        context["attendance_slots"] = {
            (
                r.department_id,
                r.semester,
                r.shift,
                r.session_id,
                r.subject_id,
                r.day_of_week,
            )
            for r in m.ClassRoutine.objects.active().only(
                "department_id",
                "semester",
                "shift",
                "session_id",
                "subject_id",
                "day_of_week",
            )
        }

    def new_instance(self, values: dict, context: dict):
        obj = self.blank_instance(context, values)
        if obj.student_id:
            obj.semester = obj.student.semester
        obj.recorded_by = context["user"]
        return obj

    def skip_field_validation(self, obj, before) -> set[str]:
        return {"recorded_by"}

    def clean_instance(self, obj, before, context) -> None:
        student = obj.student
        m.validate_attendance_slot(
            department=student.department_id,
            semester=obj.semester or student.semester,
            shift=student.shift,
            session=student.session_id,
            subject=obj.subject,
            day=obj.date,
            slots=context["attendance_slots"],
        )

    def narrow_existing(self, rows: list[dict]) -> dict:
        dates = {v["date"] for v in rows if v.get("date")}
        return {"date__in": sorted(dates)} if dates else {}


class MarksResource(SpreadsheetResource):
    record_type = "marks"
    title = _("Marks")
    key = ("student", "subject", "semester", "exam_type")
    export_select_related = ("student", "subject")

    student = _col(
        "student",
        _("Registration number"),
        student_widget(),
        aliases=("student", "registration no", "reg no", "রেজিস্ট্রেশন নম্বর"),
        required=True,
        rule=_("the student's registration number"),
        example="2026-CST-00042",
    )
    subject = _col(
        "subject",
        _("Subject"),
        subject_widget(),
        aliases=("subject code", "বিষয়"),
        required=True,
        rule=_("subject code"),
        example="66611",
    )
    semester = _col(
        "semester",
        _("Semester"),
        _semester(),
        aliases=("সেমিস্টার",),
        required=True,
        rule=SEMESTER_RULE,
        example=1,
    )
    exam_type = _col(
        "exam_type",
        _("Exam"),
        ChoiceWidget(m.ExamType.choices),
        aliases=("exam type", "পরীক্ষা"),
        required=True,
        rule=_("Midterm, Final, Assignment or Practical"),
        example="Midterm",
    )
    marks_obtained = _col(
        "marks_obtained",
        _("Marks obtained"),
        DecimalWidget(),
        aliases=("marks", "obtained", "প্রাপ্ত নম্বর"),
        required=True,
        example="42.5",
    )
    total_marks = _col(
        "total_marks",
        _("Total marks"),
        DecimalWidget(),
        aliases=("total", "out of", "পূর্ণমান"),
        required=True,
        example=50,
    )
    remarks = _col("remarks", _("Remarks"), aliases=("মন্তব্য",))

    class Meta:
        model = m.MarksRecord

    def new_instance(self, values: dict, context: dict):
        obj = self.blank_instance(context, values)
        obj.recorded_by = context["user"]
        return obj

    def skip_field_validation(self, obj, before) -> set[str]:
        return {"recorded_by"}


RESOURCES: dict[str, type[SpreadsheetResource]] = {
    r.record_type: r
    for r in (
        StudentResource,
        TeacherResource,
        DepartmentResource,
        ClassRoutineResource,
        AttendanceResource,
        MarksResource,
    )
}


def resource_for(record_type: str) -> SpreadsheetResource:
    try:
        return RESOURCES[record_type]()
    except KeyError:
        raise LookupError(record_type) from None


def resource_for_model(model) -> SpreadsheetResource | None:
    for cls in RESOURCES.values():
        if cls._meta.model is model:
            return cls()
    return None


def grouped(values, key) -> dict:
    result = defaultdict(list)
    for value in values:
        result[key(value)].append(value)
    return result
