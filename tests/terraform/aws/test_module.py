"""terraform/aws: variables (validated by terraform itself), schema files, Glue tables, the function and its zip."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from strava.schema import ACTIVITY_TABLES, TABLES
from tests.function import test_function_requirements as requirements
from tests.terraform.hcl import AWS_DIR, ROOT, Module, single, var_refs

TERRAFORM = shutil.which("terraform")


def test_every_variable_used_is_declared_and_every_declared_one_used(aws: Module) -> None:
    used = var_refs([list(aws.resources.values()), list(aws.data.values()), aws.locals, aws.outputs, aws.other])
    assert used == set(aws.variables)
    for name, body in aws.variables.items():
        assert body.get("description") and body.get("type"), name
    assert "default" not in aws.variables["region"], "the region must be chosen"


def _plan(tmp_path: Path, **values: object) -> subprocess.CompletedProcess[str]:
    """`terraform plan` of variables.tf alone: no provider needed, so it runs offline and applies each validation."""
    shutil.copy(AWS_DIR / "variables.tf", tmp_path / "variables.tf")
    args = [f"-var={name}={value}" for name, value in {"region": "eu-west-1", **values}.items()]
    env = {**os.environ, "HOME": str(tmp_path), "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1"}
    return subprocess.run([TERRAFORM, "plan", "-input=false", "-no-color", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")
@pytest.mark.parametrize(("name", "good", "bad"), [
    ("region", "us-east-2", "Europe (Ireland)"),
    ("function_name", "my-sync", "My_Sync"),
    ("secret_name", "strava/app", "strava-Ab12Cd"),
    ("lake_prefix", "lakes/strava", "/strava/"),
    ("glue_database", "strava_lake", "strava-lake"),
    ("first_year", 2009, 1900),
    ("schedule", "rate(6 hours)", "0 */6 * * *"),
    ("function_timeout_seconds", 900, 901),
    ("reserved_concurrency", 1, 0),
    ("log_retention_days", 14, 10),
    ("athena_bytes_scanned_cutoff", 10485760, 1024),
    ("alert_email", "me@example.com", "me"),
])
def test_variables_are_validated(tmp_path: Path, name: str, good: object, bad: object) -> None:
    accepted = _plan(tmp_path, **{name: good})
    assert accepted.returncode == 0, accepted.stderr
    refused = _plan(tmp_path, **{name: bad})
    assert refused.returncode == 1 and f"var.{name}" in refused.stderr, refused.stdout + refused.stderr


def _gen_script():
    spec = importlib.util.spec_from_file_location("gen_terraform_schema", ROOT / "scripts/gen-terraform-schema.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_glue_schema_files_equal_the_code() -> None:
    expected = _gen_script().expected_glue_files()
    actual = {p.name: p.read_text(encoding="utf-8") for p in (AWS_DIR / "schema").glob("*.json")}
    stale = sorted(name for name in set(expected) | set(actual) if expected.get(name) != actual.get(name))
    assert not stale, (f"terraform/aws/schema is out of date ({', '.join(stale)}): "
                       "run `.venv/bin/python scripts/gen-terraform-schema.py`")


def test_glue_columns_are_hive_types_with_timestamps_as_strings() -> None:
    for table in TABLES:
        columns = json.loads((AWS_DIR / "schema" / f"{table.name}.json").read_text(encoding="utf-8"))
        assert [c["name"] for c in columns] == table.column_names
        types = {c.name: c.type for c in table.columns}
        for column in columns:
            assert len(column["comment"]) <= 255, column["name"]  # Glue's limit
            if types[column["name"]] in ("TIMESTAMP", "DATETIME", "JSON"):
                assert column["type"] == "string", column["name"]  # ISO text with a 'T'; raw JSON text
    activities = {c["name"]: c["type"] for c in json.loads((AWS_DIR / "schema/activities.json").read_text())}
    assert (activities["id"], activities["distance"], activities["commute"]) == ("bigint", "double", "boolean")


def test_glue_tables_follow_strava_schema_over_the_lake_with_partition_projection(aws: Module) -> None:
    declared = aws.locals["glue_tables"]
    assert set(declared) == {t.name for t in TABLES}
    for table in TABLES:
        assert declared[table.name]["description"] == table.description, table.name
    partitioned = {name for name, spec in declared.items() if spec["partitioned"]}
    # year=YYYY/month=MM in the lake: a per-activity table by its activity's month
    assert partitioned == {"activities", "deleted_activities", "sync_runs", *(t.name for t in ACTIVITY_TABLES)}

    glue = aws.resource("aws_glue_catalog_table", "lake")
    assert glue["for_each"] == "${local.glue_tables}"
    storage = single(glue["storage_descriptor"])
    assert storage["location"] == "${local.lake_uri}/${each.key}/"
    assert single(storage["ser_de_info"])["serialization_library"] == "org.openx.data.jsonserde.JsonSerDe"
    columns = single(storage["dynamic"])["columns"]
    assert columns["for_each"] == '${jsondecode(file("${path.module}/schema/${each.key}.json"))}'
    keys = single(glue["dynamic"])["partition_keys"]
    assert keys["for_each"] == '${each.value.partitioned ? ["year", "month"] : []}'
    assert "crawler" not in json.dumps(list(aws.resources))

    projection = aws.locals["projection"]  # a for expression: hcl2 keeps its text
    assert projection.startswith("${{for table, spec in local.glue_tables : table => spec.partitioned ? {")
    for setting in ('"projection.enabled" = "true"', '"projection.year.range" = "${var.first_year},NOW"',
                    '"projection.month.values" = local.months',
                    '"storage.location.template" = "${local.lake_uri}/${table}/year=$${year}/month=$${month}"'):
        assert setting in projection, setting
    assert glue["parameters"] == '${merge({classification = "json", EXTERNAL = "TRUE"}, local.projection[each.key])}'
    assert aws.locals["months"] == '${join(",", [for m in range(1, 13) : format("%02d", m)])}'


def test_athena_workgroup_writes_encrypted_results_to_its_own_bucket_with_a_scan_cutoff(aws: Module) -> None:
    config = single(aws.resource("aws_athena_workgroup", "lake")["configuration"])
    assert config["enforce_workgroup_configuration"] is True
    assert config["bytes_scanned_cutoff_per_query"] == "${var.athena_bytes_scanned_cutoff}"
    result = single(config["result_configuration"])
    assert result["output_location"] == 's3://${aws_s3_bucket.this["athena_results"].bucket}/results/'
    assert single(result["encryption_configuration"])["encryption_option"] == "SSE_S3"


def test_lambda_runs_main_lambda_handler_on_python_312_with_the_lake_and_the_secret(aws: Module) -> None:
    function = aws.resource("aws_lambda_function", "sync")
    assert (function["runtime"], function["handler"]) == ("python3.12", "main.lambda_handler")
    assert function["architectures"] == ["arm64"]
    assert function["source_code_hash"] == "${data.archive_file.function_source.output_base64sha256}"
    assert function["layers"] == ["${aws_lambda_layer_version.dependencies.arn}"]
    env = single(function["environment"])["variables"]
    assert env["STRAVA_SECRETS"] == "awssecrets:${aws_secretsmanager_secret.strava.name}"
    assert env["STRAVA_WAREHOUSE"] == "${local.lake_uri}"
    assert aws.locals["lake_uri"] == "s3://${local.lake_bucket.bucket}/${var.lake_prefix}"
    assert single(function["dead_letter_config"])["target_arn"] == "${aws_sqs_queue.dead_letter.arn}"
    logging = single(function["logging_config"])
    assert logging == {"log_format": "Text", "log_group": "${aws_cloudwatch_log_group.function.name}"}
    layer = aws.resource("aws_lambda_layer_version", "dependencies")
    assert layer["compatible_runtimes"] == ["python3.12"] and layer["compatible_architectures"] == ["arm64"]


def test_zip_holds_exactly_the_modules_main_reaches_on_aws(aws: Module) -> None:
    modules, _ = requirements.production_path((*requirements.EMBEDDED, *requirements.GOOGLE_ONLY))
    reached = {requirements._module_file(m).relative_to(ROOT).as_posix() for m in modules}
    listed = aws.locals["function_modules"]
    assert len(set(listed)) == len(listed), "a file is listed twice"
    missing, extra = sorted(reached - set(listed)), sorted(set(listed) - reached)
    assert not missing, f"add to local.function_modules (terraform/aws/function.tf): {missing}"
    assert not extra, f"main.py never reaches these on AWS: {extra}"
    assert not [f for f in listed if "bigquery" in f or "gcp" in f or "secretmanager" in f]
    archive = aws.data[("archive_file", "function_source")]
    assert "source_dir" not in archive and single(archive["dynamic"])["source"]["for_each"] == (
        "${toset(local.function_modules)}")
    assert aws.locals["repo_root"] == "${path.module}/../.."


def test_layer_requirements_are_the_projects_pins() -> None:
    layer = requirements._pins(AWS_DIR / "requirements.txt")
    project = {**requirements._pins(ROOT / "requirements-function.txt"),
               **requirements._pins(ROOT / "requirements.txt")}
    assert set(layer) == {"requests", "tenacity", "boto3", "polyline", "sqlglot"}
    for name, version in layer.items():
        assert project.get(name) == version, f"{name}=={version} in the layer, {project.get(name)} in the project"


def test_secret_is_a_container_without_a_value(aws: Module) -> None:
    assert not aws.of_type("aws_secretsmanager_secret_version")
    assert not any(type_.startswith("aws_secretsmanager") for type_, _ in aws.data)
    assert aws.resource("aws_secretsmanager_secret", "strava")["name"] == "${var.secret_name}"
