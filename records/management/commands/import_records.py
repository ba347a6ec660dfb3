"""Import a spreadsheet of records from the command line: all rows or none.

    manage.py import_records students students.xlsx --dry-run --user registrar1

The file goes through the same intake checks and the same import engine as
an upload in the back office (``records/spreadsheets``): every row is checked
first, and the import writes everything or nothing, with history and an
activity entry in the acting user's name. The acting user's permissions
decide which records the file may add or change.
"""

from __future__ import annotations

import os
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from records.spreadsheets.engine import run_import
from records.spreadsheets.intake import SpreadsheetRefused, read_table
from records.spreadsheets.resources import RESOURCES, resource_for

ERRORS_SHOWN = 50
BAR_WIDTH = 30


def record_types_text() -> str:
    return ", ".join(RESOURCES)


def resource_named(record_type: str):
    """The spreadsheet resource of a record type, or a CommandError naming them all."""
    try:
        return resource_for(record_type)
    except LookupError:
        raise CommandError(
            f"Unknown record type {record_type!r}. Use one of: {record_types_text()}."
        ) from None


def acting_user(username: str | None):
    """``--user``, else the first active superuser: the user the work is done as."""
    User = get_user_model()
    if username:
        try:
            user = User._default_manager.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"There is no user {username!r}.") from None
        if not user.is_active:
            raise CommandError(
                f"The user {username!r} is not active; pass an active user with --user."
            )
        return user
    user = (
        User._default_manager.filter(is_superuser=True, is_active=True)
        .order_by("pk")
        .first()
    )
    if user is None:
        raise CommandError(
            "There is no active superuser to act as. Pass --user USERNAME: the "
            "account whose permissions apply and whose name goes in the history."
        )
    return user


class ProgressBar:
    """``[#####     ] 10,000/20,000 checking`` on stderr, redrawn in place."""

    def __init__(self, stream, *, enabled: bool, width: int = BAR_WIDTH):
        self.stream = stream
        self.enabled = enabled
        self.width = width
        self.last = ""
        self.drawn = False

    def __call__(self, done: int, total: int, phase: str) -> None:
        if not self.enabled:
            return
        filled = (
            self.width if total <= 0 else min(self.width, self.width * done // total)
        )
        line = (
            f"[{'#' * filled}{' ' * (self.width - filled)}] {done:,}/{total:,} {phase}"
        )
        if line == self.last:
            return
        # Pad with spaces so a shorter line covers the longer one before it.
        padding = " " * max(0, len(self.last) - len(line))
        self.stream.write("\r" + line + padding)
        self.stream.flush()
        self.last = line
        self.drawn = True

    def finish(self) -> None:
        if self.enabled and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
            self.last = ""


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def error_lines(plan, limit: int = ERRORS_SHOWN) -> list[str]:
    """``row N, Column: message`` for the first ``limit`` errors, then a count."""
    lines = list(plan.file_errors)
    row_lines = [
        f"row {row.number}, {column}: {message}"
        if column
        else f"row {row.number}: {message}"
        for row in plan.rows
        for column, message in row.errors
    ]
    lines += row_lines[:limit]
    if len(row_lines) > limit:
        lines.append(f"... and {len(row_lines) - limit:,} more")
    return lines


class Command(BaseCommand):
    help = (
        "Import a CSV, XLSX or ODS file of records (students, teachers, "
        "departments, routines, attendance, marks): every row is checked first, "
        "then all are written or none."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "record_type", help=f"What the file holds: {record_types_text()}."
        )
        parser.add_argument("file", help="The .csv, .xlsx or .ods file to import.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change; write nothing.",
        )
        parser.add_argument(
            "--user",
            help=(
                "Username to import as (their permissions apply; the history "
                "names them). Default: the first active superuser."
            ),
        )

    def handle(self, *args, record_type, file, dry_run, user, **options):
        resource = resource_named(record_type)
        actor = acting_user(user)
        if not os.path.isfile(file):
            raise CommandError(f"There is no file {file!r}.")
        name = os.path.basename(file)
        try:
            table = read_table(file, filename=name)
        except SpreadsheetRefused as exc:
            raise CommandError(str(exc)) from None

        verbosity = options.get("verbosity", 1)
        # The bare stream: OutputWrapper would end every redraw with a newline.
        raw_stderr = getattr(self.stderr, "_out", sys.stderr)
        bar = ProgressBar(
            raw_stderr, enabled=verbosity > 0 and _is_terminal(raw_stderr)
        )
        try:
            plan = run_import(
                resource,
                table,
                user=actor,
                dry_run=dry_run,
                reason=f"import from command line ({name})",
                tag=f"cli:{timezone.now():%Y%m%d%H%M%S}",
                progress=bar,
            )
        finally:
            bar.finish()

        counts = plan.counts
        if plan.ignored_columns and verbosity > 0:
            self.stderr.write(
                "Columns not imported: " + ", ".join(plan.ignored_columns),
                style_func=self.style.WARNING,
            )
        if not plan.ok:
            failed = sum(1 for row in plan.rows if row.errors)
            if failed:
                summary = (
                    f"{name}: {failed:,} of {counts['total']:,} rows have errors; "
                    "nothing was written."
                )
            else:
                summary = f"{name} was not imported; nothing was written."
            raise CommandError("\n".join([summary, *error_lines(plan)]))

        message = (
            f"{counts['new']:,} new, {counts['update']:,} updated, "
            f"{counts['unchanged']:,} unchanged"
        )
        if dry_run:
            message += " (dry run: nothing written)"
        self.stdout.write(message)
