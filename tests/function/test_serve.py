"""`make serve` (scripts/serve.sh): simulator + real functions-framework; a POST syncs; Ctrl-C stops both."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import requests

from localservices import free_port
from tests.paths import ROOT

SCRIPT = ROOT / "scripts" / "serve.sh"


def _post_when_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> requests.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"serve.sh exited with {proc.returncode}:\n{log.read_text()}"
        try:
            return requests.post(url, json={}, timeout=30)
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"serve.sh not answering after {timeout:.0f} s:\n{log.read_text()}")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_serve_syncs_on_post_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port, hook_port, log = free_port(), free_port(), tmp_path / "serve.out"
    env = {**os.environ, "PORT": str(port), "WEBHOOK_PORT": str(hook_port), "SERVE_DIR": str(tmp_path / "serve"),
           "ACTIVITIES": "50",
           "XDG_RUNTIME_DIR": str(tmp_path)}  # gunicorn puts its control socket there, not in $HOME
    with log.open("w") as out:  # its own session: the signal below reaches it and its children only
        proc = subprocess.Popen([str(SCRIPT)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        answer = _post_when_up(f"http://127.0.0.1:{port}", proc, log)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "ok" and answer.json()["inserted"] == 50
        assert f"curl -X POST localhost:{port} -H 'Content-Type: application/json' -d '{{}}'" in log.read_text()
        # The webhook function beside it, subscribed to the simulator at start.
        secrets = json.loads((tmp_path / "serve" / "secrets.json").read_text())
        check = requests.get(f"http://127.0.0.1:{hook_port}", timeout=10, params={
            "hub.mode": "subscribe", "hub.challenge": "c1", "hub.verify_token": secrets["webhook_verify_token"]})
        assert check.status_code == 200 and check.json() == {"hub.challenge": "c1"}
        assert f"curl -X POST localhost:{hook_port} -H 'Content-Type: application/json'" in log.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends to the foreground group
        code = proc.wait(timeout=60)  # a hang detector, not a speed bound: gunicorn exits in well under 1 s
    assert code == 130
    deadline = time.monotonic() + 5
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _group_alive(proc.pid), "the simulator or the function outlived serve.sh"
    with duckdb.connect(str(tmp_path / "serve" / "strava.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM activities").fetchall() == [(50,)]
    summary_line = [line for line in log.read_text().splitlines() if '"event": "sync_finished"' in line]
    assert json.loads(summary_line[0])["inserted"] == 50
