"""`run_auth` writing to Secret Manager (the local fake, reached by the real client library)."""

from __future__ import annotations

import dataclasses

import pytest

PROJECT = "strava-test"
IDS = {"client_id": "strava-client-id", "client_secret": "strava-client-secret",
       "refresh_token": "strava-refresh-token"}


@pytest.fixture
def sm_settings(settings, secret_manager, monkeypatch):
    for key in IDS:
        monkeypatch.delenv(f"STRAVA_SECRET_ID_{key.upper()}", raising=False)
    for secret_id in IDS.values():
        secret_manager.create(PROJECT, secret_id)  # empty containers, as Terraform leaves them
    return dataclasses.replace(settings, secrets=f"secretmanager:{PROJECT}")


def test_writes_three_secrets_one_version_each(start_auth, sim, sm_settings, secret_manager):
    run = start_auth(sm_settings)
    run.click()

    assert run.result() == 0
    expected = {"client_id": sim.client_id, "client_secret": sim.client_secret,
                "refresh_token": sim.secrets()["refresh_token"]}
    for key, secret_id in IDS.items():
        assert secret_manager.versions(PROJECT, secret_id) == [(1, "ENABLED", expected[key])]
    assert f"secretmanager:{PROJECT}" in run.output
    for value in (sim.client_secret, expected["refresh_token"]):
        assert value not in run.output


def test_reauthorizing_reuses_stored_app_credentials_and_retires_the_old_token(
        start_auth, sim, sm_settings, secret_manager):
    secret_manager.create(PROJECT, IDS["client_id"], sim.client_id)
    secret_manager.create(PROJECT, IDS["client_secret"], sim.client_secret)
    secret_manager.create(PROJECT, IDS["refresh_token"], "dead-token")
    run = start_auth(sm_settings, client_id=None, client_secret=None)
    run.click()

    assert run.result() == 0
    assert len(secret_manager.versions(PROJECT, IDS["client_id"])) == 1  # unchanged values: no new version
    assert len(secret_manager.versions(PROJECT, IDS["client_secret"])) == 1
    assert secret_manager.versions(PROJECT, IDS["refresh_token"]) == [
        (1, "DESTROYED", ""), (2, "ENABLED", sim.secrets()["refresh_token"])]


def test_unticked_scope_writes_nothing(start_auth, sim, sm_settings, secret_manager):
    sim.set_authorize_scope("read")
    run = start_auth(sm_settings)
    run.click()

    assert run.result() == 1
    assert secret_manager.calls("add_version") == 0
    assert all(secret_manager.versions(PROJECT, secret_id) == [] for secret_id in IDS.values())
