"""However a run ends, the function writes exactly one `sync_finished` line that the "a run failed" alert
counts (its filter read from terraform/monitoring.tf), and a `sync_runs` row once the warehouse is open.

A bug is simulated by a `sitecustomize` on the server's PYTHONPATH that makes one of our functions raise:
production code carries no test hook.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from strava.warehouse.duckdb import DuckDBWarehouse
from tests.function.alert_filter import assert_one_failed_run_line
from tests.paths import ROOT

SITECUSTOMIZE = '''
import importlib

def _bug(*args, **kwargs):
    raise RuntimeError("a bug we did not write yet")

_module, _path = {target!r}.split(":")
_owner = importlib.import_module(_module)
*_parents, _name = _path.split(".")
for _parent in _parents:
    _owner = getattr(_owner, _parent)
setattr(_owner, _name, _bug)
'''

CASES = [
    # (environment, bug injected at, error kind, recorded in sync_runs)
    ({"STRAVA_LOOKBACK_DAYS": "a week"}, None, "config", False),
    ({"STRAVA_WAREHOUSE": "postgres:strava"}, None, "config", False),
    ({"STRAVA_SECRETS": "vault:somewhere"}, None, "config", False),
    ({"STRAVA_WAREHOUSE": "duckdb:{tmp}/a-file/strava.duckdb"}, None, "warehouse", False),
    ({}, "strava.warehouse.duckdb:DuckDBWarehouse.setup", "warehouse", True),
    ({}, "strava.schema:activity_row", "internal", True),
]


def _with_bug(folder: Path, target: str) -> dict[str, str]:
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE.format(target=target))
    return {"PYTHONPATH": f"{folder}:{ROOT}"}


@pytest.mark.parametrize(("env", "bug", "kind", "recorded"), CASES,
                         ids=["bad setting", "unknown warehouse", "unknown secret store", "warehouse won't open",
                              "setup raises a non-SyncError", "bug mid-sync"])
def test_every_failed_run_logs_the_line_the_alert_counts(deploy, tmp_path, env, bug, kind, recorded) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    if recorded:  # an existing warehouse (its tables there): the failed run's row can be written
        warehouse = DuckDBWarehouse(tmp_path / "strava.duckdb")
        warehouse.setup()
        warehouse.close()
    env = {name: value.format(tmp=tmp_path) for name, value in env.items()}
    d = deploy({"activities": 30}, **env, **(_with_bug(tmp_path / "bug", bug) if bug else {}))
    answer = d.post({})
    assert answer.status == 500 and answer.headers["Content-Type"] == "application/json", answer.text[:300]
    assert (answer.body["status"], answer.body["error"]["kind"]) == ("failed", kind), answer.body
    line = assert_one_failed_run_line(d.server.json_logs(), kind)
    assert line["message"].endswith(answer.body["error"]["message"])
    assert "Traceback" not in d.server.stderr()  # nothing escaped to gunicorn as an HTML 500
    if recorded:
        assert d.rows("SELECT run_id, status, error_kind FROM sync_runs") == [(answer.body["run_id"], "failed", kind)]
    elif d.db.exists():
        assert d.rows("SELECT count(*) FROM sync_runs") == [(0,)]
