"""BigQuery-only view behaviour (the golden answers on both engines are in test_views.py)."""

from __future__ import annotations

from strava.warehouse.bigquery import BigQueryWarehouse


def test_views_exist_with_date_columns(bq_golden: BigQueryWarehouse) -> None:
    for view, column in [("activity_facts", "week_start"), ("weekly_summary", "week_start"),
                         ("quarterly_summary", "quarter_start"), ("training_load", "day")]:
        table = bq_golden.client.get_table(f"{bq_golden.project}.{bq_golden.dataset}.{view}")
        assert table.table_type == "VIEW"
        rows = list(bq_golden.client.query(
            f"SELECT {column} FROM `{bq_golden.project}.{bq_golden.dataset}.{view}` LIMIT 1").result())
        assert type(rows[0][0]).__name__ == "date", (view, column)
