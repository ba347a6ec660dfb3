"""List filters of the back-office listings (django-filter, as Wagtail uses them).

Each listing gets the filters a registrar reaches for: the class group
(department, semester, shift, session), status, and date ranges where records
are dated. Students are picked by roll number rather than from a select of
thousands of names.
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.widgets import BooleanRadioSelect

from .models import (
    AcademicSession,
    Alumni,
    AttendanceRecord,
    ClassRoutine,
    Department,
    Document,
    DocumentKind,
    ExamType,
    Gender,
    MarksRecord,
    Semester,
    Shift,
    Student,
    StudentStatus,
    Subject,
    Teacher,
    TeacherStatus,
    Weekday,
)
from .selectors import at_risk_students_q
from .summaries import (
    BANDS,
    marks_band_expression,
    marks_failed_condition,
    marks_passed_condition,
)


def department_filter(field_name="department"):
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        label=_("Department"),
        queryset=Department.objects.all(),
        empty_label=_("All departments"),
    )


def session_filter(field_name="session"):
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        label=_("Session"),
        queryset=AcademicSession.objects.all(),
        empty_label=_("All sessions"),
    )


def semester_filter(field_name="semester"):
    return django_filters.ChoiceFilter(
        field_name=field_name,
        label=_("Semester"),
        choices=Semester.choices,
        empty_label=_("All semesters"),
    )


def shift_filter(field_name="shift"):
    return django_filters.ChoiceFilter(
        field_name=field_name,
        label=_("Shift"),
        choices=Shift.choices,
        empty_label=_("All"),
        widget=forms.RadioSelect,
    )


def subject_filter(field_name="subject"):
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        label=_("Subject"),
        queryset=Subject.objects.select_related("department"),
        empty_label=_("All subjects"),
    )


def teacher_filter(field_name="teacher"):
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        label=_("Teacher"),
        queryset=Teacher.objects.all(),
        empty_label=_("All teachers"),
    )


def roll_filter(field_name="student__current_roll_number"):
    return django_filters.CharFilter(
        field_name=field_name,
        lookup_expr="icontains",
        label=_("Student roll number"),
    )


def date_range_filter(field_name, label):
    return django_filters.DateFromToRangeFilter(
        field_name=field_name, label=label, widget=DateRangePickerWidget
    )


def boolean_filter(field_name, label):
    return django_filters.BooleanFilter(
        field_name=field_name, label=label, widget=BooleanRadioSelect
    )


MARKS_RESULT_CHOICES = [("pass", _("Pass")), ("fail", _("Fail"))]
# The bands of the dashboards' marks distribution: "0–9%" ... "90–100%".
MARKS_BAND_CHOICES = [
    (str(band), f"{band * 10}–{band * 10 + 9}%" if band < 9 else "90–100%")
    for band in BANDS
]


class StudentFilterSet(WagtailFilterSet):
    department = department_filter()
    semester = semester_filter()
    shift = shift_filter()
    session = session_filter()
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=StudentStatus.choices,
        empty_label=_("All"),
        widget=forms.RadioSelect,
    )
    gender = django_filters.ChoiceFilter(
        label=_("Gender"),
        choices=Gender.choices,
        empty_label=_("All"),
        widget=forms.RadioSelect,
    )
    at_risk = django_filters.BooleanFilter(
        label=_("At risk"),
        method="filter_at_risk",
        widget=BooleanRadioSelect,
    )

    class Meta:
        model = Student
        fields = []

    def filter_at_risk(self, queryset, name, value):
        """Active, and low attendance or a failed mark in the current semester."""
        if value is None:
            return queryset
        if value:
            return queryset.filter(at_risk_students_q())
        return queryset.exclude(at_risk_students_q())


class TeacherFilterSet(WagtailFilterSet):
    department = department_filter()
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=TeacherStatus.choices,
        empty_label=_("All"),
        widget=forms.RadioSelect,
    )
    joining_date = date_range_filter("joining_date", _("Joining date"))

    class Meta:
        model = Teacher
        fields = []


class AlumniFilterSet(WagtailFilterSet):
    department = department_filter("student__department")
    session = session_filter("student__session")
    graduation_year = django_filters.NumberFilter(label=_("Graduation year"))

    class Meta:
        model = Alumni
        fields = []


class DocumentFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Type"), choices=DocumentKind.choices, empty_label=_("All types")
    )
    department = department_filter("student__department")
    session = session_filter("student__session")
    roll = roll_filter()
    uploaded_at = date_range_filter("uploaded_at__date", _("Uploaded between"))

    class Meta:
        model = Document
        fields = []


class AcademicSessionFilterSet(WagtailFilterSet):
    is_current = boolean_filter("is_current", _("Current session"))

    class Meta:
        model = AcademicSession
        fields = []


class SubjectFilterSet(WagtailFilterSet):
    department = department_filter()
    semester = semester_filter()
    is_active = boolean_filter("is_active", _("Active"))

    class Meta:
        model = Subject
        fields = []


class ClassRoutineFilterSet(WagtailFilterSet):
    department = department_filter()
    semester = semester_filter()
    shift = shift_filter()
    session = session_filter()
    day_of_week = django_filters.ChoiceFilter(
        label=_("Day"), choices=Weekday.choices, empty_label=_("All days")
    )
    subject = subject_filter()
    teacher = teacher_filter()
    room_number = django_filters.CharFilter(lookup_expr="iexact", label=_("Room"))
    is_active = boolean_filter("is_active", _("Active"))

    class Meta:
        model = ClassRoutine
        fields = []


class AttendanceRecordFilterSet(WagtailFilterSet):
    date = date_range_filter("date", _("Date"))
    department = department_filter("student__department")
    semester = semester_filter()
    shift = shift_filter("student__shift")
    session = session_filter("student__session")
    subject = subject_filter()
    is_present = boolean_filter("is_present", _("Present"))
    roll = roll_filter()

    class Meta:
        model = AttendanceRecord
        fields = []


class MarksRecordFilterSet(WagtailFilterSet):
    exam_type = django_filters.ChoiceFilter(
        label=_("Exam type"),
        choices=ExamType.choices,
        empty_label=_("All"),
        widget=forms.RadioSelect,
    )
    department = department_filter("student__department")
    semester = semester_filter()
    shift = shift_filter("student__shift")
    session = session_filter("student__session")
    subject = subject_filter()
    recorded_at = date_range_filter("recorded_at__date", _("Recorded between"))
    roll = roll_filter()
    result = django_filters.ChoiceFilter(
        label=_("Result"),
        choices=MARKS_RESULT_CHOICES,
        empty_label=_("All"),
        method="filter_result",
        widget=forms.RadioSelect,
    )
    band = django_filters.ChoiceFilter(
        label=_("Percentage band"),
        choices=MARKS_BAND_CHOICES,
        empty_label=_("All bands"),
        method="filter_band",
    )

    class Meta:
        model = MarksRecord
        fields = []

    def filter_result(self, queryset, name, value):
        """Pass: percentage >= 40, the rule of the marks summaries."""
        if value == "pass":
            return queryset.filter(marks_passed_condition())
        if value == "fail":
            return queryset.filter(marks_failed_condition())
        return queryset

    def filter_band(self, queryset, name, value):
        """floor(percentage / 10), 100% in band 9: the marks summaries' bands."""
        if value in (None, ""):
            return queryset
        return queryset.alias(percentage_band=marks_band_expression()).filter(
            percentage_band=int(value)
        )
