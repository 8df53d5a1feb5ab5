"""Warehouses loaded with the golden activities through their own write paths."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from strava.schema import activity_row
from strava.warehouse.duckdb import DuckDBWarehouse
from tests.analytics import golden

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


@pytest.fixture(scope="module")
def duck_golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(tmp_path_factory.mktemp("duck") / "golden.duckdb")
    load_golden(warehouse)
    yield warehouse
    warehouse.close()
