"""Daily entry screens of the back office: take attendance, enter marks.

STUB: filled in by the entry-screens work. Each screen is a Wagtail ``ViewSet``
so the "Attendance and marks" menu group in ``viewsets.py`` can include it.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.base import ViewSet


class TakeAttendanceViewSet(ViewSet):
    name = "attendance_sheet"
    icon = "tasks"
    menu_label = _("Take attendance")
    add_to_admin_menu = False

    def get_urlpatterns(self):
        return []


class MarksEntryViewSet(ViewSet):
    name = "marks_entry"
    icon = "table"
    menu_label = _("Marks entry")
    add_to_admin_menu = False

    def get_urlpatterns(self):
        return []
