"""The scenarios where BigQuery behaves differently from DuckDB, on the real REST emulator (bqemulator).

BigQuery has no file lock: two runs really overlap, so the refresh-token race and concurrent MERGEs
happen for real. Its load path (NDJSON load job, then MERGE) is also where hostile values would break.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from google.api_core.exceptions import ServiceUnavailable

import strava.sync
from strava.errors import WarehouseError
from strava.sync import run_sync
from strava.warehouse.base import UpsertResult
from strava.warehouse.bigquery import BigQueryWarehouse
from tests.harness import Project
from tests.reliability.test_input_fuzz import _hostile_activities


class BigQueryProject:
    """A Project whose warehouse is a fresh emulator dataset; reads go through the BigQuery client."""

    def __init__(self, project: Project, dataset: str) -> None:
        self.p, self.spec = project, dataset
        project.env.update(STRAVA_WAREHOUSE=f"bigquery:{dataset}",
                           BIGQUERY_EMULATOR_HOST=os.environ["BIGQUERY_EMULATOR_HOST"])
        self.reader = BigQueryWarehouse.from_spec(dataset)

    def query(self, sql: str) -> list[tuple]:
        table = f"`{self.reader.project}.{self.reader.dataset}`"
        return [tuple(r.values()) for r in self.reader.client.query(sql.format(t=table)).result()]

    def stored(self) -> dict[int, dict]:
        return {i: json.loads(raw) for i, raw in self.query("SELECT id, TO_JSON_STRING(raw) FROM {t}.activities")}

    def assert_mirrors(self) -> None:
        stored, truth = self.stored(), self.p.truth()
        assert sorted(stored) == sorted(truth)
        assert stored == truth
        assert self.query("SELECT count(*) - count(DISTINCT id) FROM {t}.activities") == [(0,)]

    def runs(self) -> list[tuple]:
        return self.query("SELECT status, error_kind, token_rotated, inserted FROM {t}.sync_runs ORDER BY started_at")


@pytest.fixture
def bq(projects, bq_dataset, request) -> Iterator[BigQueryProject]:
    marker = request.node.get_closest_marker("sim")
    yield BigQueryProject(projects(**(marker.kwargs if marker else {})), bq_dataset)


@pytest.mark.sim(activities=600, rotate=True, latency=0.02)
def test_two_cli_syncs_overlapping_on_bigquery_lose_no_rotation(bq):
    """Both refresh at once with a rotating token: the loser re-reads the store and retries with the
    winner's token, or stops cleanly (refresh_token_invalid) if the winner had not saved it yet.
    The dataset is set up first so both runs overlap in the data phase (the setup race is tested below;
    duplicates from overlapping MERGEs are tested deterministically below)."""
    bq.reader.setup()
    first, second = bq.p.start(), bq.p.start()
    results = [bq.p.wait(first), bq.p.wait(second)]
    outcomes = sorted((r.summary["status"], r.kind) for r in results)
    assert outcomes in ([("failed", "refresh_token_invalid"), ("ok", None)], [("ok", None), ("ok", None)])
    assert bq.p.token() == bq.p.sim.secrets()["refresh_token"]  # whoever rotated last, it was saved
    final = bq.p.sync()  # and no one needs to re-authorize
    assert final.summary["status"] == "ok", final.stderr[-2000:]
    assert set(bq.stored()) == set(bq.p.truth())
    assert sorted(r[0] for r in bq.runs()) == sorted([o[0] for o in outcomes] + ["ok"])


class MergeTogether(BigQueryWarehouse):
    """Waits at a barrier before each upsert, so two runs' MERGEs start at the same moment."""

    barrier = threading.Barrier(2, timeout=60)

    def upsert_activities(self, rows: Sequence[dict[str, Any]], batch_key: str) -> UpsertResult:
        self.barrier.wait()
        return super().upsert_activities(rows, batch_key)


def test_two_first_runs_setting_up_the_same_dataset(bq_dataset):
    """Both see the tables and views missing and both create them: the loser must not fail the run."""
    warehouses = [BigQueryWarehouse.from_spec(bq_dataset) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(_setup_outcome, warehouses))
    assert outcomes == ["ok", "ok"]


def _setup_outcome(warehouse: BigQueryWarehouse) -> str:
    try:
        warehouse.setup()
    except WarehouseError as exc:
        return str(exc)
    return "ok"


class FailingMerge(BigQueryWarehouse):
    """From the `fail_from`-th upsert on, BigQuery answers the MERGE job with a 503 (the batch is already
    loaded into its staging table). The emulator does not enforce REQUIRED columns, so the DuckDB trick of
    a NULL `raw` would load here: the failure is raised where the client library would raise it."""

    fail_from = 3
    calls = 0

    def upsert_activities(self, rows: Sequence[dict[str, Any]], batch_key: str) -> UpsertResult:
        self.calls += 1
        return super().upsert_activities(rows, batch_key)

    def _merge(self, *args: Any) -> Any:
        if self.calls >= self.fail_from:
            raise ServiceUnavailable("injected: the MERGE job failed (backendError)")
        return super()._merge(*args)


@pytest.mark.sim(activities=1000)
def test_failed_merge_of_batch_k_on_bigquery_keeps_earlier_batches_and_heals(bq, monkeypatch):
    monkeypatch.setattr(strava.sync, "BATCH_ROWS", 200)
    summary = run_sync(bq.p.settings(**bq.p.env), warehouse=FailingMerge.from_spec(bq.spec))
    assert summary.status == "failed" and summary.error["kind"] == "warehouse"
    assert "backendError" in summary.error["message"] and "activities" in summary.error["message"]
    assert set(bq.stored()) == {a["id"] for a in bq.p.sim.activities[:400]}
    healed = bq.p.sync()
    assert healed.summary["status"] == "ok" and healed.summary["inserted"] == 600, healed.stderr[-2000:]
    bq.assert_mirrors()
    assert [r[:2] for r in bq.runs()] == [("failed", "warehouse"), ("ok", None)]


@pytest.mark.sim(activities=_hostile_activities())
def test_hostile_activities_load_into_bigquery(bq):
    result = bq.p.sync()
    assert result.summary["status"] == "ok", result.stderr[-2000:]
    assert result.summary["inserted"] == 8
    bq.assert_mirrors()
    typed = dict(bq.query("SELECT id, distance FROM {t}.activities"))
    assert typed[1003] is None and typed[1006] == 1e308
