"""Rebuild the dashboards' summary tables from the raw records, or check them."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from records import summaries

SHOWN = 5  # drifted rows printed per table


class Command(BaseCommand):
    help = (
        "Recompute the attendance, marks and student-term summary tables from the "
        "attendance and marks records. With --check, change nothing: report rows "
        "that differ and exit non-zero if any do."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only compare the tables with a recomputation (exit 1 on drift).",
        )

    def handle(self, *args, check: bool = False, **options):
        started = time.perf_counter()
        if check:
            drift = summaries.drift()
            if not drift:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Summaries match the records "
                        f"({time.perf_counter() - started:.1f}s)."
                    )
                )
                return
            for table, (missing, extra) in drift.items():
                self.stdout.write(
                    f"{table}: {len(missing)} rows missing, {len(extra)} rows wrong "
                    "or extra"
                )
                for row in sorted(missing, key=str)[:SHOWN]:
                    self.stdout.write(f"  missing {row}")
                for row in sorted(extra, key=str)[:SHOWN]:
                    self.stdout.write(f"  extra   {row}")
            raise CommandError(
                "The summaries have drifted from the records; "
                "run manage.py rebuild_summaries."
            )
        counts = summaries.rebuild_all()
        if options.get("verbosity", 1) < 1:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt in {time.perf_counter() - started:.1f}s: "
                f"{counts['attendance']} attendance groups, {counts['marks']} marks "
                f"groups, {counts['terms']} student terms."
            )
        )
