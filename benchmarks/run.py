"""`make bench`: benchmarks against a throwaway PostgreSQL server.

Each figure is printed on its own line as ``BENCH <name> <value> <unit>``,
followed, where a baseline was measured in the same run, by
``ratio=<r> vs <baseline>``: r is the speed-up (baseline time / our time; above
1 means we are faster than the baseline). ``--only PREFIX`` runs the
benchmarks whose names start with PREFIX.

Benchmark modules are listed in ``MODULES``; each has a ``PREFIX`` and a
``run(report)`` function. Later issues add modules.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

MODULES = [
    "benchmarks.bench_foundation",
    "benchmarks.bench_records",
    "benchmarks.bench_permissions",
    "benchmarks.bench_history",
    "benchmarks.bench_spreadsheets",
    "benchmarks.bench_admission",
    "benchmarks.bench_dashboards",
    "benchmarks.bench_api",
]


class Reporter:
    def __init__(self, only: str | None):
        self.only = only

    def wants(self, name: str) -> bool:
        return not self.only or name.startswith(self.only)

    def __call__(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        baseline_name: str | None = None,
        baseline_value: float | None = None,
    ) -> None:
        if not self.wants(name):
            return
        line = f"BENCH {name} {value:.3f} {unit}"
        if baseline_name and baseline_value:
            line += f" ratio={baseline_value / value:.3f} vs {baseline_name}"
        print(line, flush=True)


def run_all(only: str | None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "website.settings.bench")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    reporter = Reporter(only)
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        prefix = module.PREFIX
        if only and not (prefix.startswith(only) or only.startswith(prefix)):
            continue
        module.run(reporter)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only", help="run only benchmarks whose names start with this"
    )
    args = parser.parse_args(argv)

    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return run_all(args.only)

    from tools.pgserver import PostgresUnavailable, temporary_postgres

    try:
        with temporary_postgres(dbname="campusdesk_bench") as url:
            os.environ["DATABASE_URL"] = url
            return run_all(args.only)
    except PostgresUnavailable as exc:
        print(exc, file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
