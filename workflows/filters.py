"""List filters of the request listings (django-filter, as Wagtail uses them).

The GET parameter names are a contract: dashboards build drill-down links to
them (``?status=approved&department=3&submitted_at_after=2026-07-01``), so a
filter is never renamed. Dates are the institute's local dates
(``submitted_at__date`` in the current time zone).
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

from records.filters import (
    department_filter,
    semester_filter,
    session_filter,
    shift_filter,
)

from .models import (
    AdmissionApplication,
    CorrectableField,
    CorrectionRequest,
    RequestStatus,
    TeacherSignupRequest,
)


class AfterBeforeDateRangeWidget(DateRangePickerWidget):
    """Wagtail's date range picker with django-filter's own parameter names.

    Wagtail's widget names its halves ``_from`` and ``_to``; the links
    dashboards build use django-filter's ``_after`` and ``_before``.
    """

    suffixes = ["after", "before"]


def _status_filter():
    return django_filters.ChoiceFilter(
        field_name="status",
        label=_("Status"),
        choices=RequestStatus.choices,
        empty_label=_("All statuses"),
    )


def _submitted_filter():
    return django_filters.DateFromToRangeFilter(
        field_name="submitted_at__date",
        label=_("Submitted between"),
        widget=AfterBeforeDateRangeWidget,
    )


class AdmissionApplicationFilterSet(WagtailFilterSet):
    status = _status_filter()
    department = department_filter("desired_department")
    session = session_filter()
    semester = semester_filter()
    shift = shift_filter("desired_shift")
    submitted_at = _submitted_filter()

    class Meta:
        model = AdmissionApplication
        fields = []


class TeacherSignupFilterSet(WagtailFilterSet):
    status = _status_filter()
    department = department_filter()
    submitted_at = _submitted_filter()

    class Meta:
        model = TeacherSignupRequest
        fields = []


class CorrectionRequestFilterSet(WagtailFilterSet):
    status = _status_filter()
    field_name = django_filters.ChoiceFilter(
        field_name="field_name",
        label=_("Field"),
        choices=CorrectableField.choices,
        empty_label=_("All fields"),
    )
    department = department_filter("student__department")
    session = session_filter("student__session")
    semester = semester_filter("student__semester")
    shift = shift_filter("student__shift")
    submitted_at = _submitted_filter()

    class Meta:
        model = CorrectionRequest
        fields = []
