"""The views on Athena, over the S3 lake's Glue tables, translated from their BigQuery source with sqlglot.

The same single source as DuckDB's copy (strava/analytics/duckdb_views.py); sqlglot's `athena` dialect
handles the spelling, the rewrites in `to_athena` what Athena (Trino) lacks or means differently:
- the lake keeps timestamps as strings ('YYYY-MM-DD HH:MM:SS[.ffffff]', UTC; Glue type `string`): each
  table is read through a subquery that casts them to TIMESTAMP, so the views see the other engines' types;
- DATE(ts, 'UTC') of those UTC timestamps is their date; FORMAT_DATE('%u', d), the ISO weekday, is
  DAY_OF_WEEK(d) (Trino's '%u' is a week number); DATE(y, m, d) is date arithmetic from 1970-01-01;
  INTERVAL 1 QUARTER is INTERVAL '3' MONTH (a WEEK 7 DAY); named windows (WINDOW w AS ...) are written out in each OVER;
- date +/- interval is cast to DATE (it is one in Trino already; DuckDB, which runs these views in the
  tests, would make it a TIMESTAMP).
Athena cannot run here: tests/analytics/test_views_athena.py parses these statements in the Athena dialect
and runs their DuckDB transpilation over the lake's own JSON files. Never on the Lambda's path.
"""

from __future__ import annotations

import re
from typing import Any

from strava import schema
from strava.analytics.views import VIEW_NAMES, EffortFactors, source

_PLACEHOLDERS = ("${project}", "${dataset}")
_UNITS = {"QUARTER": (3, "MONTH"), "WEEK": (7, "DAY")}  # interval units Trino lacks
_DATABASE = re.compile(r"^[a-z0-9_]{1,255}$")  # a Glue database name (Athena folds names to lower case)


def to_athena(bigquery_sql: str, database: str) -> str:
    """Translate one view's BigQuery template to Athena SQL over `database`'s tables and views."""
    import sqlglot
    from sqlglot import exp

    tables = {t.name: t for t in schema.TABLES}

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and (node.catalog, node.db) == _PLACEHOLDERS:
            return _read(tables.get(node.name), node.name, database, node.alias or node.name)
        if isinstance(node, exp.Date) and node.args.get("zone"):
            return exp.cast(node.this, exp.DataType.Type.DATE)
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.TimeToStr) and node.this.text("format") == "%u":
            day = node.this.this
            return exp.DayOfWeekIso(this=day.this if isinstance(day, exp.TsOrDsToDate) else day)
        if isinstance(node, exp.DateFromParts):
            return _date_from_parts(node)
        if isinstance(node, exp.Interval) and node.text("unit").upper() in _UNITS:
            times, unit = _UNITS[node.text("unit").upper()]
            return exp.Interval(this=exp.Literal.string(str(times * int(node.name))), unit=exp.var(unit))
        return node

    tree = sqlglot.parse_one(bigquery_sql, read="bigquery").transform(rewrite)
    for node in list(tree.find_all(exp.DateSub, exp.DateAdd)):
        node.replace(exp.cast(node.copy(), exp.DataType.Type.DATE))
    for select in tree.find_all(exp.Select):
        _inline_windows(select)
    return tree.sql(dialect="athena", pretty=True, comments=False)


def _read(table: schema.Table | None, name: str, database: str, alias: str) -> Any:
    """A view by name; a lake table through a subquery casting its timestamp strings."""
    from sqlglot import exp

    ref = exp.table_(name, db=database, quoted=True)
    if table is None:
        return ref.as_(alias)
    columns = [exp.cast(exp.column(c.name, quoted=True), exp.DataType.Type.TIMESTAMP).as_(c.name, quoted=True)
               if c.type in (schema.TIMESTAMP, schema.DATETIME) else exp.column(c.name, quoted=True)
               for c in table.columns]
    return exp.select(*columns).from_(ref).subquery(alias)


def _date_from_parts(node: Any) -> Any:
    """DATE(y, m, d) as 1970-01-01 + (y - 1970) years + (m - 1) months + (d - 1) days."""
    from sqlglot import exp

    date: exp.Expression = exp.cast(exp.Literal.string("1970-01-01"), exp.DataType.Type.DATE)
    for part, origin, unit in (("year", 1970, "YEAR"), ("month", 1, "MONTH"), ("day", 1, "DAY")):
        value = node.args[part]
        if not (isinstance(value, exp.Literal) and value.name == str(origin)):
            offset = exp.Sub(this=exp.paren(value.copy()), expression=exp.Literal.number(origin))
            date = exp.DateAdd(this=date, expression=offset, unit=exp.var(unit))
    return date


def _inline_windows(select: Any) -> None:
    """Write each named window (WINDOW w AS (...)) out in the OVER clauses that use it."""
    from sqlglot import exp

    named = {w.name: w for w in select.args.get("windows") or []}
    if not named:
        return
    for window in select.find_all(exp.Window):
        spec = named.get(window.alias)
        if spec is not None and window.parent_select is select:
            window.replace(exp.Window(this=window.this.copy(), over="OVER",
                                      **{k: spec.args[k].copy() for k in ("partition_by", "order", "spec")
                                         if spec.args.get(k)}))
    select.set("windows", None)


def athena_views(database: str, effort: EffortFactors | None = None) -> list[tuple[str, str]]:
    """(name, `CREATE OR REPLACE VIEW` statement) of every view, in dependency order, over `database`."""
    if not _DATABASE.match(database):
        raise ValueError(f"{database!r} is not a Glue database name (lower-case letters, digits and _)")
    return [(name, f'CREATE OR REPLACE VIEW "{database}"."{name}" AS\n{to_athena(source(name, effort), database)}')
            for name in VIEW_NAMES]
