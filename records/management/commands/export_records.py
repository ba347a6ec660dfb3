"""Export every record of a type the user may see, in the import's columns.

    manage.py export_records students students.xlsx --user registrar1

The format comes from the file's extension (.csv, .xlsx or .ods). The columns
are the spreadsheet resource's, so the file can be edited and imported back
with ``import_records``. Rows are read in chunks and written as they come, so
memory stays flat however many records there are; the file appears only once
it is complete.
"""

from __future__ import annotations

import os
import tempfile

from django.core.management.base import BaseCommand, CommandError

from records.activity import activity_record
from records.models import ActivityAction
from records.permissions import EXPORT, scope_q, scope_queryset
from records.spreadsheets import writers

from .import_records import acting_user, record_types_text, resource_named

WRITERS = {
    "csv": writers.write_csv,
    "xlsx": writers.write_xlsx,
    "ods": writers.write_ods,
}


class Command(BaseCommand):
    help = (
        "Export all records of a type that the user may see to a CSV, XLSX or "
        "ODS file (by its extension), in the columns import_records reads."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "record_type", help=f"What to export: {record_types_text()}."
        )
        parser.add_argument("file", help="The file to write: .csv, .xlsx or .ods.")
        parser.add_argument(
            "--user",
            help=(
                "Username to export as (only what they may see is exported). "
                "Default: the first active superuser."
            ),
        )

    def handle(self, *args, record_type, file, user, **options):
        resource = resource_named(record_type)
        fmt = os.path.splitext(file)[1].lower().lstrip(".")
        if fmt not in WRITERS:
            raise CommandError(
                f"Cannot tell the format of {os.path.basename(file)!r}: name the "
                "file .csv, .xlsx or .ods."
            )
        directory = os.path.dirname(os.path.abspath(file))
        if not os.path.isdir(directory):
            raise CommandError(f"There is no folder {directory!r}.")
        actor = acting_user(user)
        model = resource.model
        if scope_q(actor, model._meta.model_name, EXPORT) is None:
            raise CommandError(
                f"{actor.get_username()} may not export "
                f"{model._meta.verbose_name_plural}."
            )
        queryset = scope_queryset(actor, model._default_manager.all(), EXPORT)
        if not queryset.ordered:
            queryset = queryset.order_by("pk")

        # Written next to the target, then renamed: no half-written file.
        handle, partial = tempfile.mkstemp(
            prefix=".export-", suffix=f".{fmt}", dir=directory
        )
        try:
            with os.fdopen(handle, "wb") as out:
                count = WRITERS[fmt](
                    resource.export_headers(), resource.export_rows(queryset), out
                )
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(partial, 0o666 & ~umask)  # mkstemp made it private (0600)
            os.replace(partial, file)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise

        activity_record(
            action=ActivityAction.EXPORT,
            user=actor,
            entity_type=model._meta.model_name,
            description=(
                f"exported {count} {model._meta.verbose_name_plural} as {fmt} "
                "from the command line"
            ),
            changes={"format": fmt, "filters": {}, "rows": count},
        )
        noun = (
            model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
        )
        self.stdout.write(f"{count:,} {noun} written to {file}.")
