"""The production path: the real functions-framework server writing to BigQuery (the bqemulator) with its
secrets in Secret Manager (the local fake), both reached by the real Google client libraries."""

from __future__ import annotations

import os

import pytest

from tests.function.conftest import PROJECT, SUMMARY_KEYS, TRACE_HEADER, TRACE_ID, Deployment

SECRET_IDS = ("strava-client-id", "strava-client-secret", "strava-refresh-token")


@pytest.fixture
def production(function_server, make_simulator, secret_manager, bq_dataset, tmp_path) -> Deployment:
    sim = make_simulator(activities=150, seed=11, rotate=True)
    for secret_id, value in zip(SECRET_IDS, sim.secrets().values(), strict=True):
        secret_manager.create(PROJECT, secret_id, value)
    server = function_server({
        "STRAVA_API_URL": sim.api_url, "STRAVA_OAUTH_URL": sim.oauth_url,
        "STRAVA_SECRETS": f"secretmanager:{PROJECT}", "STRAVA_WAREHOUSE": f"bigquery:{bq_dataset}",
        "BIGQUERY_EMULATOR_HOST": os.environ["BIGQUERY_EMULATOR_HOST"],
        "SECRET_MANAGER_EMULATOR_HOST": secret_manager.url, "GOOGLE_CLOUD_PROJECT": PROJECT})
    return Deployment(server, sim, tmp_path / "unused.json", None, dataset=bq_dataset, secret_manager=secret_manager)


def _bigquery(dataset: str, sql: str) -> list[tuple]:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    project = dataset.split(".", 1)[0]
    client = bigquery.Client(project=project, credentials=AnonymousCredentials(),
                             client_options={"api_endpoint": os.environ["BIGQUERY_EMULATOR_HOST"]})
    try:
        return [tuple(row.values()) for row in client.query(sql.replace("{ds}", f"`{dataset}`")).result()]
    finally:
        client.close()


def test_post_syncs_into_bigquery_with_secrets_from_secret_manager(production) -> None:
    d = production
    answer = d.post({}, headers={"X-Cloud-Trace-Context": TRACE_HEADER})
    assert answer.status == 200, answer.text
    assert SUMMARY_KEYS <= answer.body.keys()
    assert answer.body["status"] == "ok" and answer.body["inserted"] == 150
    assert answer.body["token_rotated"] is True
    ids = [row[0] for row in _bigquery(d.dataset, "SELECT id FROM {ds}.activities ORDER BY id")]
    assert ids == d.truth_ids()
    assert _bigquery(d.dataset, "SELECT run_id, status FROM {ds}.sync_runs") == [(answer.body["run_id"], "ok")]

    # The rotated refresh token went to Secret Manager as the one live version; the old one is destroyed.
    versions = d.secret_manager.versions(PROJECT, "strava-refresh-token")
    assert [state for _, state, _ in versions] == ["DESTROYED", "ENABLED"]
    assert versions[-1][2] == d.sim.secrets()["refresh_token"]

    # A warm instance reuses its clients: a new upload arrives, the next run inserts just that one.
    d.sim.add_activity()
    again = d.post({})
    assert again.status == 200, again.text
    assert again.body["inserted"] == 1 and again.body["updated"] == 0
    assert [row[0] for row in _bigquery(d.dataset, "SELECT id FROM {ds}.activities ORDER BY id")] == d.truth_ids()

    logs = [e for e in d.server.json_logs() if e.get("run_id") == answer.body["run_id"]]
    assert logs and {e["trace_id"] for e in logs} == {TRACE_ID}
    secrets = {v for _, _, v in versions if v} | {"sim-secret", "sim-refresh-0", d.sim.secrets()["refresh_token"]}
    for value in secrets:
        assert value not in d.server.output() + answer.text + again.text
