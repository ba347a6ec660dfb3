from django.conf import settings
from django.core.management.base import BaseCommand

from website.demo import build_demo_institute


class Command(BaseCommand):
    help = (
        "Build the demo institute (departments, session, teachers, one login per role). "
        "Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet-logins", action="store_true", help="Do not print the demo logins."
        )

    def handle(self, *args, **options):
        logins = build_demo_institute()
        if options["quiet_logins"]:
            return
        password = settings.CAMPUSDESK_DEMO_PASSWORD
        self.stdout.write(self.style.SUCCESS("Demo institute ready. Demo logins:"))
        self.stdout.write(f"  {'role':<16} {'username':<12} password")
        for login in logins:
            self.stdout.write(
                f"  {login.role.label:<16} {login.username:<12} {password}"
            )
        self.stdout.write(
            "  Staff sign in at http://127.0.0.1:8000/admin/ ; "
            "students and captains at http://127.0.0.1:8000/accounts/login/"
        )
