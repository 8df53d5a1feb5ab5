"""The views on DuckDB, translated from their BigQuery source with sqlglot.

sqlglot handles the spelling; the rewrites in `to_duckdb` handle where the two engines differ in meaning.
Each view's comment records the digest of what it was made from, so a run where nothing changed reads
four comments and never imports sqlglot (~0.15 s). Local only: the Cloud Function never loads this module.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from strava.analytics.views import VIEW_NAMES, EffortFactors, source

_PLACEHOLDERS = ("${project}", "${dataset}")
_TRANSLATOR = Path(__file__)


def to_duckdb(bigquery_sql: str) -> str:
    """Translate one view's BigQuery template to DuckDB SQL naming the tables plainly."""
    import sqlglot
    from sqlglot import exp

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and (node.catalog, node.db) == _PLACEHOLDERS:
            return exp.table_(node.name, alias=node.alias or None)
        if isinstance(node, exp.CurrentDate) and not node.this:
            # BigQuery's CURRENT_DATE() is today in UTC; DuckDB's is today in the session's time zone
            return exp.CurrentDate(this=exp.Literal.string("UTC"))
        if isinstance(node, exp.Date) and node.args.get("zone"):
            # DATE(timestamp, zone): sqlglot would first cast the TIMESTAMPTZ to the session's wall clock
            return exp.cast(exp.AtTimeZone(this=node.this, zone=node.args["zone"]), exp.DataType.Type.DATE)
        return node

    tree = sqlglot.parse_one(bigquery_sql, read="bigquery").transform(rewrite)
    for node in list(tree.find_all(exp.DateSub, exp.DateAdd)):
        # BigQuery's DATE_SUB/DATE_ADD return a DATE; DuckDB's date +/- interval is a TIMESTAMP
        node.replace(exp.cast(node.copy(), exp.DataType.Type.DATE))
    return tree.sql(dialect="duckdb", pretty=True)


def digest(bigquery_sql: str) -> str:
    """What a DuckDB view is made from: its BigQuery source and this translator."""
    return "sha256:" + hashlib.sha256(_TRANSLATOR.read_bytes() + b"\0" + bigquery_sql.encode()).hexdigest()


def create_views_duckdb(conn: Any, effort: EffortFactors | None = None, *, temporary: bool = False) -> None:
    """Create or replace, in dependency order, each view whose source changed on a DuckDB connection.

    `temporary` makes session-only views (always written), which also work on a file opened read-only.
    """
    made_from = {} if temporary else dict(conn.execute(
        "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND NOT temporary "
        "AND database_name = current_database() AND schema_name = current_schema()").fetchall())
    kind = "TEMP VIEW" if temporary else "VIEW"
    for name in VIEW_NAMES:
        sql = source(name, effort)
        if made_from.get(name) == (made := digest(sql)):
            continue
        conn.execute(f'CREATE OR REPLACE {kind} "{name}" AS\n{to_duckdb(sql)}')
        if not temporary:
            conn.execute(f"COMMENT ON VIEW \"{name}\" IS '{made}'")
