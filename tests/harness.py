"""The fault matrix's harness: the real CLI (or run_sync in-process) against the simulator and a DuckDB file.

A `Project` is one athlete's local setup. Every scenario ends by comparing the warehouse with the
simulator's truth and by reading the run's `sync_runs` row, so each test checks the product's
promises (data equals Strava, the run says what happened) rather than internals.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from strava.settings import Settings
from strava.simulator import StravaSimulator
from tests.paths import ROOT

# Short timeouts keep failing scenarios fast; each test may tighten them further. A refused refresh token
# is declared dead at once (no concurrent run to wait for), unless a test sets the rotation watch itself.
FAST_ENV = {"STRAVA_RETRY_SECONDS": "1", "STRAVA_READ_TIMEOUT": "2", "STRAVA_CONNECT_TIMEOUT": "2",
            "STRAVA_ROTATION_WAIT_SECONDS": "0", "STRAVA_STREAMS": "off"}  # streams: tests/sync/test_streams.py
_TODAY_NOON = (int(time.time()) // 86400) * 86400 + 12 * 3600  # today 12:00 UTC, the start of a quarter hour


def pinned_clock() -> float:
    """A simulator clock that stands still at today 12:01 UTC (`sim.advance_clock` moves it): a test that
    counts rate-limit usage never sees a 15-minute or daily window roll over under it."""
    return _TODAY_NOON + 60


@dataclass
class CliRun:
    code: int
    summary: dict
    stdout: str
    stderr: str

    @property
    def kind(self) -> str | None:
        return (self.summary.get("error") or {}).get("kind")

    def logs(self) -> list[dict]:
        """The JSON log lines the CLI wrote to stderr (it is not a terminal here)."""
        return [json.loads(line) for line in self.stderr.splitlines() if line.startswith("{")]

    def finished(self) -> dict:
        return next(line for line in self.logs() if line.get("event") == "sync_finished")


class RecordingSimulator(StravaSimulator):
    """The simulator, remembering every token it issued (for the 'no secret anywhere' checks)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.issued: set[str] = set()
        self.access_tokens: list[str] = []  # in the order handed out (the same one may come back)

    def _token_answer(self, reuse: bool) -> dict:
        answer = super()._token_answer(reuse)
        self.issued |= {answer["access_token"], answer["refresh_token"]}
        self.access_tokens.append(answer["access_token"])
        return answer


@dataclass
class Project:
    sim: RecordingSimulator
    secrets: Path
    db: Path
    env: dict[str, str]
    outputs: list[str] = field(default_factory=list)  # every stdout/stderr captured (secret checks)

    # --- running syncs ---------------------------------------------------------------------

    def sync(self, *args: str, **env: str) -> CliRun:
        proc = subprocess.run(self.command(*args), cwd=ROOT, capture_output=True, text=True,
                              env={**self.env, **env}, timeout=120)
        return self._result(proc.returncode, proc.stdout, proc.stderr)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "strava", "sync", *args]

    def start(self, *args: str, **env: str) -> subprocess.Popen:
        """A CLI sync in the background (concurrency and kill scenarios); finish it with `wait`."""
        return subprocess.Popen(self.command(*args), cwd=ROOT, env={**self.env, **env}, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def wait(self, proc: subprocess.Popen, timeout: float = 60) -> CliRun:
        stdout, stderr = proc.communicate(timeout=timeout)
        return self._result(proc.returncode, stdout, stderr)

    def _result(self, code: int, stdout: str, stderr: str) -> CliRun:
        self.outputs += [stdout, stderr]
        last = stdout.strip().splitlines()[-1] if stdout.strip() else "{}"
        return CliRun(code, json.loads(last), stdout, stderr)

    def settings(self, **env: str) -> Settings:
        return Settings.from_env({**self.env, **env})

    # --- reading the warehouse and the truth ---------------------------------------------------

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    def stored(self) -> dict[int, dict]:
        return {i: json.loads(raw) for i, raw in self.rows("SELECT id, raw::VARCHAR FROM activities")}

    def truth(self) -> dict[int, dict]:
        return {a["id"]: a for a in self.sim.activities}

    def count(self) -> int:
        return self.rows("SELECT count(*) FROM activities")[0][0]

    def runs(self) -> list[dict]:
        """sync_runs, oldest first, as dicts."""
        with duckdb.connect(str(self.db), read_only=True) as conn:
            cur = conn.execute("SELECT * FROM sync_runs ORDER BY started_at")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def token(self) -> str:
        return json.loads(self.secrets.read_text())["refresh_token"]

    def dump(self) -> str:
        """Every table and view of the warehouse as text (for 'no secret stored' checks)."""
        out = []
        with duckdb.connect(str(self.db), read_only=True) as conn:
            for (name,) in conn.execute("SELECT table_name FROM information_schema.tables").fetchall():
                rows = conn.execute(f'SELECT * FROM "{name}"').fetchall()
                out.append(f"{name}: {rows!r}")
        return "\n".join(out)


def assert_mirrors(project: Project) -> None:
    """The warehouse equals Strava: same ids, same JSON per id, no duplicate rows."""
    stored, truth = project.stored(), project.truth()
    assert sorted(stored) == sorted(truth), f"missing {len(truth.keys() - stored.keys())}, " \
                                            f"extra {len(stored.keys() - truth.keys())}"
    assert stored == truth
    assert project.rows("SELECT count(*) - count(DISTINCT id) FROM activities") == [(0,)]


def assert_run_row(project: Project, result: CliRun, status: str, kind: str | None = None) -> dict:
    """The run's own sync_runs row agrees with its printed summary."""
    assert "run_id" in result.summary, f"exit {result.code}, no summary printed:\n{result.stderr[-3000:]}"
    rows = [r for r in project.runs() if r["run_id"] == result.summary["run_id"]]
    assert len(rows) == 1, f"no sync_runs row for {result.summary.get('run_id')}"
    row = rows[0]
    assert (row["status"], row["error_kind"]) == (status, kind)
    assert (result.summary["status"], result.kind) == (status, kind), result.stderr[-3000:]
    for name in ("fetched", "inserted", "updated", "deleted", "skipped", "api_calls"):
        assert row[name] == result.summary[name], name
    assert row["finished_at"] >= row["started_at"]
    return row


def wait_until(condition: Callable[[], bool], timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def page_requested(sim: StravaSimulator, page: int) -> bool:
    return any(path.endswith("/athlete/activities") and query.get("page") == str(page)
               for _, path, query in list(sim.request_log))


def make_project(folder: Path, **sim_kwargs: Any) -> Project:
    sim = RecordingSimulator(**sim_kwargs).start()
    secrets = folder / "secrets.json"
    secrets.write_text(json.dumps(sim.secrets()))
    os.chmod(secrets, 0o600)
    db = folder / "strava.duckdb"
    env = {**os.environ, "STRAVA_API_URL": sim.api_url, "STRAVA_OAUTH_URL": sim.oauth_url,
           "STRAVA_SECRETS": f"file:{secrets}", "STRAVA_WAREHOUSE": f"duckdb:{db}", **FAST_ENV}
    env.pop("BIGQUERY_EMULATOR_HOST", None)
    return Project(sim, secrets, db, env)


