"""The gen2 function: runtime, limits, ingress, environment, and what goes into its source zip."""

import re

import pytest

from tests.function.test_function_requirements import _module_file, production_path
from tests.terraform.hcl import ROOT, Module, single


@pytest.fixture(scope="module")
def function(tf: Module) -> dict:
    return tf.resource("google_cloudfunctions2_function", "sync")


def test_runtime_is_python_312_or_newer_with_entry_point_run(function: dict) -> None:
    build = single(function["build_config"])
    version = re.fullmatch(r"python3(\d+)", build["runtime"])
    assert version and int(version.group(1)) >= 12
    assert build["entry_point"] == "run"
    storage = single(single(build["source"])["storage_source"])
    assert storage["object"] == "${google_storage_bucket_object.function_source.name}"


def test_one_instance_one_request_at_a_time(function: dict) -> None:
    service = single(function["service_config"])
    assert service["max_instance_count"] == 1
    assert service["max_instance_request_concurrency"] == 1
    assert service["available_memory"] == "${var.function_memory}"


def test_ingress_is_internal_unless_public_ingress_is_asked_for(tf: Module, function: dict) -> None:
    ingress = single(function["service_config"])["ingress_settings"]
    assert ingress == '${var.allow_public_ingress ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"}'
    assert tf.variables["allow_public_ingress"]["default"] is False


def test_environment_names_the_warehouse_and_the_secret_store(tf: Module, function: dict) -> None:
    env = single(function["service_config"])["environment_variables"]
    assert env["STRAVA_WAREHOUSE"] == "bigquery:${var.project_id}.${var.dataset_id}"
    assert env["STRAVA_SECRETS"] == "secretmanager:${var.project_id}"
    assert env["STRAVA_LOOKBACK_DAYS"] == "${tostring(var.lookback_days)}"
    assert env["STRAVA_WEATHER"] == '${var.weather ? "on" : "off"}' and tf.variables["weather"]["default"] is True
    assert env["GOOGLE_CLOUD_PROJECT"] == "${var.project_id}"  # main.py builds the log trace field from it


def test_source_object_is_named_by_content_hash(tf: Module) -> None:
    obj = tf.resource("google_storage_bucket_object", "function_source")
    assert "${data.archive_file.function_source.output_md5}" in obj["name"]


def test_source_bucket_is_private_and_versioned(tf: Module) -> None:
    bucket = tf.resource("google_storage_bucket", "function_source")
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert single(bucket["versioning"])["enabled"] is True


def test_lifecycle_deletes_only_superseded_zips(tf: Module) -> None:
    """Each zip has its own (content-hash) name, so it never gets a newer version: Terraform deletes it when
    the next one is uploaded, which versioning turns into a noncurrent version. Only those may expire."""
    for rule in tf.resource("google_storage_bucket", "function_source")["lifecycle_rule"]:
        condition = single(rule["condition"])
        assert single(rule["action"])["type"] == "Delete"
        assert condition.get("with_state") == "ARCHIVED", f"this rule may delete the live zip: {condition}"
        assert "num_newer_versions" not in condition, "content-hashed objects never have newer versions"
        assert condition["days_since_noncurrent_time"] >= 7


def test_archive_holds_exactly_the_modules_main_imports_and_the_bigquery_view_sql(tf: Module) -> None:
    modules, _ = production_path()
    imported = {_module_file(m).relative_to(ROOT).as_posix() for m in modules}
    listed = set(tf.locals["function_modules"])
    assert len(listed) == len(tf.locals["function_modules"]), "a file is listed twice"
    assert not imported - listed, f"add to local.function_modules (function.tf): {sorted(imported - listed)}"
    assert not listed - imported, f"main.py never imports these; drop them from the zip: {sorted(listed - imported)}"
    assert tf.locals["function_view_sql"] == "strava/analytics/sql/bigquery/*.sql"
    assert list(ROOT.glob(tf.locals["function_view_sql"])), "the BigQuery warehouse reads these at run time"
    assert tf.locals["function_source_files"] == (
        "${concat(local.function_modules, tolist(fileset(local.repo_root, local.function_view_sql)))}")
    left_out = ("strava/simulator/", "strava/cli.py", "strava/report.py", "strava/warehouse/duckdb.py")
    assert not [f for f in listed if f.startswith(left_out)]


def test_archive_is_built_only_from_that_list_and_the_function_requirements(tf: Module) -> None:
    archive = tf.data[("archive_file", "function_source")]
    assert "source_dir" not in archive and "source_file" not in archive
    source = single(archive["dynamic"])["source"]
    assert source["for_each"] == "${toset(local.function_source_files)}"
    assert tf.locals["repo_root"] == "${path.module}/.."
    assert [s["filename"] for s in archive["source"]] == ["requirements.txt"]


def test_zipped_requirements_are_the_function_set_not_the_cli_set(tf: Module) -> None:
    """Cloud Build installs the zip's requirements.txt: it must hold requirements-function.txt's content."""
    requirements = single(tf.data[("archive_file", "function_source")]["source"])
    assert requirements["content"] == '${file("${local.repo_root}/requirements-function.txt")}'
    assert (ROOT / "requirements-function.txt").is_file()
    assert "requirements.txt" not in tf.locals["function_modules"]  # one file per name in the zip
