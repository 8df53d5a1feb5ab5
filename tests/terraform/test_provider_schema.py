"""The module against the real provider schemas (made by `make tfschema`), for every google major version allowed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.terraform.hcl import ROOT, TF_DIR, Module, single
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


def _mutated(tmp_path: Path, file: str, old: str, new: str) -> Path:
    copy = tmp_path / "terraform"
    shutil.copytree(TF_DIR, copy, ignore=shutil.ignore_patterns(".terraform"))
    text = (copy / file).read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    (copy / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


@pytest.mark.parametrize(("file", "old", "new", "error"), [
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
])
def test_a_broken_module_is_caught(tmp_path: Path, file: str, old: str, new: str, error: str) -> None:
    google = _schemas("google")[-1]
    errors = check_module(_mutated(tmp_path, file, old, new), _with(google))
    assert any(error in e for e in errors), "\n".join(errors) or "no error reported"
