"""Tables follow strava.schema; every analytics SQL file becomes a standard-SQL view."""

import importlib.util
import re
from pathlib import Path

import pytest

from strava.schema import TABLES
from tests.terraform.hcl import ROOT, TF_DIR, VIEW_SQL_DIR, Module, single

VIEW_RESOURCES = ("views_tier1", "views_tier2", "views_tier3")
TEMPLATE_VARS = {"project", "dataset"}


def _gen_script():
    spec = importlib.util.spec_from_file_location("gen_terraform_schema", ROOT / "scripts/gen-terraform-schema.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_schema_files_equal_the_code() -> None:
    expected = _gen_script().expected_files()
    actual = {p.name: p.read_text(encoding="utf-8") for p in (TF_DIR / "schema").glob("*.json")}
    stale = sorted(name for name in set(expected) | set(actual) if expected.get(name) != actual.get(name))
    assert not stale, (f"terraform/schema is out of date ({', '.join(stale)}): "
                       "run `.venv/bin/python scripts/gen-terraform-schema.py`")


def test_tables_partitioning_clustering_and_description_follow_strava_schema(tf: Module) -> None:
    declared = tf.locals["tables"]
    assert set(declared) == {t.name for t in TABLES}
    for table in TABLES:
        entry = declared[table.name]
        assert entry["partition_field"] == table.partition_field, table.name
        assert entry["partition_type"] == table.partition_type, table.name
        assert entry["clustering"] == list(table.clustering), table.name
        assert entry["description"] == table.description, table.name


def test_table_resource_uses_the_schema_files_and_the_tables_partitioning(tf: Module) -> None:
    tables = tf.resource("google_bigquery_table", "tables")
    assert tables["for_each"] == "${local.tables}"
    assert tables["schema"] == '${file("${path.module}/schema/${each.key}.json")}'
    assert tables["deletion_protection"] == "${var.deletion_protection}"
    assert tf.variables["deletion_protection"]["default"] is True
    partitioning = single(tables["dynamic"])["time_partitioning"]
    content = single(partitioning["content"])
    assert content["type"] == "${each.value.partition_type}"
    assert content["field"] == "${time_partitioning.value}"
    assert partitioning["for_each"] == "${each.value.partition_field == null ? [] : [each.value.partition_field]}"


def test_clustering_keys_are_valid_bigquery_clustering_columns() -> None:
    for table in TABLES:
        assert len(table.clustering) <= 4, table.name
        for name in table.clustering:
            assert table.column(name).type != "JSON", f"{table.name}.{name}: JSON cannot cluster"
        if table.partition_field:
            assert table.column(table.partition_field).type in {"TIMESTAMP", "DATE", "DATETIME"}


def _sql_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(VIEW_SQL_DIR.glob("*.sql"))}


def _tier_of(tf: Module, view: str) -> int:
    return tf.locals["view_tier"].get(view, 3)


def test_every_sql_file_gets_a_standard_sql_view(tf: Module) -> None:
    assert tf.locals["view_sql_dir"] == "${path.module}/../strava/analytics/sql/bigquery"
    assert "fileset(local.view_sql_dir, \"*.sql\")" in tf.locals["views"]
    assert set(tf.of_type("google_bigquery_table")) == {"tables", *VIEW_RESOURCES}
    for tier, name in enumerate(VIEW_RESOURCES, start=1):
        view = tf.resource("google_bigquery_table", name)
        assert view["for_each"] == (
            "${{for name, file in local.views : name => file if lookup(local.view_tier, name, 3) == "
            f"{tier}}}}}")
        block = single(view["view"])
        assert block["use_legacy_sql"] is False
        assert block["query"] == '${templatefile("${local.view_sql_dir}/${each.value}", local.view_vars)}'
    assert set(tf.locals["view_vars"]) == TEMPLATE_VARS
    # Every file lands in exactly one tier resource; tiers are 1..3.
    for view in _sql_files():
        assert 1 <= _tier_of(tf, view) <= len(VIEW_RESOURCES), view


def test_view_tiers_name_existing_views(tf: Module) -> None:
    files = _sql_files()
    if not files:
        pytest.fail(f"no view SQL in {VIEW_SQL_DIR.relative_to(ROOT)}: the analytics views are missing")
    assert set(tf.locals["view_tier"]) <= set(files), "view_tier lists a view that has no SQL file"


def test_views_read_only_tables_and_views_created_before_them(tf: Module) -> None:
    tables = {t.name for t in TABLES}
    for view, path in _sql_files().items():
        sql = path.read_text(encoding="utf-8")
        for ref in re.findall(r"`\$\{project\}\.\$\{dataset\}\.(\w+)`", sql):
            if ref in tables:
                continue
            assert ref in _sql_files(), f"{view} reads {ref}, which is neither a table nor a view"
            assert _tier_of(tf, ref) < _tier_of(tf, view), (
                f"{view} reads view {ref}: give {ref} a lower tier in local.view_tier (bigquery.tf)")


def test_view_sql_uses_only_the_template_variables_terraform_passes() -> None:
    for view, path in _sql_files().items():
        sql = path.read_text(encoding="utf-8")
        used = set(re.findall(r"\$\{\s*([^}]*?)\s*\}", sql))
        assert used <= TEMPLATE_VARS, f"{view}.sql uses template variables {used - TEMPLATE_VARS}"
        assert "%{" not in sql, f"{view}.sql contains a template directive"
        assert "`${project}.${dataset}." in sql, f"{view}.sql must name tables as `${{project}}.${{dataset}}.<t>`"
