"""The gen2 function: runtime, limits, ingress, environment, and what goes into its source zip."""

import re
from pathlib import Path

import pytest

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


def test_source_object_is_named_by_content_hash(tf: Module) -> None:
    obj = tf.resource("google_storage_bucket_object", "function_source")
    assert "${data.archive_file.function_source.output_md5}" in obj["name"]


def test_source_bucket_is_private_and_versioned(tf: Module) -> None:
    bucket = tf.resource("google_storage_bucket", "function_source")
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert single(bucket["versioning"])["enabled"] is True


def _source_filter(tf: Module):
    """Turn the `function_source_files` for-expression into a Python predicate over paths."""
    expression = tf.locals["function_source_files"]
    fixed = re.match(r'\$\{concat\(\[((?:"[^"]+",?\s*)+)\]', expression)
    glob = re.search(r'fileset\(local\.repo_root, "([^"]+)"\)', expression)
    condition = re.search(r"\bif (.+)\]\)\}$", expression)
    assert fixed and glob and condition, f"unexpected function_source_files expression: {expression}"
    tests = {"startswith": str.startswith, "strcontains": str.__contains__, "endswith": str.endswith}
    clauses = []
    for clause in condition.group(1).split("&&"):
        m = re.fullmatch(r'\s*!(startswith|strcontains|endswith)\(f, "([^"]+)"\)\s*', clause)
        assert m, f"unexpected clause {clause!r}"
        clauses.append((tests[m.group(1)], m.group(2)))
    always = re.findall(r'"([^"]+)"', fixed.group(1))
    return always, glob.group(1), lambda path: not any(test(path, arg) for test, arg in clauses)


def test_archive_holds_the_function_and_its_package_but_not_the_simulator(tf: Module, tmp_path: Path) -> None:
    always, pattern, keep = _source_filter(tf)
    assert always == ["main.py"]  # requirements.txt comes from requirements-function.txt (below)
    assert pattern == "strava/**"
    fake_repo = {"strava/__init__.py", "strava/sync.py", "strava/warehouse/bigquery.py",
                 "strava/analytics/sql/bigquery/weekly_summary.sql", "strava/simulator/__init__.py",
                 "strava/simulator/server.py", "strava/__pycache__/sync.cpython-312.pyc",
                 "strava/warehouse/__pycache__/base.cpython-312.pyc"}
    kept = {p for p in fake_repo if keep(p)}
    assert kept == {"strava/__init__.py", "strava/sync.py", "strava/warehouse/bigquery.py",
                    "strava/analytics/sql/bigquery/weekly_summary.sql"}
    real = [p.relative_to(ROOT).as_posix() for p in (ROOT / "strava").rglob("*") if p.is_file()]
    assert "strava/schema.py" in {p for p in real if keep(p)}


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
    always, _, _ = _source_filter(tf)
    assert "requirements.txt" not in always  # one file per name in the zip: the root file stays out
