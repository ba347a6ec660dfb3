"""The throwaway PostgreSQL server: started, used, and always removed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.pgserver import find_bindir

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    find_bindir() is None and os.environ.get("CI", "").lower() != "true",
    reason="no PostgreSQL binaries on this machine",
)

SHOW_URL = (
    "import os, sys, urllib.parse as u, pathlib; "
    "url = os.environ['DATABASE_URL']; "
    "host = u.unquote(url.split('@')[1].split('/')[0]); "
    "print(pathlib.Path(host).parent, flush=True)"
)


def harness(*command: str, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "tools.pgserver", "--", *command],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def postmaster_running(root: Path) -> bool:
    pidfile = root / "data" / "postmaster.pid"
    return pidfile.exists()


def test_server_runs_for_the_command_and_is_gone_after():
    query = (
        SHOW_URL + "; import psycopg; "
        "c = psycopg.connect(host=host, user='postgres', dbname='campusdesk'); "
        "print(c.execute('select 41 + 1').fetchone()[0])"
    )
    proc = harness(sys.executable, "-c", query)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    root, answer = out.split()
    assert answer == "42"
    assert not Path(root).exists()


def test_failing_command_keeps_its_exit_code_and_cleans_up():
    proc = harness(sys.executable, "-c", SHOW_URL + "; sys.exit(7)")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 7
    assert not Path(out.strip()).exists()


def test_interrupted_run_cleans_up():
    proc = harness(sys.executable, "-c", SHOW_URL + "; import time; time.sleep(60)")
    root = Path(proc.stdout.readline().strip())
    assert postmaster_running(root)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 30
    while root.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not root.exists()
