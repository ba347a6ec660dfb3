"""A throwaway PostgreSQL server for test and benchmark runs.

``temporary_postgres()`` starts a private server from the local binaries on a
unix socket in a fresh temporary directory and removes it afterwards, also
when the run fails or is interrupted (SIGINT, SIGTERM, SIGHUP). A server left
behind by a run that was killed outright (SIGKILL) is stopped and removed by
the next start.

PostgreSQL refuses to run as root; as root the server runs as the ``postgres``
system user (``runuser -u postgres``), with directories it owns.

Command line: ``python -m tools.pgserver -- COMMAND ...`` runs COMMAND with
``DATABASE_URL`` pointing at the server and exits with its exit code.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

PREFIX = "campusdesk-pg-"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries were found on this machine."""


def find_bindir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
    )
    for candidate in reversed(candidates):
        if (Path(candidate) / "initdb").exists() and (
            Path(candidate) / "pg_ctl"
        ).exists():
            return Path(candidate)
    return None


def _run_as() -> tuple[list[str], int | None, int | None]:
    """The command prefix and the uid/gid that the server runs as."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresUnavailable(
            "Running as root, but there is no 'postgres' system user to run the "
            "server as (PostgreSQL refuses to run as root)."
        ) from exc
    return ["runuser", "-u", "postgres", "--"], pw.pw_uid, pw.pw_gid


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(bindir: Path, prefix: list[str], datadir: Path) -> None:
    if (datadir / "postmaster.pid").exists():
        subprocess.run(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(datadir),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )


def reap_stale_servers(bindir: Path, prefix: list[str]) -> None:
    """Stop and remove servers whose owning run no longer exists."""
    for owner_file in glob.glob(
        os.path.join(tempfile.gettempdir(), PREFIX + "*", "owner.pid")
    ):
        root = Path(owner_file).parent
        try:
            owner = int(Path(owner_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if _pid_alive(owner):
            continue
        _stop(bindir, prefix, root / "data")
        shutil.rmtree(root, ignore_errors=True)


def _raise_on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def temporary_postgres(dbname: str = "campusdesk") -> Iterator[str]:
    """Start a private PostgreSQL server; yield its DATABASE_URL."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            "No PostgreSQL server binaries (initdb, pg_ctl) on PATH or under "
            "/usr/lib/postgresql/*/bin. Install them with: apt-get install postgresql"
        )
    prefix, uid, gid = _run_as()
    reap_stale_servers(bindir, prefix)

    root = Path(tempfile.mkdtemp(prefix=PREFIX))
    (root / "owner.pid").write_text(str(os.getpid()))
    datadir, sockdir = root / "data", root / "sock"
    sockdir.mkdir()
    if uid is not None:
        os.chown(root, uid, gid)
        os.chown(sockdir, uid, gid)

    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    for s in previous:
        signal.signal(s, _raise_on_signal)
    try:
        subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        options = (
            f"-k {sockdir} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(datadir),
                "-o",
                options,
                "-l",
                str(root / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        subprocess.run(
            [
                *prefix,
                str(bindir / "createdb"),
                "-h",
                str(sockdir),
                "-U",
                "postgres",
                dbname,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        yield f"postgres://postgres@{quote(str(sockdir), safe='')}/{dbname}"
    except subprocess.CalledProcessError as exc:
        log = root / "server.log"
        detail = exc.stderr.decode(errors="replace") if exc.stderr else ""
        if log.exists():
            detail += log.read_text(errors="replace")[-2000:]
        raise PostgresUnavailable(
            f"Could not start PostgreSQL: {detail.strip()}"
        ) from exc
    finally:
        _stop(bindir, prefix, datadir)
        shutil.rmtree(root, ignore_errors=True)
        for s, handler in previous.items():
            signal.signal(s, handler)


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print("usage: python -m tools.pgserver -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    try:
        with temporary_postgres() as url:
            env = {**os.environ, "DATABASE_URL": url}
            return subprocess.run(argv, env=env, check=False).returncode
    except PostgresUnavailable as exc:
        print(exc, file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
