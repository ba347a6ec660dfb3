"""The portal of students and captains (they never reach /admin/).

"My records" shows the signed-in student's own profile, attendance, results,
weekly routine and documents. No URL of the portal names a student: every page
reads ``request.user.student_profile``, so there is nothing to guess
(Property 12). Documents are downloaded through ``records:document_download``,
which lets a student fetch only their own.

A captain takes attendance for their own class group. Which classes they reach
is the permission policy's answer (``routines_for_attendance`` /
``user_can_take_attendance``: ``services.captain_appoint`` grants
``records.take_attendance`` on the group's routines); the write is
``services.attendance_sheet_save``, the same as the back office's sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View

from records import selectors, services
from records.entry_forms import (
    ABSENT,
    PRESENT,
    SheetDateForm,
    format_mark,
    latest_class_date,
    read_attendance_sheet,
)
from records.entry_views import (
    ATTENDANCE_SAVED,
    NOTHING_SAVED,
    SHEET_STUDENTS_JOINED,
    class_group_label,
    routine_group_label,
    sitting_problems,
)
from records.errors import BusinessRuleError
from records.models import (
    ATTENDANCE_FUTURE,
    ClassRoutine,
    ExamType,
    Semester,
    Student,
    Weekday,
    day_name,
)
from records.permissions import routines_for_attendance, user_can_take_attendance
from records.roles import Role

NO_CLASSES_ON_DAY = _(
    "Your class has no classes on %(weekday)s, %(date)s. Choose a day your class "
    "meets (Sunday to Thursday)."
)
NOT_A_CAPTAIN = _(
    "Only the captain of a class takes attendance in the portal. If you are your "
    "class's captain, ask the registrar's office to appoint you."
)


def student_of(user) -> Student | None:
    """The signed-in user's own Student profile, or None."""
    try:
        return user.student_profile
    except (AttributeError, ObjectDoesNotExist):
        return None


class PortalView(LoginRequiredMixin, View):
    """A portal page of the signed-in student; a friendly page when there is none."""

    no_profile_template = "website/portal/no_profile.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.student = student_of(request.user)
        if self.student is None:
            return render(request, self.no_profile_template)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def today(self) -> date:
        return timezone.localdate()


# --- My records -----------------------------------------------------------------------


@dataclass
class RoutineDay:
    label: str
    is_today: bool
    slots: list[ClassRoutine]


def semester_view(result) -> dict:
    """A semester result as the page shows it: labels and marks as people write them."""
    return {
        "label": Semester(result.semester).label,
        "gpa": result.gpa,
        "complete": result.complete,
        "passed": result.passed,
        "subjects": [
            {
                "code": subject.code,
                "name": subject.name,
                "credit": format_mark(subject.credit),
                "exams": [
                    {
                        "label": ExamType(exam).label,
                        "obtained": format_mark(obtained),
                        "total": format_mark(total),
                    }
                    for exam, (obtained, total) in subject.exams.items()
                ],
                "obtained": format_mark(subject.obtained),
                "total": format_mark(subject.total),
                "percentage": subject.percentage,
                "grade": subject.grade,
                "grade_point": subject.grade_point,
            }
            for subject in result.subjects
        ],
    }


class MyRecordsView(PortalView):
    template_name = "website/portal/my_records.html"

    def get(self, request, *args, **kwargs):
        student = self.student
        routine = list(selectors.student_week_routine(student=student))
        today = Weekday.of(self.today)
        week = [
            RoutineDay(
                label=weekday.label,
                is_today=weekday == today,
                slots=[slot for slot in routine if slot.day_of_week == weekday],
            )
            for weekday in Weekday
        ]
        documents = [
            (document, reverse("records:document_download", args=[document.pk]))
            for document in selectors.student_documents(student=student)
        ]
        context = {
            "student": student,
            "attendance": [
                (Semester(semester.semester).label, semester)
                for semester in selectors.student_attendance_summary(student=student)
            ],
            "results": [
                semester_view(result)
                for result in selectors.student_semester_results(student=student)
            ],
            "week": week,
            "has_routine": bool(routine),
            "documents": documents,
            "is_captain": request.user.role == Role.CAPTAIN,
            "present_address": student.address_display("present"),
        }
        return render(request, self.template_name, context)


# --- Captain: take attendance ------------------------------------------------------


class CaptainView(PortalView):
    """Only a captain with a Student profile; others get a 403 that says why."""

    not_captain_template = "website/portal/not_captain.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role != Role.CAPTAIN:
            return render(
                request,
                self.not_captain_template,
                {"message": NOT_A_CAPTAIN},
                status=403,
            )
        return super().dispatch(request, *args, **kwargs)

    def own_routines(self):
        """The captain's class group's active slots that the policy lets them take."""
        return routines_for_attendance(
            self.request.user,
            selectors.student_week_routine(student=self.student).select_related(
                "department", "session"
            ),
        )


def portal_sheet_url(routine: ClassRoutine, day: date) -> str:
    url = reverse("portal:attendance_sheet", args=[routine.pk])
    return f"{url}?{urlencode({'date': day.isoformat()})}"


@dataclass
class ClassRow:
    routine: ClassRoutine
    url: str
    taken: bool


class CaptainAttendanceView(CaptainView):
    """Pick a date (today by default) and one of the class's periods on that day."""

    template_name = "website/portal/attendance_index.html"

    def get(self, request, *args, **kwargs):
        date_form = SheetDateForm(
            request.GET if "date" in request.GET else None,
            initial={"date": self.today},
            today=self.today,
        )
        day = self.today
        if date_form.is_bound:
            day = date_form.cleaned_data["date"] if date_form.is_valid() else None
        problem = ""
        rows: list[ClassRow] = []
        if day is not None:
            weekday = Weekday.of(day)
            if day > self.today:
                problem = ATTENDANCE_FUTURE % {"date": day.isoformat()}
            else:
                routines = []
                if weekday is not None:
                    routines = list(self.own_routines().filter(day_of_week=weekday))
                if not routines:
                    problem = NO_CLASSES_ON_DAY % {
                        "weekday": day_name(day),
                        "date": day.isoformat(),
                    }
                taken = selectors.attendance_sittings_taken(
                    subject_ids={r.subject_id for r in routines}, dates={day}
                )
                rows = [
                    ClassRow(
                        routine=routine,
                        url=portal_sheet_url(routine, day),
                        taken=(
                            routine.subject_id,
                            day,
                            routine.shift,
                            routine.session_id,
                        )
                        in taken,
                    )
                    for routine in routines
                ]
        context = {
            "student": self.student,
            "group_label": class_group_label_of(self.student),
            "date_form": date_form,
            "day": day,
            "today": self.today,
            "problem": problem,
            "rows": rows,
        }
        return render(request, self.template_name, context)


def class_group_label_of(student: Student) -> str:
    return class_group_label(
        department=student.department, semester=student.semester, shift=student.shift
    )


@dataclass
class SheetRow:
    student: Student
    present: bool

    @property
    def status_name(self) -> str:
        return f"status-{self.student.pk}"


class CaptainSheetView(CaptainView):
    """A simple present/absent sheet of one class period on one date."""

    template_name = "website/portal/attendance_sheet.html"

    def load_routine(self, routine_id: int) -> ClassRoutine:
        routine = get_object_or_404(
            ClassRoutine.objects.select_related(
                "department", "subject", "teacher", "session"
            ),
            pk=routine_id,
        )
        # 404, not 403: another class's routine id must not tell that it exists.
        if not user_can_take_attendance(self.request.user, routine):
            raise Http404
        return routine

    def get(self, request, routine_id: int):
        routine = self.load_routine(routine_id)
        date_form = SheetDateForm(
            request.GET if "date" in request.GET else None,
            initial={"date": latest_class_date(routine.day_of_week, today=self.today)},
            today=self.today,
        )
        day = latest_class_date(routine.day_of_week, today=self.today)
        if date_form.is_bound:
            day = date_form.cleaned_data["date"] if date_form.is_valid() else None
        problems = sitting_problems(routine, day) if day is not None else []
        rows = None
        stored_count = 0
        if day is not None and not problems:
            stored = {
                record.student_id: record.is_present
                for record in selectors.attendance_for_sitting(routine=routine, day=day)
            }
            stored_count = len(stored)
            rows = [
                SheetRow(student=student, present=stored.get(student.pk, True))
                for student in selectors.class_group_students(routine=routine)
            ]
        return self.render_sheet(
            routine=routine,
            day=day,
            date_form=date_form,
            rows=rows,
            problems=problems,
            stored_count=stored_count,
        )

    def post(self, request, routine_id: int):
        routine = self.load_routine(routine_id)
        date_form = SheetDateForm(request.POST, today=self.today)
        if not date_form.is_valid():
            return self.render_sheet(
                routine=routine,
                day=None,
                date_form=date_form,
                rows=None,
                problems=[],
                errors=[NOTHING_SAVED],
            )
        day = date_form.cleaned_data["date"]
        sheet = read_attendance_sheet(request.POST)
        students = list(selectors.class_group_students(routine=routine))
        rows = [
            SheetRow(student=student, present=sheet.present.get(student.pk, True))
            for student in students
        ]
        errors = list(sheet.errors)
        joined = [s for s in students if s.pk not in sheet.present]
        if joined and not errors:
            errors.append(
                SHEET_STUDENTS_JOINED % {"names": ", ".join(str(s) for s in joined)}
            )
        if not errors:
            # The portal's sheet has no notes: keep those a teacher wrote.
            notes = {
                record.student_id: record.notes
                for record in selectors.attendance_for_sitting(routine=routine, day=day)
            }
            try:
                result = services.attendance_sheet_save(
                    routine=routine,
                    day=day,
                    present=sheet.present,
                    notes=notes,
                    acting_user=request.user,
                )
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(
                    request,
                    ATTENDANCE_SAVED
                    % {
                        "group": routine_group_label(routine),
                        "subject": routine.subject.code,
                        "date": day.isoformat(),
                        "present": result.present,
                        "absent": result.absent,
                        "created": result.created,
                        "updated": result.updated,
                    },
                )
                return redirect(portal_sheet_url(routine, day))
        return self.render_sheet(
            routine=routine,
            day=day,
            date_form=date_form,
            rows=rows,
            problems=[],
            errors=[NOTHING_SAVED, *errors],
        )

    def render_sheet(
        self, *, routine, day, date_form, rows, problems, stored_count=0, errors=()
    ):
        previous_day = next_day = None
        if day is not None and Weekday.of(day) == routine.day_of_week:
            previous_day = day - timedelta(days=7)
            if day + timedelta(days=7) <= self.today:
                next_day = day + timedelta(days=7)
        context = {
            "routine": routine,
            "group_label": routine_group_label(routine),
            "day": day,
            "date_form": date_form,
            "rows": rows,
            "problems": problems,
            "errors": errors,
            "stored_count": stored_count,
            "present_count": sum(row.present for row in rows or []),
            "absent_count": sum(not row.present for row in rows or []),
            "action_url": reverse("portal:attendance_sheet", args=[routine.pk]),
            "index_url": reverse("portal:attendance"),
            "previous_url": portal_sheet_url(routine, previous_day)
            if previous_day
            else "",
            "next_url": portal_sheet_url(routine, next_day) if next_day else "",
            "PRESENT": PRESENT,
            "ABSENT": ABSENT,
        }
        return render(self.request, self.template_name, context)


# --- Corrections: a student asks to change one field of their record ---------------


class CorrectionForm(forms.Form):
    field_name = forms.ChoiceField(label=_("What is wrong"), choices=())
    requested_value = forms.CharField(label=_("What it should say"), max_length=255)
    reason = forms.CharField(
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say which certificate or document shows the right value."),
    )
    document = forms.FileField(
        label=_("Supporting document"),
        required=False,
        help_text=_("A scan of the certificate: PDF, JPEG or PNG."),
    )

    def __init__(self, *args, **kwargs):
        from workflows.models import CorrectableField

        super().__init__(*args, **kwargs)
        self.fields["field_name"].choices = CorrectableField.choices


class CorrectionsView(PortalView):
    """Seed 000 §7: ask for a correction; see every request and its outcome."""

    template_name = "website/portal/corrections.html"

    def get(self, request, *args, **kwargs):
        return self.show(CorrectionForm())

    def post(self, request, *args, **kwargs):
        from workflows import services as flow

        form = CorrectionForm(request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            document = data.pop("document", None)
            try:
                flow.correction_submit(
                    student=self.student,
                    acting_user=request.user,
                    documents=[document] if document else [],
                    **data,
                )
            except BusinessRuleError as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    field = "document" if field == "documents" else field
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("Your request was sent to the registrar's office."),
                )
                return redirect("portal:corrections")
        return self.show(form, status=400)

    def show(self, form, status=200):
        from workflows.models import CorrectionRequest

        requests = CorrectionRequest.objects.filter(student=self.student).order_by(
            "-submitted_at", "-pk"
        )
        return render(
            self.request,
            self.template_name,
            {"student": self.student, "form": form, "requests": requests},
            status=status,
        )


app_name = "portal"
urlpatterns = [
    path("", MyRecordsView.as_view(), name="my_records"),
    path("attendance/", CaptainAttendanceView.as_view(), name="attendance"),
    path("corrections/", CorrectionsView.as_view(), name="corrections"),
    path(
        "attendance/<int:routine_id>/",
        CaptainSheetView.as_view(),
        name="attendance_sheet",
    ),
]
