"""A misconfigured deployment still answers JSON naming the problem, and leaves nothing locked behind."""

from __future__ import annotations

import json

from tests.function.conftest import Answer, Deployment


def _deploy(function_server, simulator, tmp_path, **env: str) -> Deployment:
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps(simulator.secrets()))
    db = tmp_path / "strava.duckdb"
    server = function_server({"STRAVA_API_URL": simulator.api_url, "STRAVA_OAUTH_URL": simulator.oauth_url,
                              "STRAVA_SECRETS": f"file:{secrets}", "STRAVA_WAREHOUSE": f"duckdb:{db}", **env})
    return Deployment(server, simulator, secrets, db)


def _assert_json_failure(answer: Answer, kind: str) -> None:
    assert answer.status == 500, answer.text[:300]  # 503 is for strava_unavailable only
    assert answer.headers["Content-Type"] == "application/json", answer.text[:300]
    assert answer.body["status"] == "failed" and answer.body["error"]["kind"] == kind, answer.body


def test_unknown_secret_store_is_a_json_config_error_and_leaves_the_duckdb_file_alone(
        function_server, simulator, tmp_path) -> None:
    d = _deploy(function_server, simulator, tmp_path, STRAVA_SECRETS="vault:somewhere")
    _assert_json_failure(d.post({}), "config")
    assert simulator.request_log == []
    assert not d.db.exists()  # the secret store is opened first: no warehouse was opened, none is held


def test_missing_google_credentials_is_a_json_config_error(function_server, simulator, tmp_path) -> None:
    """No emulator and no Application Default Credentials: the Google client's own exception must not
    escape as an HTML 500 with a plain-text traceback."""
    no_adc = {"STRAVA_WAREHOUSE": "bigquery:my-project.strava", "BIGQUERY_EMULATOR_HOST": "",
              "GOOGLE_APPLICATION_CREDENTIALS": "", "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
              "GCE_METADATA_DETECT_RETRIES": "1", "GCE_METADATA_HOST": "127.0.0.1:9", "GCE_METADATA_IP": "127.0.0.1:9"}
    d = _deploy(function_server, simulator, tmp_path, **no_adc)
    answer = d.post({})
    _assert_json_failure(answer, "config")
    assert "gcloud auth application-default login" in answer.body["error"]["message"]
    assert simulator.request_log == []
    assert "Traceback" not in d.server.stderr()
