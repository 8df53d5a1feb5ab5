"""The generated Athena statements: views over the Glue database, functions Athena has, the CLI that prints
them. Their rows are checked against the golden answers in test_views.py (the `athena` engine)."""

from __future__ import annotations

import re

import pytest
import sqlglot

from strava.analytics import VIEW_NAMES
from strava.analytics.athena_views import athena_views
from strava.cli import main
from tests.analytics.athena import DATABASE

# Functions the statements may call: Athena engine 3 (Trino) has each; BigQuery-only names must not slip through.
TRINO_FUNCTIONS = {"CAST", "COALESCE", "DATE", "DATE_ADD", "DATE_DIFF", "DATE_TRUNC", "DAY_OF_WEEK", "EXTRACT",
                   "CONCAT", "LEAD", "LAG", "SUM", "AVG", "COUNT", "MIN", "MAX", "GREATEST", "SEQUENCE", "UNNEST",
                   "POWER", "ROW_NUMBER", "SQRT"}
KEYWORDS = {"AS", "IN", "OVER", "AND", "FROM", "JOIN", "_t0"}  # also seen before a parenthesis


def test_statements_are_athena_views_over_the_database_calling_only_trino_functions(athena_statements) -> None:
    assert [name for name, _ in athena_statements] == list(VIEW_NAMES)
    for name, statement in athena_statements:
        tree = sqlglot.parse_one(statement, read="athena")
        assert isinstance(tree, sqlglot.exp.Create) and tree.args.get("replace"), name
        assert {t.db for t in tree.find_all(sqlglot.exp.Table) if t.db} == {DATABASE}, name  # the rest: CTEs
        called = set(re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(", statement))
        assert called <= TRINO_FUNCTIONS | KEYWORDS, (name, called - TRINO_FUNCTIONS - KEYWORDS)
        assert not any(select.args.get("windows") for select in tree.find_all(sqlglot.exp.Select)), name


def test_a_bad_database_name_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Glue database name"):
        athena_views("Strava-Lake; DROP")


def test_the_cli_prints_or_writes_the_statements(athena_statements, tmp_path, capsys) -> None:
    assert main(["athena-views", "--database", DATABASE]) == 0
    printed = capsys.readouterr().out
    assert [s.strip() for s in printed.split(";\n") if s.strip()] == [s for _, s in athena_statements]
    assert main(["athena-views", "--database", DATABASE, "--out", str(tmp_path / "views")]) == 0
    assert {p.name: p.read_text() for p in (tmp_path / "views").iterdir()} == {
        f"{name}.sql": statement + "\n" for name, statement in athena_statements}
    assert main(["athena-views", "--database", "No Such-DB"]) == 2
