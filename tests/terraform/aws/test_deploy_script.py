"""scripts/deploy-aws.sh against fake terraform, aws and pip (python3) binaries."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from tests.terraform.hcl import ROOT
from tests.terraform.test_deploy_script import REAL_TOOLS

FAKE_TERRAFORM = r"""#!/usr/bin/env bash
echo "terraform $*" >> "$CALLS"
case "$*" in
  *"output -raw region") printf eu-west-1 ;;
  *"output -raw secret_name") printf strava-sync ;;
  *"output -raw function_name") printf strava-sync ;;
esac
"""

FAKE_AWS = r"""#!/usr/bin/env bash
echo "aws $*" >> "$CALLS"
case "$1 $2" in
  "secretsmanager list-secret-version-ids") printf '%s\n' "$VERSIONS" ;;
  "lambda invoke") printf '%s' "$REPLY" > "${@: -1}"; printf '%s\n' "$FUNCTION_ERROR" ;;
esac
"""

# pip's stand-in: records its arguments and installs one file where --target points.
FAKE_PYTHON = r"""#!/usr/bin/env bash
echo "python3 $*" >> "$CALLS"
while (( $# )); do [[ "$1" == --target ]] && { mkdir -p "$2/requests"; touch "$2/requests/__init__.py"; }; shift; done
"""


def _repo(tmp_path: Path, with_tfvars: bool = True) -> tuple[Path, dict[str, str]]:
    (tmp_path / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "deploy-aws.sh", tmp_path / "scripts" / "deploy-aws.sh")
    (tmp_path / "terraform" / "aws" / "build" / "layer" / "stale").mkdir(parents=True)
    shutil.copy(ROOT / "terraform" / "aws" / "requirements.txt", tmp_path / "terraform" / "aws")
    if with_tfvars:
        (tmp_path / "terraform" / "aws" / "terraform.tfvars").write_text('region = "eu-west-1"\n')
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in (*REAL_TOOLS, "rm", "mktemp", "mkdir", "touch"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    for name, text in {"terraform": FAKE_TERRAFORM, "aws": FAKE_AWS, "python3": FAKE_PYTHON}.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return tmp_path, {"PATH": str(bin_dir), "CALLS": str(tmp_path / "calls.log"), "HOME": str(tmp_path)}


def _run(repo: Path, env: dict[str, str], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(repo / "scripts" / "deploy-aws.sh")], env={**env, **extra},
                          capture_output=True, text=True, timeout=60, check=False)


def _calls(repo: Path) -> list[str]:
    return (repo / "calls.log").read_text().splitlines()


def test_missing_aws_cli_and_missing_tfvars_are_reported_clearly(tmp_path: Path) -> None:
    repo, env = _repo(tmp_path / "a")
    os.remove(repo / "bin" / "aws")
    result = _run(repo, env)
    assert result.returncode == 1 and "aws is not installed" in result.stderr
    repo, env = _repo(tmp_path / "b", with_tfvars=False)
    result = _run(repo, env)
    assert result.returncode == 1 and "cp terraform/aws/terraform.tfvars.example" in result.stderr


def test_builds_the_arm64_layer_then_applies_then_asks_for_strava_auth(tmp_path: Path) -> None:
    repo, env = _repo(tmp_path)
    result = _run(repo, env, VERSIONS="0")
    assert result.returncode == 1
    assert "AWS_REGION=eu-west-1 STRAVA_SECRETS=awssecrets:strava-sync .venv/bin/python -m strava auth" in result.stderr
    calls = _calls(repo)
    pip = calls[0].split()
    assert pip[:4] == ["python3", "-m", "pip", "install"] and "--no-compile" in pip
    assert pip[pip.index("--target") + 1] == "terraform/aws/build/layer/python"
    assert pip[pip.index("--platform") + 1] == "manylinux2014_aarch64"
    assert pip[pip.index("--python-version") + 1] == "3.12" and "--only-binary=:all:" in pip
    assert pip[-2:] == ["-r", "terraform/aws/requirements.txt"]
    layer = repo / "terraform" / "aws" / "build" / "layer"
    assert (layer / "python" / "requests" / "__init__.py").exists() and not (layer / "stale").exists()
    assert calls[1:3] == ["terraform -chdir=terraform/aws init -input=false",
                          "terraform -chdir=terraform/aws apply -var-file=terraform.tfvars"]
    assert ("aws secretsmanager list-secret-version-ids --secret-id strava-sync --region eu-west-1 "
            "--query length(Versions) --output text") in calls
    assert not any("lambda invoke" in c for c in calls)


def test_with_a_secret_it_runs_the_first_sync_and_prints_its_summary(tmp_path: Path) -> None:
    repo, env = _repo(tmp_path)
    summary = {"status": "ok", "inserted": 3}
    result = _run(repo, env, VERSIONS="1", REPLY=json.dumps(summary), FUNCTION_ERROR="None")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == summary
    invoke = next(c for c in _calls(repo) if c.startswith("aws lambda invoke"))
    assert "--function-name strava-sync" in invoke and "--payload {}" in invoke


def test_a_crashed_first_run_fails_the_deploy_and_points_to_the_logs(tmp_path: Path) -> None:
    repo, env = _repo(tmp_path)
    result = _run(repo, env, VERSIONS="1", REPLY='{"errorMessage": "Task timed out"}', FUNCTION_ERROR="Unhandled")
    assert result.returncode == 1
    assert "Task timed out" in result.stdout
    assert "the function failed (Unhandled)" in result.stderr
    assert "aws logs tail /aws/lambda/strava-sync" in result.stderr
