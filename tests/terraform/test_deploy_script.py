"""scripts/deploy.sh against fake terraform/gcloud binaries and a real local HTTP endpoint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.terraform.hcl import ROOT

REAL_TOOLS = ("bash", "cat", "dirname", "date", "seq", "sleep", "curl", "env")

FAKE_TERRAFORM = r"""#!/usr/bin/env bash
echo "terraform $*" >> "$CALLS"
case "$*" in
  *"output -raw project_id") printf my-proj ;;
  *"output -raw region") printf europe-west1 ;;
  *"output -raw function_name") printf strava-sync ;;
  *"output -raw public_ingress") printf '%s' "$PUBLIC" ;;
  *"output -raw function_url") printf '%s' "$FUNCTION_URL" ;;
  *"output -json scheduler_jobs") printf '{"incremental":"strava-sync-incremental","reconcile":"r"}' ;;
esac
"""

FAKE_GCLOUD = r"""#!/usr/bin/env bash
echo "gcloud $*" >> "$CALLS"
case "$1 $2" in
  "secrets versions") [[ " $SECRETS_PRESENT " == *" $4 "* ]] && echo "projects/1/secrets/$4/versions/1" ;;
  "auth print-identity-token") printf fake-id-token ;;
  "logging read") printf '[{"jsonPayload":{"event":"sync_finished","status":"ok"}}]' ;;
esac
exit 0
"""


class _Function(BaseHTTPRequestHandler):
    requests: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append((dict(self.headers), body))
        reply = json.dumps({"status": "ok", "inserted": 3}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def function_url() -> Iterator[str]:
    _Function.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Function)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def _repo(tmp_path: Path, fakes: dict[str, str], with_tfvars: bool = True) -> tuple[Path, dict[str, str]]:
    """A copy of the script in a scratch repo, and a PATH holding only the fakes and basic tools."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "deploy.sh", tmp_path / "scripts" / "deploy.sh")
    (tmp_path / "terraform").mkdir()
    if with_tfvars:
        (tmp_path / "terraform" / "terraform.tfvars").write_text('project_id = "my-proj"\n')
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in REAL_TOOLS:
        os.symlink(shutil.which(tool), bin_dir / tool)
    os.symlink(os.path.realpath(sys.executable), bin_dir / "python3")  # not a pyenv shim
    for name, text in fakes.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = {"PATH": str(bin_dir), "CALLS": str(tmp_path / "calls.log"), "HOME": str(tmp_path)}
    return tmp_path, env


def _run(repo: Path, env: dict[str, str], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(repo / "scripts" / "deploy.sh")], env={**env, **extra},
                          capture_output=True, text=True, timeout=60, check=False)


def _calls(repo: Path) -> list[str]:
    return (repo / "calls.log").read_text().splitlines()


def test_missing_terraform_is_reported_clearly(tmp_path: Path) -> None:
    repo, env = _repo(tmp_path, {"gcloud": FAKE_GCLOUD})
    result = _run(repo, env)
    assert result.returncode == 1
    assert "terraform is not installed" in result.stderr


def test_missing_tfvars_points_to_the_example(tmp_path: Path) -> None:
    repo, env = _repo(tmp_path, {"terraform": FAKE_TERRAFORM, "gcloud": FAKE_GCLOUD}, with_tfvars=False)
    result = _run(repo, env)
    assert result.returncode == 1
    assert "terraform.tfvars.example" in result.stderr


def test_without_secrets_it_applies_then_asks_for_strava_auth(tmp_path: Path) -> None:
    repo, env = _repo(tmp_path, {"terraform": FAKE_TERRAFORM, "gcloud": FAKE_GCLOUD})
    result = _run(repo, env, SECRETS_PRESENT="strava-client-id strava-client-secret", PUBLIC="false")
    assert result.returncode == 1
    assert "STRAVA_SECRETS=secretmanager:my-proj .venv/bin/python -m strava auth" in result.stderr
    assert "no value yet for: strava-refresh-token." in result.stderr
    calls = _calls(repo)
    assert calls[:2] == ["terraform -chdir=terraform init -input=false",
                         "terraform -chdir=terraform apply -var-file=terraform.tfvars"]
    assert ("gcloud secrets versions list strava-refresh-token --project my-proj --filter=state:enabled "
            "--limit=1 --format=value(name)") in calls
    assert not any("scheduler" in c or "identity-token" in c for c in calls)


def test_public_ingress_runs_the_first_sync_with_curl_and_prints_the_summary(
        tmp_path: Path, function_url: str) -> None:
    repo, env = _repo(tmp_path, {"terraform": FAKE_TERRAFORM, "gcloud": FAKE_GCLOUD})
    result = _run(repo, env, SECRETS_PRESENT="strava-client-id strava-client-secret strava-refresh-token",
                  PUBLIC="true", FUNCTION_URL=function_url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"status": "ok", "inserted": 3}
    (headers, body), = _Function.requests
    assert headers["Authorization"] == "bearer fake-id-token"
    assert headers["Content-Type"] == "application/json"
    assert body == b"{}"


def test_internal_ingress_runs_the_scheduler_job_and_prints_the_logged_summary(tmp_path: Path) -> None:
    repo, env = _repo(tmp_path, {"terraform": FAKE_TERRAFORM, "gcloud": FAKE_GCLOUD})
    result = _run(repo, env, SECRETS_PRESENT="strava-client-id strava-client-secret strava-refresh-token",
                  PUBLIC="false")
    assert result.returncode == 0, result.stderr
    assert '"event":"sync_finished"' in result.stdout
    calls = _calls(repo)
    assert ("gcloud scheduler jobs run strava-sync-incremental --project my-proj --location europe-west1"
            in calls)
    read = next(c for c in calls if c.startswith("gcloud logging read"))
    assert 'resource.labels.service_name="strava-sync"' in read and 'jsonPayload.event="sync_finished"' in read
