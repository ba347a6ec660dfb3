from django.conf import settings
from django.core.management.base import BaseCommand

from website.demo import (
    ATTENDANCE_WEEKS,
    DEFAULT_STUDENTS_PER_GROUP,
    build_demo_institute,
    demo_summary,
)


class Command(BaseCommand):
    help = (
        "Build the demo institute: departments, the current session, teachers, "
        "subjects, a clash-free routine, about 2,000 students with attendance, "
        "marks, alumni and drop-outs, and one login per role. "
        "Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet-logins", action="store_true", help="Do not print the demo logins."
        )
        parser.add_argument(
            "--students-per-group",
            type=int,
            default=DEFAULT_STUDENTS_PER_GROUP,
            help=(
                "Students in each of the 96 class groups "
                f"(default {DEFAULT_STUDENTS_PER_GROUP}); only used the first time."
            ),
        )

        parser.add_argument(
            "--attendance-weeks",
            type=int,
            default=ATTENDANCE_WEEKS,
            help=(
                "Weeks of attendance up to today "
                f"(default {ATTENDANCE_WEEKS}); only used the first time."
            ),
        )

    def handle(self, *args, **options):
        logins = build_demo_institute(
            students_per_group=max(1, options["students_per_group"]),
            attendance_weeks=max(0, options["attendance_weeks"]),
            log=self.stderr.write if options["verbosity"] >= 2 else None,
        )
        if options["quiet_logins"]:
            return
        password = settings.CAMPUSDESK_DEMO_PASSWORD
        self.stdout.write(self.style.SUCCESS("Demo institute ready. Demo logins:"))
        self.stdout.write(f"  {'role':<16} {'username':<14} password")
        for login in logins:
            self.stdout.write(
                f"  {login.role.label:<16} {login.username:<14} {password}"
            )
        self.stdout.write(
            "  Staff sign in at http://127.0.0.1:8000/admin/ ; "
            "students and captains at http://127.0.0.1:8000/accounts/login/"
        )
        self.stdout.write("In the demo institute:")
        for line in demo_summary().lines():
            self.stdout.write(f"  {line}")
