"""Daily entry screens of the back office: take attendance, enter marks.

Each screen is a Wagtail ``ViewSet`` so the "Attendance and marks" menu group
in ``viewsets.py`` can include it. The views only read the request and render;
the rules and the writes are ``services.attendance_sheet_save`` and
``services.marks_grid_save`` (one transaction each, all or nothing).

Who reaches which class is the permission policy's answer
(``records.permissions``): the slot list and the marks chooser offer only the
routines ``routines_for_attendance`` / ``routines_for_marks`` return, and a
sheet of any other routine answers 404, so a guessed id tells nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from . import selectors, services
from .entry_forms import (
    ABSENT,
    DEFAULT_TOTAL_MARKS,
    MARK_PREFIX,
    NOTE_PREFIX,
    PRESENT,
    REMARK_PREFIX,
    STATUS_PREFIX,
    MarksGridChooserForm,
    MarksGridForm,
    SheetDateForm,
    SlotFilterForm,
    format_mark,
    latest_class_date,
    read_attendance_sheet,
    read_marks_grid,
)
from .models import (
    AttendanceRecord,
    ClassRoutine,
    ExamType,
    MarksRecord,
    Semester,
    Shift,
    Student,
    Weekday,
    day_name,
    validate_attendance_slot,
)
from .permissions import (
    routines_for_attendance,
    routines_for_marks,
    user_can_take_attendance,
)

ATTENDANCE_PERMISSIONS = (
    "records.add_attendancerecord",
    "records.change_attendancerecord",
)
MARKS_PERMISSIONS = ("records.add_marksrecord", "records.change_marksrecord")

NOTHING_SAVED = _("Nothing was saved.")
NO_CURRENT_SESSION = _(
    "No academic session is marked as the current one, so there are no classes "
    "to take attendance for. Ask the institute head to set the current session."
)
ATTENDANCE_SAVED = _(
    "Saved attendance for %(group)s, %(subject)s, %(date)s: %(present)d present, "
    "%(absent)d absent (%(created)d new, %(updated)d changed)."
)
SHEET_STUDENTS_JOINED = _(
    "The class list changed after this sheet was opened: %(names)s joined. "
    "They are shown as present; check them and save again."
)
MARKS_SAVED = _(
    "Saved %(exam)s marks of %(subject)s for %(group)s, %(session)s: "
    "%(created)d new, %(updated)d changed, %(unchanged)d unchanged, "
    "%(blank)d blank (left as they were)."
)
MARKS_NOT_IN_CLASS = _("Student %(id)s: %(error)s")


def class_group_label(*, department, semester: int, shift: str) -> str:
    """CST 3rd semester Morning: how the institute names a class group."""
    return f"{department.code} {Semester(semester).label} {Shift(shift).label}"


def routine_group_label(routine: ClassRoutine) -> str:
    return class_group_label(
        department=routine.department,
        semester=routine.semester,
        shift=routine.shift,
    )


def sheet_url(url_name: str, routine: ClassRoutine, day: date) -> str:
    url = reverse(url_name, args=[routine.pk])
    return f"{url}?{urlencode({'date': day.isoformat()})}"


def teacher_of(user):
    try:
        return user.teacher_profile
    except (AttributeError, ObjectDoesNotExist):
        return None


def sitting_problems(routine: ClassRoutine, day: date) -> list[str]:
    """Why attendance cannot be taken for this slot on ``day`` (empty: it can).

    The service's own rules, asked before a sheet is shown (the back office and
    the captains' portal both ask).
    """
    if Weekday.of(day) != routine.day_of_week:
        return [
            str(
                services.SHEET_WRONG_DAY
                % {
                    "date": day.isoformat(),
                    "weekday": day_name(day),
                    "day": routine.get_day_of_week_display(),
                }
            )
        ]
    try:
        validate_attendance_slot(
            department=routine.department,
            semester=routine.semester,
            shift=routine.shift,
            session=routine.session,
            subject=routine.subject,
            day=day,
        )
    except ValidationError as exc:
        return list(exc.messages)
    return []


# --- Shared view plumbing --------------------------------------------------------


class EntryViewMixin(WagtailAdminTemplateMixin):
    """Model permissions checked up front; without them a 403 page in the admin look.

    Wagtail turns a raised ``PermissionDenied`` into a redirect to the dashboard,
    which hides why; these screens answer 403 and say which right is missing.
    """

    required_permissions: tuple[str, ...] = ()
    permission_denied_template = "records/entry/permission_denied.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perms(self.required_permissions):
            context = WagtailAdminTemplateMixin.get_context_data(self)
            return TemplateResponse(
                request, self.permission_denied_template, context, status=403
            )
        self.check_object_access()
        return super().dispatch(request, *args, **kwargs)

    def check_object_access(self) -> None:
        """Raise Http404 when the object of the URL is outside the user's scope."""

    @cached_property
    def today(self) -> date:
        return timezone.localdate()


# --- Take attendance ---------------------------------------------------------------


@dataclass
class SlotRow:
    routine: ClassRoutine
    day: date
    url: str
    taken: bool


@dataclass
class SlotGroup:
    title: str
    rows: list[SlotRow] = field(default_factory=list)
    is_today: bool = False


class TakeAttendanceIndexView(EntryViewMixin, View):
    """Pick a class slot of the current session: today's first, then by recency."""

    required_permissions = ATTENDANCE_PERMISSIONS
    template_name = "records/entry/attendance_index.html"
    page_title = _("Take attendance")
    header_icon = "tasks"
    sheet_url_name = "attendance_sheet:sheet"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get(self, request, *args, **kwargs):
        session = selectors.academic_session_current()
        filter_form = SlotFilterForm(request.GET or None)
        groups: list[SlotGroup] = []
        if session is not None:
            routines = list(
                routines_for_attendance(
                    request.user,
                    filter_form.filter(selectors.attendance_slots(session=session)),
                )
            )
            groups = self.group_slots(routines)
        context = self.get_context_data(
            session=session,
            filter_form=filter_form,
            groups=groups,
            no_session_message=NO_CURRENT_SESSION,
            slot_count=sum(len(g.rows) for g in groups),
        )
        return self.render_to_response(context)

    def group_slots(self, routines: list[ClassRoutine]) -> list[SlotGroup]:
        today = self.today
        dates = {w: latest_class_date(w, today=today) for w in Weekday.values}
        taken = selectors.attendance_sittings_taken(
            subject_ids={r.subject_id for r in routines}, dates=set(dates.values())
        )
        teacher = teacher_of(self.request.user)
        own = SlotGroup(title=str(_("Your classes")))
        by_day: dict[int, SlotGroup] = {}
        for routine in routines:
            day = dates[routine.day_of_week]
            row = SlotRow(
                routine=routine,
                day=day,
                url=sheet_url(self.sheet_url_name, routine, day),
                taken=(
                    routine.subject_id,
                    day,
                    routine.shift,
                    routine.session_id,
                )
                in taken,
            )
            if teacher is not None and routine.teacher_id == teacher.pk:
                own.rows.append(row)
                continue
            group = by_day.get(routine.day_of_week)
            if group is None:
                label = Weekday(routine.day_of_week).label
                if day == today:
                    title = _("%(day)s (today), %(date)s")
                else:
                    title = _("%(day)s, %(date)s")
                group = by_day[routine.day_of_week] = SlotGroup(
                    title=str(title % {"day": label, "date": day.isoformat()}),
                    is_today=day == today,
                )
            group.rows.append(row)
        own.rows.sort(key=lambda row: (-row.day.toordinal(), row.routine.start_time))
        days = sorted(by_day, key=lambda w: dates[w], reverse=True)
        return ([own] if own.rows else []) + [by_day[w] for w in days]


@dataclass
class SheetRow:
    student: Student
    present: bool
    note: str
    stored: AttendanceRecord | None = None

    @property
    def status_name(self) -> str:
        return f"{STATUS_PREFIX}{self.student.pk}"

    @property
    def note_name(self) -> str:
        return f"{NOTE_PREFIX}{self.student.pk}"


class TakeAttendanceSheetView(EntryViewMixin, View):
    """The attendance sheet of one class sitting: a routine slot on one date."""

    required_permissions = ATTENDANCE_PERMISSIONS
    template_name = "records/entry/attendance_sheet.html"
    page_title = _("Take attendance")
    header_icon = "tasks"
    index_url_name = "attendance_sheet:index"
    sheet_url_name = "attendance_sheet:sheet"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.routine = get_object_or_404(
            ClassRoutine.objects.select_related(
                "department", "subject", "teacher", "session"
            ),
            pk=kwargs["routine_id"],
        )

    def check_object_access(self) -> None:
        # 404, not 403: another teacher's slot id must not tell that it exists.
        if not user_can_take_attendance(self.request.user, self.routine):
            raise Http404

    def get_page_subtitle(self):
        return f"{routine_group_label(self.routine)} · {self.routine.subject}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": self.page_title},
            {"url": "", "label": self.get_page_subtitle()},
        ]

    def sheet_url(self, day: date) -> str:
        return sheet_url(self.sheet_url_name, self.routine, day)

    def date_problems(self, day: date) -> list[str]:
        return sitting_problems(self.routine, day)

    def get(self, request, *args, **kwargs):
        latest = latest_class_date(self.routine.day_of_week, today=self.today)
        date_form = SheetDateForm(
            request.GET if "date" in request.GET else None,
            initial={"date": latest},
            today=self.today,
        )
        day = None
        problems: list[str] = []
        if not date_form.is_bound:
            day = latest
        elif date_form.is_valid():
            day = date_form.cleaned_data["date"]
        if day is not None:
            problems = self.date_problems(day)
        rows = None
        stored_count = 0
        if day is not None and not problems:
            students = list(selectors.class_group_students(routine=self.routine))
            stored = {
                record.student_id: record
                for record in selectors.attendance_for_sitting(
                    routine=self.routine, day=day
                )
            }
            stored_count = len(stored)
            rows = [
                SheetRow(
                    student=student,
                    present=stored[student.pk].is_present
                    if student.pk in stored
                    else True,
                    note=stored[student.pk].notes if student.pk in stored else "",
                    stored=stored.get(student.pk),
                )
                for student in students
            ]
        return self.render_sheet(
            date_form=date_form,
            day=day,
            rows=rows,
            date_problems=problems,
            stored_count=stored_count,
            latest=latest,
        )

    def post(self, request, *args, **kwargs):
        latest = latest_class_date(self.routine.day_of_week, today=self.today)
        date_form = SheetDateForm(request.POST, today=self.today)
        if not date_form.is_valid():
            return self.render_sheet(
                date_form=date_form,
                day=None,
                rows=None,
                date_problems=[],
                latest=latest,
                errors=[NOTHING_SAVED],
            )
        day = date_form.cleaned_data["date"]
        sheet = read_attendance_sheet(request.POST)
        students = list(selectors.class_group_students(routine=self.routine))
        rows = [
            SheetRow(
                student=student,
                present=sheet.present.get(student.pk, True),
                note=sheet.notes.get(student.pk, ""),
            )
            for student in students
        ]
        errors = list(sheet.errors)
        joined = [s for s in students if s.pk not in sheet.present]
        if joined and not errors:
            errors.append(
                SHEET_STUDENTS_JOINED
                % {"names": ", ".join(str(student) for student in joined)}
            )
        if not errors:
            try:
                result = services.attendance_sheet_save(
                    routine=self.routine,
                    day=day,
                    present=sheet.present,
                    notes=sheet.notes,
                    acting_user=request.user,
                )
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(
                    request,
                    ATTENDANCE_SAVED
                    % {
                        "group": routine_group_label(self.routine),
                        "subject": self.routine.subject.code,
                        "date": day.isoformat(),
                        "present": result.present,
                        "absent": result.absent,
                        "created": result.created,
                        "updated": result.updated,
                    },
                )
                return redirect(self.sheet_url(day))
        return self.render_sheet(
            date_form=date_form,
            day=day,
            rows=rows,
            date_problems=[],
            latest=latest,
            errors=[NOTHING_SAVED, *errors],
        )

    def render_sheet(
        self,
        *,
        date_form,
        day,
        rows,
        date_problems,
        latest,
        stored_count=0,
        errors=(),
    ):
        previous_day = next_day = None
        if day is not None and Weekday.of(day) == self.routine.day_of_week:
            previous_day = day - timedelta(days=7)
            if day + timedelta(days=7) <= self.today:
                next_day = day + timedelta(days=7)
        context = self.get_context_data(
            routine=self.routine,
            group_label=routine_group_label(self.routine),
            date_form=date_form,
            day=day,
            today=self.today,
            latest=latest,
            latest_url=self.sheet_url(latest),
            previous_url=self.sheet_url(previous_day) if previous_day else "",
            next_url=self.sheet_url(next_day) if next_day else "",
            rows=rows,
            present_count=sum(row.present for row in rows or []),
            absent_count=sum(not row.present for row in rows or []),
            stored_count=stored_count,
            last_recorded=max(
                (row.stored for row in rows or [] if row.stored),
                key=lambda record: record.recorded_at,
                default=None,
            ),
            date_problems=date_problems,
            errors=errors,
            action_url=reverse(self.sheet_url_name, args=[self.routine.pk]),
            index_url=reverse(self.index_url_name),
            PRESENT=PRESENT,
            ABSENT=ABSENT,
        )
        return self.render_to_response(context)


class TakeAttendanceViewSet(ViewSet):
    name = "attendance_sheet"
    url_prefix = "take-attendance"
    icon = "tasks"
    menu_label = _("Take attendance")
    add_to_admin_menu = False
    required_permissions = ATTENDANCE_PERMISSIONS
    index_view_class = TakeAttendanceIndexView
    sheet_view_class = TakeAttendanceSheetView

    @cached_property
    def menu_item_class(self):
        return permission_menu_item_class(self)

    def get_urlpatterns(self):
        # The index comes first: ViewSet.menu_url links to the first pattern.
        return [
            path("", self.index_view_class.as_view(), name="index"),
            path(
                "<int:routine_id>/",
                self.sheet_view_class.as_view(),
                name="sheet",
            ),
        ]


# --- Marks entry --------------------------------------------------------------------


@dataclass
class MarksRow:
    student: Student
    value: str
    remark: str
    stored: MarksRecord | None = None
    error: str = ""

    @property
    def mark_name(self) -> str:
        return f"{MARK_PREFIX}{self.student.pk}"

    @property
    def remark_name(self) -> str:
        return f"{REMARK_PREFIX}{self.student.pk}"

    @property
    def stored_label(self) -> str:
        if self.stored is None:
            return ""
        return (
            f"{format_mark(self.stored.marks_obtained)} / "
            f"{format_mark(self.stored.total_marks)}"
        )


class MarksEntryView(EntryViewMixin, View):
    """Choose a subject's exam and class group, then type the whole grid at once."""

    required_permissions = MARKS_PERMISSIONS
    template_name = "records/entry/marks_entry.html"
    page_title = _("Marks entry")
    header_icon = "table"
    index_url_name = "marks_entry:index"
    grid_fields = ("subject", "exam_type", "shift", "session")

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def grid_url(self, choice: dict) -> str:
        query = {
            "subject": choice["subject"].pk,
            "exam_type": choice["exam_type"],
            "shift": choice["shift"],
            "session": choice["session"].pk,
        }
        return f"{reverse(self.index_url_name)}?{urlencode(query)}"

    @cached_property
    def allowed_classes(self) -> set[tuple[int, str]]:
        """(subject id, shift) of the routines the user may enter marks for."""
        return set(
            routines_for_marks(self.request.user, ClassRoutine.objects.all())
            .values_list("subject_id", "shift")
            .distinct()
        )

    def get(self, request, *args, **kwargs):
        current = selectors.academic_session_current()
        chooser = MarksGridChooserForm(
            request.GET if "subject" in request.GET else None,
            initial={
                "session": current,
                "exam_type": ExamType.FINAL,
                "shift": Shift.MORNING,
            },
            allowed_classes=self.allowed_classes,
        )
        if not chooser.is_bound or not chooser.is_valid():
            return self.render_grid(chooser=chooser)
        choice = chooser.cleaned_data
        students = self.students(choice)
        stored = {
            record.student_id: record
            for record in selectors.marks_for_grid(
                subject=choice["subject"],
                exam_type=choice["exam_type"],
                student_ids=[s.pk for s in students],
            )
        }
        totals = Counter(record.total_marks for record in stored.values())
        total = (
            totals.most_common(1)[0][0]
            if totals
            else DEFAULT_TOTAL_MARKS[choice["exam_type"]]
        )
        grid_form = MarksGridForm(initial={**choice, "total_marks": format_mark(total)})
        rows = [
            MarksRow(
                student=student,
                value=format_mark(stored[student.pk].marks_obtained)
                if student.pk in stored
                else "",
                remark=stored[student.pk].remarks if student.pk in stored else "",
                stored=stored.get(student.pk),
            )
            for student in students
        ]
        return self.render_grid(
            chooser=chooser,
            choice=choice,
            grid_form=grid_form,
            rows=rows,
            stored_count=len(stored),
        )

    def post(self, request, *args, **kwargs):
        grid_form = MarksGridForm(request.POST, allowed_classes=self.allowed_classes)
        grid_form.is_valid()
        if any(name in grid_form.errors for name in self.grid_fields):
            # The hidden choice was tampered with, a subject was retired meanwhile,
            # or the class is not the user's (the policy): nothing is written.
            chooser = MarksGridChooserForm(
                request.POST, allowed_classes=self.allowed_classes
            )
            chooser.is_valid()
            return self.render_grid(chooser=chooser, errors=[NOTHING_SAVED])
        choice = {name: grid_form.cleaned_data[name] for name in self.grid_fields}
        chooser = MarksGridChooserForm(
            initial=choice, allowed_classes=self.allowed_classes
        )
        grid = read_marks_grid(request.POST)
        students = self.students(choice)
        stored = {
            record.student_id: record
            for record in selectors.marks_for_grid(
                subject=choice["subject"],
                exam_type=choice["exam_type"],
                student_ids=[s.pk for s in students],
            )
        }
        rows = [
            MarksRow(
                student=student,
                value=grid.entries.get(student.pk, ""),
                remark=grid.remarks.get(student.pk, ""),
                stored=stored.get(student.pk),
            )
            for student in students
        ]
        errors = list(grid.errors)
        nothing_saved = [NOTHING_SAVED]
        if grid_form.is_valid() and not errors:
            try:
                result = services.marks_grid_save(
                    subject=choice["subject"],
                    exam_type=choice["exam_type"],
                    shift=choice["shift"],
                    session=choice["session"],
                    total_marks=grid_form.cleaned_data["total_marks"],
                    entries=grid.entries,
                    remarks=grid.remarks,
                    acting_user=request.user,
                )
            except services.MarksGridError as exc:
                nothing_saved = []  # its own message says so, with the count
                errors.extend(exc.messages)
                by_id = {row.student.pk: row for row in rows}
                for student_id, message in sorted(exc.cell_errors.items()):
                    if student_id in by_id:
                        by_id[student_id].error = message
                    else:
                        errors.append(
                            MARKS_NOT_IN_CLASS % {"id": student_id, "error": message}
                        )
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(
                    request,
                    MARKS_SAVED
                    % {
                        "exam": ExamType(choice["exam_type"]).label,
                        "subject": choice["subject"],
                        "group": class_group_label(
                            department=choice["subject"].department,
                            semester=choice["subject"].semester,
                            shift=choice["shift"],
                        ),
                        "session": choice["session"],
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                        "blank": result.blank,
                    },
                )
                return redirect(self.grid_url(choice))
        return self.render_grid(
            chooser=chooser,
            choice=choice,
            grid_form=grid_form,
            rows=rows,
            stored_count=len(stored),
            errors=[*nothing_saved, *errors],
        )

    def students(self, choice: dict) -> list[Student]:
        subject = choice["subject"]
        return list(
            selectors.class_group_students_for(
                department=subject.department_id,
                semester=subject.semester,
                shift=choice["shift"],
                session=choice["session"],
            )
        )

    def render_grid(
        self,
        *,
        chooser,
        choice=None,
        grid_form=None,
        rows=None,
        stored_count=0,
        errors=(),
    ):
        group_label = ""
        if choice is not None:
            group_label = class_group_label(
                department=choice["subject"].department,
                semester=choice["subject"].semester,
                shift=choice["shift"],
            )
        context = self.get_context_data(
            chooser=chooser,
            choice=choice,
            group_label=group_label,
            grid_form=grid_form,
            rows=rows,
            stored_count=stored_count,
            error_count=sum(bool(row.error) for row in rows or []),
            errors=errors,
            action_url=reverse(self.index_url_name),
            exam_label=ExamType(choice["exam_type"]).label if choice else "",
        )
        return self.render_to_response(context)


class MarksEntryViewSet(ViewSet):
    name = "marks_entry"
    url_prefix = "marks-entry"
    icon = "table"
    menu_label = _("Marks entry")
    add_to_admin_menu = False
    required_permissions = MARKS_PERMISSIONS
    index_view_class = MarksEntryView

    @cached_property
    def menu_item_class(self):
        return permission_menu_item_class(self)

    def get_urlpatterns(self):
        return [path("", self.index_view_class.as_view(), name="index")]


def permission_menu_item_class(viewset):
    """A menu item shown only to users who may use the screen."""
    required = tuple(viewset.required_permissions)

    class EntryMenuItem(MenuItem):
        def is_shown(self, request):
            return request.user.has_perms(required)

    EntryMenuItem.__name__ = f"{type(viewset).__name__}MenuItem"
    return EntryMenuItem
