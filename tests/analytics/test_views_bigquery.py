"""Every view on the BigQuery emulator, created by the BigQuery warehouse's setup(), equals the same
plain-Python answers as on DuckDB."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from strava.analytics import VIEW_NAMES
from strava.warehouse.bigquery import BigQueryWarehouse
from tests.analytics import checks, golden
from tests.analytics.conftest import load_golden


@pytest.fixture(scope="module")
def bq_golden(bqemulator_url: str) -> Iterator[BigQueryWarehouse]:
    # module scope (one load for all checks), so the env var is set here rather than by `bq_dataset`
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BIGQUERY_EMULATOR_HOST", bqemulator_url)
        warehouse = BigQueryWarehouse.from_spec(f"test.t_{uuid.uuid4().hex[:12]}")
        load_golden(warehouse)
        yield warehouse
        warehouse.close()


@pytest.fixture(scope="module")
def fetch(bq_golden: BigQueryWarehouse) -> checks.Fetch:
    def run(sql: str) -> list[dict[str, Any]]:
        for view in VIEW_NAMES:
            sql = sql.replace(f"FROM {view}", f"FROM `{bq_golden.project}.{bq_golden.dataset}.{view}`")
        return [dict(row) for row in bq_golden.client.query(sql).result()]
    return run


def test_activity_facts(fetch: checks.Fetch) -> None:
    checks.check_activity_facts(fetch)


def test_weekly_summary(fetch: checks.Fetch) -> None:
    checks.check_weekly(fetch, golden.utc_today())


def test_quarterly_summary(fetch: checks.Fetch) -> None:
    checks.check_quarterly(fetch, golden.utc_today())


def test_training_load(fetch: checks.Fetch) -> None:
    checks.check_training_load(fetch, golden.utc_today())


def test_views_exist_with_date_columns(bq_golden: BigQueryWarehouse) -> None:
    for view, column in [("activity_facts", "week_start"), ("weekly_summary", "week_start"),
                         ("quarterly_summary", "quarter_start"), ("training_load", "day")]:
        table = bq_golden.client.get_table(f"{bq_golden.project}.{bq_golden.dataset}.{view}")
        assert table.table_type == "VIEW"
        rows = list(bq_golden.client.query(
            f"SELECT {column} FROM `{bq_golden.project}.{bq_golden.dataset}.{view}` LIMIT 1").result())
        assert type(rows[0][0]).__name__ == "date", (view, column)
