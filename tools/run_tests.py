"""`make test`: the whole suite on PostgreSQL (a throwaway server) and on SQLite.

With DATABASE_URL set, the PostgreSQL run uses that server instead. Without
PostgreSQL binaries a local run says so and runs SQLite only; under CI=true
that is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tools.pgserver import PostgresUnavailable, temporary_postgres


def banner(text: str) -> None:
    line = "=" * 78
    print(f"\n{line}\n{text}\n{line}", flush=True)


def with_workers(args: list[str]) -> list[str]:
    """Two xdist workers unless the caller chose (``-n 0`` runs serially).

    ``--dist load`` hands tests out in collection order, where pytest-django
    puts transactional tests (which empty the database when they end) last:
    a worker never runs an ordinary test after one of them.
    """
    if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args):
        return args
    workers = os.environ.get("CAMPUSDESK_TEST_WORKERS", "2")
    return ["-n", workers, "--dist", "load", *args]


def run_pytest(args: list[str], env: dict[str, str]) -> int:
    return subprocess.run(
        [sys.executable, "-m", "pytest", *with_workers(args)], env=env, check=False
    ).returncode


def main(args: list[str]) -> int:
    in_ci = os.environ.get("CI", "").lower() == "true"
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    results: dict[str, int | str] = {}

    given_url = os.environ.get("DATABASE_URL", "")
    if given_url.startswith(("postgres://", "postgresql://")):
        banner(f"PostgreSQL run (DATABASE_URL given: {given_url.split('@')[-1]})")
        results["PostgreSQL"] = run_pytest(
            args, {**base_env, "DATABASE_URL": given_url}
        )
    else:
        try:
            with temporary_postgres() as url:
                banner(
                    "PostgreSQL run (throwaway server started from the local binaries)"
                )
                results["PostgreSQL"] = run_pytest(
                    args, {**base_env, "DATABASE_URL": url}
                )
        except PostgresUnavailable as exc:
            banner("PostgreSQL run: NOT RUN")
            print(exc)
            if in_ci:
                print("Under CI=true the PostgreSQL run is required: failing.")
                results["PostgreSQL"] = "missing"
            else:
                print("Running SQLite only. Install PostgreSQL to test both databases.")
        except KeyboardInterrupt:
            return 130

    banner("SQLite run (embedded default)")
    results["SQLite"] = run_pytest(args, base_env)

    banner("Summary")
    failed = False
    for name, code in results.items():
        ok = code == 0
        failed |= not ok
        print(f"  {name:<11} {'passed' if ok else f'FAILED ({code})'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
