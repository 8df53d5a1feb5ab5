"""Both modules against the real provider schemas (made by `make tfschema`): the Google one for every google major
version allowed, the AWS one (terraform/aws) for the aws provider version pinned."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.terraform.hcl import AWS_DIR, ROOT, TF_DIR, Module, load_module, single
from tests.terraform.schema_check import check_module, load_schema

SCHEMA_DIR = ROOT / ".venv-tfschema" / "schemas"


def _schemas(provider: str) -> list[Path]:
    found = sorted(SCHEMA_DIR.glob(f"{provider}-*.json"))
    if not found:
        pytest.fail(f"no {provider} schema in {SCHEMA_DIR.relative_to(ROOT)}: run `make tfschema` (make test does it)")
    return found


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in load_schema(path)["version"].split("."))


def _with(google: Path) -> list[Path]:
    return [google, *_schemas("time"), *_schemas("archive")]


def _aws_schemas() -> list[Path]:
    return [*_schemas("aws"), *_schemas("archive")]


def _allows(constraint: str, version: tuple[int, ...]) -> bool:
    ops = {">=": lambda a, b: a >= b, "<": lambda a, b: a < b}
    clauses = [re.fullmatch(r"\s*(>=|<)\s*([\d.]+)\s*", c) for c in constraint.split(",")]
    assert all(clauses), f"unexpected version constraint {constraint!r}"
    return all(ops[m.group(1)](version, tuple(map(int, m.group(2).split(".")))) for m in clauses)


@pytest.mark.parametrize("major", [6, 7, 8])
def test_module_is_valid_for_each_google_major_version(major: int) -> None:
    (google,) = [p for p in _schemas("google") if _version(p)[0] == major]
    errors = check_module(TF_DIR, _with(google))
    assert not errors, "\n".join(errors)


def test_aws_module_is_valid_for_the_pinned_aws_provider() -> None:
    errors = check_module(AWS_DIR, _aws_schemas())
    assert not errors, "\n".join(errors)


def test_the_aws_versions_checked_are_the_ones_its_versions_tf_allows() -> None:
    (required,) = single(load_module(AWS_DIR).other["terraform"])["required_providers"]
    constraints = {name: p["version"] for name, p in required.items()}
    assert set(constraints) == {"aws", "archive"}
    assert all(p["source"] == f"hashicorp/{name}" for name, p in required.items())
    for provider, constraint in constraints.items():
        for schema in _schemas(provider):
            assert _allows(constraint, _version(schema)), f"{schema.name} is outside {provider} {constraint}"
    allowed = {m for m in range(20) if _allows(constraints["aws"], (m, 99, 99))}
    assert {_version(p)[0] for p in _schemas("aws")} == allowed, "check one aws schema per major version allowed"


def test_the_checked_versions_are_the_ones_versions_tf_allows(tf: Module) -> None:
    (required,) = single(tf.other["terraform"])["required_providers"]
    assert all(p["source"] == f"hashicorp/{name}" for name, p in required.items())
    constraints = {name: p["version"] for name, p in required.items()}
    assert set(constraints) == {"google", "time", "archive"}
    for provider, constraint in constraints.items():
        for schema in _schemas(provider):
            assert _allows(constraint, _version(schema)), f"{schema.name} is outside {provider} {constraint}"
    majors = {_version(p)[0] for p in _schemas("google")}
    allowed = {m for m in range(20) if _allows(constraints["google"], (m, 99, 99))}
    assert majors == allowed, "check one google schema per major version versions.tf allows"


def _mutated(tmp_path: Path, module: Path, file: str, old: str, new: str) -> Path:
    copy = tmp_path / "terraform"
    shutil.copytree(module, copy, ignore=shutil.ignore_patterns(".terraform", "build", "aws"))
    text = (copy / file).read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    (copy / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


GOOGLE_BREAKAGES = [
    ("function.tf", "timeout_seconds  ", "timeout_second   ",
     "google_cloudfunctions2_function.sync.service_config: unknown argument or block `timeout_second`"),
    ("function.tf", "storage_source {", "storage_sources {",
     "build_config.source: unknown argument or block `storage_sources`"),
    ("secrets.tf", "secret_id = each.value", "",
     "google_secret_manager_secret.strava: required `secret_id` is missing"),
    ("secrets.tf", "replication {\n    auto {}\n  }", "",
     "google_secret_manager_secret.strava: required `replication` is missing"),
    ("iam.tf", 'resource "google_service_account" "function"', 'resource "google_service_acount" "function"',
     "no resource type `google_service_acount`"),
    ("scheduler.tf", "google_service_account.scheduler.email", "google_service_account.scheduler.emial",
     "`google_service_account.scheduler.emial`: google_service_account has no attribute `emial`"),
    ("scheduler.tf", "service_config[0].uri", "service_config[0].url",
     "block `service_config` of google_cloudfunctions2_function has no attribute `url`"),
    ("monitoring.tf", "google_logging_metric.sync_failed.name", "google_logging_metric.sync_fail.name",
     "`google_logging_metric.sync_fail.name` names no declared resource"),
    ("function.tf", "  versioning {\n    enabled = true\n  }", "  versioning = { enabled = true }",
     "`versioning` is a block, not an argument"),
]
AWS_BREAKAGES = [
    ("function.tf", "memory_size  ", "memory_sizes ",
     "aws_lambda_function.sync: unknown argument or block `memory_sizes`"),
    ("function.tf", "source_code_hash = data.archive_file.function_source.output_base64sha256",
     "source_code_hash = data.archive_file.function_source.output_sha256sum",
     "archive_file has no attribute `output_sha256sum`"),
    ("scheduler.tf", "maximum_retry_attempts       = 3", "maximum_retries = 3",
     "target.retry_policy: unknown argument or block `maximum_retries`"),
    ("scheduler.tf", "  flexible_time_window {\n    mode = \"OFF\"\n  }\n", "",
     "aws_scheduler_schedule.sync: required `flexible_time_window` is missing"),
    ("storage.tf", 'resource "aws_s3_bucket_versioning" "this"', 'resource "aws_s3_bucket_versionning" "this"',
     "no resource type `aws_s3_bucket_versionning`"),
    ("iam.tf", "aws_secretsmanager_secret.strava.arn", "aws_secretsmanager_secret.strava.arm",
     "`aws_secretsmanager_secret.strava.arm`: aws_secretsmanager_secret has no attribute `arm`"),
    ("analytics.tf", "serialization_library", "serialisation_library",
     "storage_descriptor.ser_de_info: unknown argument or block `serialisation_library`"),
    ("monitoring.tf", "aws_sqs_queue.dead_letter.name}", "aws_sqs_queue.dead_letters.name}",
     "`aws_sqs_queue.dead_letters.name` names no declared resource"),
]


@pytest.mark.parametrize(("module", "file", "old", "new", "error"),
                         [(TF_DIR, *case) for case in GOOGLE_BREAKAGES] + [(AWS_DIR, *case) for case in AWS_BREAKAGES],
                         ids=[f"google-{c[0]}-{i}" for i, c in enumerate(GOOGLE_BREAKAGES)]
                         + [f"aws-{c[0]}-{i}" for i, c in enumerate(AWS_BREAKAGES)])
def test_a_broken_module_is_caught(tmp_path: Path, module: Path, file: str, old: str, new: str, error: str) -> None:
    schemas = _aws_schemas() if module == AWS_DIR else _with(_schemas("google")[-1])
    errors = check_module(_mutated(tmp_path, module, file, old, new), schemas)
    assert any(error in e for e in errors), "\n".join(errors) or "no error reported"
