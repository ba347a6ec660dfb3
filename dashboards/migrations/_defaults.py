"""The dashboards Campusdesk ships, as data (used by migration 0002).

Kept here, frozen, rather than imported from the app: a later change to the
defaults is a new migration, and old migrations keep meaning what they meant.
"""

OVERVIEW = {
    "name": "Institute overview",
    "description": (
        "Students, admissions, attendance, results and the approval desk at a "
        "glance. Click any number or bar for the records it counts."
    ),
    "is_default": True,
    "items": [
        # Number cards
        {"metric": "students", "title": "Students by status", "display": "card",
         "group_by": "status"},
        {"metric": "admissions", "title": "New admissions this session",
         "display": "card", "group_by": "status", "window": "current_session"},
        {"metric": "teachers", "title": "Teachers", "display": "card"},
        {"metric": "attendance_rate", "title": "Attendance this week",
         "display": "card", "window": "this_week"},
        {"metric": "attendance_rate", "title": "Attendance this semester",
         "display": "card", "window": "current_semester"},
        {"metric": "pass_rate", "title": "Pass rate, final exams",
         "display": "card", "exam_type": "final"},
        {"metric": "awaiting", "title": "Approvals waiting for you",
         "display": "card", "group_by": "kind"},
        {"metric": "imports", "title": "Imports in the last week",
         "display": "card", "group_by": "status", "window": "last_7_days"},
        {"metric": "at_risk_students", "title": "Students at risk",
         "display": "card"},
        # Charts
        {"metric": "admissions", "title": "Admissions over time",
         "display": "line", "group_by": "week", "width": "large",
         "window": "last_365_days"},
        {"metric": "active_students", "title": "Students by department",
         "display": "bar", "group_by": "department", "width": "medium"},
        {"metric": "active_students", "title": "Students by semester",
         "display": "bar", "group_by": "semester", "width": "medium"},
        {"metric": "active_students", "title": "Students by shift",
         "display": "doughnut", "group_by": "shift"},
        {"metric": "at_risk_students", "title": "Students at risk by department",
         "display": "hbar", "group_by": "department", "width": "medium"},
        {"metric": "attendance_rate", "title": "Attendance by department",
         "display": "bar", "group_by": "department", "width": "medium"},
        {"metric": "attendance_rate", "title": "Attendance by semester",
         "display": "bar", "group_by": "semester", "width": "medium"},
        {"metric": "attendance_rate", "title": "Attendance over time",
         "display": "line", "group_by": "week", "width": "large"},
        {"metric": "attendance_rate", "title": "Attendance by subject",
         "display": "hbar", "group_by": "subject", "width": "large"},
        {"metric": "marks", "title": "Marks distribution",
         "display": "bar", "group_by": "band", "width": "medium"},
        {"metric": "pass_rate", "title": "Pass rate by exam type",
         "display": "bar", "group_by": "exam_type", "width": "medium"},
        {"metric": "pass_rate", "title": "Pass rate by subject",
         "display": "hbar", "group_by": "subject", "width": "large"},
        {"metric": "corrections", "title": "Correction requests by outcome",
         "display": "doughnut", "group_by": "status"},
    ],
}

DEFAULTS = [OVERVIEW]


def create(apps, alias: str = "default") -> None:
    """Create the shipped dashboards that are missing (safe to run again)."""
    Dashboard = apps.get_model("dashboards", "Dashboard")
    DashboardItem = apps.get_model("dashboards", "DashboardItem")
    for spec in DEFAULTS:
        if Dashboard.objects.using(alias).filter(
            name=spec["name"], owner__isnull=True
        ).exists():
            continue
        dashboard = Dashboard.objects.using(alias).create(
            name=spec["name"],
            description=spec["description"],
            is_default=spec["is_default"],
        )
        DashboardItem.objects.using(alias).bulk_create(
            DashboardItem(
                dashboard=dashboard,
                sort_order=position,
                metric=item["metric"],
                title=item.get("title", ""),
                display=item.get("display", "card"),
                group_by=item.get("group_by", ""),
                window=item.get("window", ""),
                width=item.get("width", "small"),
                exam_type=item.get("exam_type", ""),
            )
            for position, item in enumerate(spec["items"])
        )


def remove(apps, alias: str = "default") -> None:
    Dashboard = apps.get_model("dashboards", "Dashboard")
    Dashboard.objects.using(alias).filter(
        owner__isnull=True, name__in=[spec["name"] for spec in DEFAULTS]
    ).delete()
