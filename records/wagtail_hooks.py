"""Back-office wiring for the records app (viewsets live in viewsets.py)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .entry_views import MarksEntryViewSet, TakeAttendanceViewSet
from .viewsets import (
    AcademicSessionViewSet,
    AlumniViewSet,
    AttendanceViewSet,
    ClassRoutineViewSet,
    DepartmentViewSet,
    DiscontinuedStudentsMenu,
    DocumentViewSet,
    MarksViewSet,
    RecordsViewSetGroup,
    StudentViewSet,
    SubjectViewSet,
    TeacherViewSet,
)


class PeopleGroup(RecordsViewSetGroup):
    menu_label = _("People")
    menu_icon = "group"
    menu_order = 200
    items = (
        StudentViewSet,
        DiscontinuedStudentsMenu,
        TeacherViewSet,
        AlumniViewSet,
        DocumentViewSet,
    )


class AcademicsGroup(RecordsViewSetGroup):
    menu_label = _("Academics")
    menu_icon = "site"
    menu_order = 210
    items = (
        DepartmentViewSet,
        AcademicSessionViewSet,
        SubjectViewSet,
        ClassRoutineViewSet,
    )


class AttendanceAndMarksGroup(RecordsViewSetGroup):
    menu_label = _("Attendance and marks")
    menu_icon = "tasks"
    menu_order = 220
    items = (TakeAttendanceViewSet, MarksEntryViewSet, AttendanceViewSet, MarksViewSet)


@hooks.register("register_admin_viewset")
def register_records_viewsets():
    return [PeopleGroup(), AcademicsGroup(), AttendanceAndMarksGroup()]


# --- Access: who holds which object permissions (records/access_views.py) ------------

from .access_views import AccessViewSet  # noqa: E402


@hooks.register("register_admin_viewset")
def register_access_viewset():
    return AccessViewSet()


# --- Activity log (records/activity_views.py) ----------------------------------------

from .activity_views import ActivityLogViewSet  # noqa: E402


@hooks.register("register_admin_viewset")
def register_activity_log_viewset():
    return ActivityLogViewSet()


# --- Spreadsheet imports (records/import_views.py) -----------------------------------

from .import_views import import_urlpatterns, imports_menu_item  # noqa: E402


@hooks.register("register_admin_urls")
def register_import_urls():
    return import_urlpatterns()


@hooks.register("register_admin_menu_item")
def register_imports_menu_item():
    return imports_menu_item()
