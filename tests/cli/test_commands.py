"""The CLI's local commands as a user runs them: demo, settings, report, simulate, and bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import date

import duckdb
import requests

from tests.function.alert_filter import assert_one_failed_run_line
from tests.paths import ROOT
from tests.pipes import read_line


def cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "strava", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def test_demo_syncs_reports_and_says_where(tmp_path):
    result = cli("demo", "--activities", "120", "--seed", "3", "--dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"DuckDB warehouse: {tmp_path / 'strava.duckdb'}" in result.stdout
    assert f"HTML report:      {tmp_path / 'report.html'}" in result.stdout
    summary = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("{")))
    assert summary["status"] == "ok" and summary["inserted"] == 120
    assert 0 < summary["weather_calls"] < 120  # the demo's Open-Meteo simulator, several rides per request
    with duckdb.connect(str(tmp_path / "strava.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM activities").fetchall() == [(120,)]
        assert conn.execute("SELECT count(*) > 0 FROM activity_weather").fetchall() == [(True,)]
        assert conn.execute("SELECT count(*) > 0 FROM weekly_summary WHERE sport_type = 'all'").fetchall() == [(True,)]
    assert "<html" in (tmp_path / "report.html").read_text()[:500].lower()


def test_settings_then_report_uses_the_ftp(tmp_path):
    assert cli("demo", "--activities", "60", "--dir", str(tmp_path)).returncode == 0
    env = {"STRAVA_WAREHOUSE": f"duckdb:{tmp_path / 'strava.duckdb'}"}
    result = cli("settings", "--ftp", "280", "--weight", "70", "--since", "2025-06-01", env=env)
    assert result.returncode == 0, result.stderr
    assert "from 2025-06-01: FTP W 280, weight kg 70" in result.stdout
    with duckdb.connect(str(tmp_path / "strava.duckdb"), read_only=True) as conn:
        assert (date(2025, 6, 1), 280.0, 70.0) in conn.execute(
            "SELECT effective_from, ftp, weight_kg FROM athlete_settings").fetchall()
    out = tmp_path / "again.html"
    report = cli("report", "--out", str(out), env=env)
    assert report.returncode == 0, report.stderr
    assert str(out) in report.stdout and out.stat().st_size > 10_000


def test_settings_refuses_bad_input_and_changes_nothing(tmp_path):
    env = {"STRAVA_WAREHOUSE": f"duckdb:{tmp_path / 'w.duckdb'}"}
    for args in (["--ftp", "-5"], ["--ftp", "abc"], ["--ftp", "250", "--since", "01/02/2025"], []):
        result = cli("settings", *args, env=env)
        assert result.returncode == 2, (args, result.stdout)
        assert result.stderr.strip()
    assert not (tmp_path / "w.duckdb").exists()


def test_settings_stores_cda_and_bike_weight_and_refuses_them_out_of_range(tmp_path):
    env = {"STRAVA_WAREHOUSE": f"duckdb:{tmp_path / 'w.duckdb'}"}
    result = cli("settings", "--cda", "0.28", "--bike-weight", "7.5", "--since", "2025-06-01", env=env)
    assert result.returncode == 0, result.stderr
    assert "from 2025-06-01: CdA m² 0.28, bike kg 7.5 (in duckdb:" in result.stdout
    refused = {("--cda", "0.05"): "--cda: must be a number from 0.1 to 1, got 0.05",
               ("--cda", "1.2"): "--cda: must be a number from 0.1 to 1, got 1.2",
               ("--cda", "abc"): "--cda: must be a number from 0.1 to 1, got abc",
               ("--bike-weight", "2.9"): "--bike-weight: must be a number from 3 to 40, got 2.9",
               ("--bike-weight", "nan"): "--bike-weight: must be a number from 3 to 40, got nan",
               ("--ftp", "250", "--bike-weight", "41"): "--bike-weight: must be a number from 3 to 40, got 41",
               (): "nothing to set: give --ftp, --weight, --cda and/or --bike-weight"}
    for args, message in refused.items():
        result = cli("settings", *args, "--since", "2025-07-01", env=env)
        assert (result.returncode, message in result.stderr) == (2, True), (args, result.stderr)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as conn:  # nothing written on error
        rows = conn.execute("SELECT effective_from, ftp, weight_kg, cda_m2, bike_kg FROM athlete_settings").fetchall()
    assert rows == [(date(2025, 6, 1), None, None, 0.28, 7.5)]


def test_report_on_bigquery_says_to_use_looker_studio():
    result = cli("report", env={"STRAVA_WAREHOUSE": "bigquery:proj.ds"})
    assert result.returncode == 2
    assert "Looker Studio" in result.stderr


def test_simulate_serves_until_stopped_and_writes_its_secrets(tmp_path):
    secrets = tmp_path / "secrets.json"
    command = [sys.executable, "-m", "strava", "simulate", "--port", "0", "--activities", "25",
               "--read-limits", "50,500", "--secrets-out", str(secrets)]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = read_line(proc).split(" on ")[1].strip()
        creds = json.loads(secrets.read_text())
        token = requests.post(f"{url}/oauth/token", data={**creds, "grant_type": "refresh_token"}, timeout=5).json()
        answer = requests.get(f"{url}/api/v3/athlete/activities", params={"per_page": 200}, timeout=5,
                              headers={"Authorization": f"Bearer {token['access_token']}"})
        assert len(answer.json()) == 25
        assert answer.headers["X-ReadRateLimit-Limit"] == "50,500"
        proc.send_signal(signal.SIGINT)  # Ctrl-C, as a person stops it
        assert proc.wait(timeout=10) == 0  # a clean exit, not a traceback
    finally:
        proc.kill()
        proc.wait()


def test_sync_that_cannot_start_exits_1_with_one_alerting_line(tmp_path):
    """Bad settings: the summary is printed and the one `sync_finished` line (JSON on a non-terminal stderr)
    is the line the "a run failed" alert counts."""
    result = cli("sync", env={"STRAVA_WAREHOUSE": "postgres:strava", "STRAVA_SECRETS": f"file:{tmp_path / 's.json'}"})
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["status"], summary["error"]["kind"]) == ("failed", "config")
    logs = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    line = assert_one_failed_run_line(logs, "config")
    assert line["run_id"] == summary["run_id"] and "postgres:strava" in line["error_message"]
