"""checkov over both modules (Google, AWS), offline, from its own virtualenv (made by `make checkov`)."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.terraform.hcl import AWS_DIR, ROOT, TF_DIR

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
SKIP = re.compile(r"#\s*checkov:skip=(CKV2?_[A-Z]+_\d+)(?::(.*))?")


# checkov -d recurses: the Google module's run leaves the AWS one (a subdirectory) to its own run.
@pytest.mark.parametrize(("module", "skip"), [(TF_DIR, ["--skip-path", str(AWS_DIR)]), (AWS_DIR, [])],
                         ids=["google", "aws"])
def test_checkov_finds_no_failure(module: Path, skip: list[str]) -> None:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV.relative_to(ROOT)} is missing: run `make checkov` (make test does it too)")
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
           "LOG_LEVEL": "ERROR"}
    result = subprocess.run(
        [str(CHECKOV), "-d", str(module), "--framework", "terraform", "--skip-download", "--compact",
         "--quiet", *skip],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"checkov failed:\n{report}"
    assert re.search(r"Failed checks: 0\b", report), report


def test_every_checkov_skip_gives_a_reason() -> None:
    for path in sorted([*TF_DIR.glob("*.tf"), *AWS_DIR.glob("*.tf")]):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = SKIP.search(line)
            if match:
                reason = (match.group(2) or "").strip()
                where = f"{path.relative_to(ROOT)}:{number}"
                assert len(reason) >= 30, f"{where}: {match.group(1)} skipped without a real reason"
