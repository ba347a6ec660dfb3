"""Delete activity log entries older than the retention period (seed 000: a year)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from records.models import ActivityLog

DEFAULT_RETENTION = "365d"
BATCH_SIZE = 2000
UNITS = {"d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """``365d``, ``90d`` or ``12w`` as a timedelta."""
    match = re.fullmatch(r"\s*(\d+)\s*([dw])\s*", text or "", re.IGNORECASE)
    if not match or int(match.group(1)) <= 0:
        raise CommandError(
            f"--older-than wants a number of days or weeks, like 365d or 12w; "
            f"got {text!r}."
        )
    return timedelta(**{UNITS[match.group(2).lower()]: int(match.group(1))})


class Command(BaseCommand):
    help = (
        "Delete activity log entries older than --older-than (default 365d), "
        "in batches."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            default=DEFAULT_RETENTION,
            help="Age of the entries to delete: 365d, 90d, 12w (default 365d).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only print how many entries would be deleted.",
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, older_than, dry_run, batch_size, **options):
        cutoff = timezone.now() - parse_age(older_than)
        old = ActivityLog.objects.filter(timestamp__lt=cutoff)
        if dry_run:
            count = old.count()
            self.stdout.write(
                f"{count} activity log entries older than {older_than} "
                f"(before {cutoff:%Y-%m-%d %H:%M}) would be deleted."
            )
            return
        deleted = 0
        while True:
            ids = list(old.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            # A queryset delete: the model's delete() refuses single entries.
            count, _by_model = ActivityLog.objects.filter(pk__in=ids).delete()
            deleted += count
        self.stdout.write(
            f"Deleted {deleted} activity log entries older than {older_than}."
        )
