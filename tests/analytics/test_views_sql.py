"""The SQL files themselves: one BigQuery file per view (DuckDB's text is translated from it), template-safe,
in dependency order, and `view_sql()` renders BigQuery text exactly as Terraform's templatefile() does."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from strava.analytics import VIEW_NAMES, EffortFactors, sql_path, view_sql
from strava.schema import TABLES

TABLE_NAMES = {t.name for t in TABLES}


def test_one_source_file_per_view() -> None:
    folder = sql_path(VIEW_NAMES[0]).parent
    assert sorted(p.name for p in folder.rglob("*") if p.suffix == ".sql") == sorted(f"{n}.sql" for n in VIEW_NAMES)
    assert [p.name for p in folder.parent.iterdir() if p.name != "__pycache__"] == [folder.name]


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_bigquery_references_are_templated_and_in_dependency_order(name: str) -> None:
    text = sql_path(name).read_text(encoding="utf-8")
    assert set(re.findall(r"\$\{(\w*)\}", text)) == {"project", "dataset"}
    assert "%{" not in text  # a templatefile directive
    refs = set(re.findall(r"`\$\{project\}\.\$\{dataset\}\.(\w+)`", text))
    assert refs and refs <= TABLE_NAMES | set(VIEW_NAMES[: VIEW_NAMES.index(name)])
    assert text.count("${") == 2 * len(re.findall(r"`\$\{project\}\.\$\{dataset\}\.\w+`", text))


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_duckdb_translation_references_plain_names_in_dependency_order(name: str) -> None:
    text = view_sql("duckdb", name)
    assert "${" not in text and "`" not in text
    refs = set(re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", text, re.I))
    later = set(VIEW_NAMES[VIEW_NAMES.index(name):])
    assert refs & (TABLE_NAMES | set(VIEW_NAMES)) and not refs & later


def test_view_sql_fills_project_and_dataset() -> None:
    sql = view_sql("bigquery", "weekly_summary", project="my-proj", dataset="strava")
    assert "`my-proj.strava.activity_facts`" in sql and "${" not in sql
    with pytest.raises(ValueError):
        view_sql("bigquery", "weekly_summary")
    with pytest.raises(ValueError):
        view_sql("bigquery", "weekly_summary", project="p`; DROP", dataset="d")
    with pytest.raises(ValueError):
        view_sql("duckdb", "no_such_view")


def test_effort_factors_replace_the_defaults_only() -> None:
    default = view_sql("duckdb", "activity_facts")
    assert view_sql("duckdb", "activity_facts", effort=EffortFactors()) == default
    changed = view_sql("bigquery", "activity_facts", project="p", dataset="d",
                       effort=EffortFactors(foot_km_per_100m=0.792, ride_km_per_100m=2.5))
    assert "0.792 AS foot_km_per_100m" in changed and "2.5 AS ride_km_per_100m" in changed
    with pytest.raises(ValueError):
        view_sql("duckdb", "activity_facts", effort=EffortFactors(foot_km_per_100m=float("nan")))


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not installed")
def test_terraform_templatefile_renders_the_same_sql(tmp_path: Path) -> None:
    folder = sql_path(VIEW_NAMES[0]).parent
    expr = "jsonencode({" + ", ".join(
        f'{n} = templatefile("{folder / n}.sql", {{ project = "p-1", dataset = "ds" }})' for n in VIEW_NAMES) + "})"
    out = subprocess.run(["terraform", "console"], input=expr, capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "TF_CLI_CONFIG_FILE": ""}, timeout=60, check=True).stdout
    rendered = json.loads(json.loads(out.strip()))
    for name in VIEW_NAMES:
        assert rendered[name] == view_sql("bigquery", name, project="p-1", dataset="ds")
