"""Warehouses loaded with the golden activities through their own write paths."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from strava import schema
from strava.schema import activity_row
from strava.warehouse.bigquery import BigQueryWarehouse
from strava.warehouse.duckdb import DuckDBWarehouse
from tests.analytics import golden
from tests.analytics.athena import athena_duck, athena_statements  # noqa: F401 - fixtures for test_views

SYNCED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def golden_rows() -> list[dict[str, Any]]:
    rows = []
    for item in golden.ACTIVITIES:
        row, problems = activity_row(item, SYNCED_AT)
        assert not problems
        rows.append(row)
    return rows


def load_golden(warehouse: Any) -> None:
    warehouse.setup()
    warehouse.upsert_activities(golden_rows(), "golden")
    for effective_from, ftp, weight in golden.SETTINGS:
        warehouse.set_athlete_settings(effective_from, ftp, weight)
    curves = [{"activity_id": i, "duration_s": d, "watts": w} for i, c in golden.CURVES.items() for d, w in c.items()]
    warehouse.replace_activity_rows(schema.ACTIVITY_POWER_CURVE, list(golden.CURVES), curves)
    ids = sorted(golden.STREAM_STRESS.keys() | golden.TRIMP.keys())
    metrics = [{"activity_id": i, "stress": golden.STREAM_STRESS.get(i), "trimp": golden.TRIMP.get(i), **golden.ZONES}
               for i in ids]
    warehouse.replace_activity_rows(schema.ACTIVITY_STREAM_METRICS, ids, metrics)


@pytest.fixture(scope="module")
def duck_golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(tmp_path_factory.mktemp("duck") / "golden.duckdb")
    load_golden(warehouse)
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="module")
def bq_golden(bqemulator_url: str) -> Iterator[BigQueryWarehouse]:
    """Views created by the BigQuery warehouse's setup(), golden rows loaded (on the emulator)."""
    # module scope (one load for all checks), so the env var is set here rather than by `bq_dataset`
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BIGQUERY_EMULATOR_HOST", bqemulator_url)
        warehouse = BigQueryWarehouse.from_spec(f"test.t_{uuid.uuid4().hex[:12]}")
        load_golden(warehouse)
        yield warehouse
        warehouse.close()
