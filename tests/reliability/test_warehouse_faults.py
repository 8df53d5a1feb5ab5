"""The warehouse and the secret store failing: a batch refused, a rotated token that cannot be saved,
a DuckDB file held by another process, a sync killed with SIGKILL.

Technique for "batch k fails": run_sync in-process with a DuckDBWarehouse subclass that, from its
k-th upsert on, nulls the `raw` of the batch's last row. The real engine then refuses the whole MERGE
(NOT NULL constraint), so what is checked is DuckDB's own atomicity, not a simulated one. BATCH_ROWS
is lowered to one page (200 rows) so five batches need only 1,000 activities.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import pytest

import strava.sync
from strava.sync import run_sync
from strava.warehouse.base import UpsertResult
from strava.warehouse.duckdb import DuckDBWarehouse
from tests.harness import assert_mirrors, assert_run_row, page_requested, wait_until
from tests.pipes import read_line

PROJECT_ID = "strava-reliability"


class FailingFromBatch(DuckDBWarehouse):
    """Upserts from the `fail_from`-th call on carry a row the engine must refuse (raw NULL)."""

    def __init__(self, path: Any, fail_from: int, fail_times: int | None = None) -> None:
        super().__init__(path)
        self.fail_from, self.fail_times, self.calls = fail_from, fail_times, 0

    def upsert_activities(self, rows: Sequence[dict[str, Any]], batch_key: str) -> UpsertResult:
        self.calls += 1
        failing = self.calls >= self.fail_from and (
            self.fail_times is None or self.calls < self.fail_from + self.fail_times)
        if failing:
            rows = [*rows[:-1], {**rows[-1], "raw": None}]
        return super().upsert_activities(rows, batch_key)


def _listing_prefix(project, n: int) -> set[int]:
    """The first n ids in the order an initial listing returns them (oldest first)."""
    return {a["id"] for a in project.sim.activities[:n]}


@pytest.mark.parametrize("fail_times, kept", [(None, 400), (1, 400)])
@pytest.mark.sim(activities=1000)
def test_failure_loading_batch_k_keeps_earlier_batches_and_the_next_run_heals(
        project, monkeypatch, fail_times, kept):
    """A failure of batch 3, persistent or one-off: batches 1-2 stay, batch 3 leaves no row, the run stops
    (failed, not retried blindly). The stored rows are a prefix of the listing, so the next incremental
    run resumes without a gap."""
    monkeypatch.setattr(strava.sync, "BATCH_ROWS", 200)
    warehouse = FailingFromBatch(project.db, fail_from=3, fail_times=fail_times)
    try:
        summary = run_sync(project.settings(), warehouse=warehouse)
    finally:
        warehouse.close()
    assert summary.status == "failed" and summary.error["kind"] == "warehouse"
    assert "NOT NULL" in summary.error["message"]
    assert summary.inserted == kept
    assert set(project.stored()) == _listing_prefix(project, kept)  # no half batch, no gap
    (row,) = project.runs()
    assert (row["status"], row["error_kind"], row["inserted"]) == ("failed", "warehouse", kept)

    healed = project.sync()
    assert_run_row(project, healed, "ok")
    assert healed.summary["inserted"] == 1000 - kept
    assert_mirrors(project)


@pytest.mark.sim(activities=200, rotate=True, client_secret="SECRET-CLIENT-sm01",
                 refresh_token="SECRET-REFRESH-sm01")
def test_secret_write_failure_after_rotation_is_a_loud_config_error(project, secret_manager):
    """Production shape: Secret Manager refuses the new version (the role is missing: HTTP 403)."""
    creds = project.sim.secrets()
    for key, secret_id in (("client_id", "strava-client-id"), ("client_secret", "strava-client-secret"),
                           ("refresh_token", "strava-refresh-token")):
        secret_manager.create(PROJECT_ID, secret_id, creds[key])
    secret_manager.fail("add_version", 403)
    env = {"STRAVA_SECRETS": f"secretmanager:{PROJECT_ID}", "SECRET_MANAGER_EMULATOR_HOST": secret_manager.url}
    result = project.sync(**env)

    assert result.code == 1
    row = assert_run_row(project, result, "failed", "config")
    message = row["error_message"]
    assert "rotated the refresh token" in message and "failed 3 times" in message
    assert "secretVersionManager" in message and "python -m strava auth" in message
    assert result.finished()["severity"] == "CRITICAL"
    assert secret_manager.calls("add_version") == 3
    assert [m for m, _, _ in project.sim.request_log] == ["POST"]  # nothing listed before saving
    new_token = project.sim.secrets()["refresh_token"]
    for text in (result.stdout, result.stderr, project.dump()):
        assert new_token not in text and "SECRET-REFRESH" not in text and "SECRET-CLIENT" not in text


HOLD_LOCK = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _hold_lock(path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert read_line(holder).strip() == "locked"
    return holder


@pytest.mark.sim(activities=300)
def test_duckdb_file_locked_by_another_process_is_waited_for(project):
    """The CLI waits (bounded, 30 s) for the other process, then syncs normally."""
    assert project.sync().code == 0
    project.sim.add_activity()
    holder = _hold_lock(project.db, 2.0)
    started = time.monotonic()
    result = project.sync()
    waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert_run_row(project, result, "ok")
    assert result.summary["inserted"] == 1 and waited >= 1.0
    assert_mirrors(project)


@pytest.mark.sim(activities=30)
def test_duckdb_file_locked_past_the_wait_is_a_clear_warehouse_error(project, monkeypatch):
    """The CLI's wait is 30 s with no knob; the same DuckDBWarehouse with a 1 s wait shows the outcome."""
    holder = _hold_lock(project.db, 30)
    try:
        monkeypatch.setattr(strava.sync, "open_warehouse", lambda spec: DuckDBWarehouse(project.db, lock_timeout=1))
        summary = run_sync(project.settings())
    finally:
        holder.kill()
        holder.wait()
    assert summary.status == "failed" and summary.error["kind"] == "warehouse"
    assert "in use by another process" in summary.error["message"]
    assert "try again" in summary.error["message"]
    assert project.sim.calls == 0  # the warehouse is opened before Strava is called: no budget spent


@pytest.mark.sim(activities=2400)
def test_sigkill_after_the_first_batch_then_a_normal_run_is_consistent(project):
    """Batches are 2,000 rows (10 pages): page 11 is slow, and once it is requested batch 1 is committed."""
    project.sim.inject(kind="slow", delay=10, page=11, times=1)
    proc = project.start(STRAVA_READ_TIMEOUT="30")
    wait_until(lambda: page_requested(project.sim, 11), timeout=60, what="page 11 to be requested")
    proc.kill()
    proc.wait(timeout=10)
    assert proc.returncode == -9
    assert project.count() == 2000
    assert set(project.stored()) == {a["id"] for a in project.sim.activities[:2000]}
    assert project.runs() == []  # a killed run leaves no sync_runs row: absence of a row is the signal

    after = project.sync()
    assert_run_row(project, after, "ok")
    assert after.summary["inserted"] == 400
    assert_mirrors(project)
