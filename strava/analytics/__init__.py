"""Analytics views over the warehouse tables (DuckDB and BigQuery) and the offline HTML report."""

from strava.analytics.duckdb_views import create_views_duckdb
from strava.analytics.views import DIALECTS, VIEW_NAMES, EffortFactors, sql_path, view_sql

__all__ = ["DIALECTS", "VIEW_NAMES", "EffortFactors", "create_views_duckdb", "sql_path", "view_sql"]
