"""`awssecrets:NAME` against moto's Secrets Manager with the real boto3 client."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from strava.errors import ConfigError
from strava.secrets import Credentials, WebhookConfig, open_secret_store
from strava.settings import Settings
from strava.sync import run_sync
from tests.fixtures.moto import REGION

VALUE = {"client_id": "123", "client_secret": "s3cr3t-value", "refresh_token": "tok-old"}


def stages(secretsmanager, name: str) -> dict[str, list[str]]:
    """{secret string: its staging labels} for every version still kept."""
    versions = secretsmanager.list_secret_version_ids(SecretId=name)["Versions"]
    return {secretsmanager.get_secret_value(SecretId=name, VersionId=v["VersionId"])["SecretString"]:
            sorted(v.get("VersionStages", [])) for v in versions}


def test_reads_the_json_object_and_saves_a_rotated_token_as_awscurrent(secretsmanager, secret_name):
    secretsmanager.create_secret(Name=secret_name, SecretString=json.dumps({**VALUE, "note": "kept"}))
    store = open_secret_store(f"awssecrets:{secret_name}")
    assert store.read() == Credentials("123", "s3cr3t-value", "tok-old")

    store.save_refresh_token("tok-new")
    assert store.read().refresh_token == "tok-new"
    current = json.loads(secretsmanager.get_secret_value(SecretId=secret_name)["SecretString"])
    assert current == {**VALUE, "note": "kept", "refresh_token": "tok-new"}
    assert sorted(stages(secretsmanager, secret_name).values()) == [["AWSCURRENT"], ["AWSPREVIOUS"]]

    store.save_refresh_token("tok-new")  # unchanged: no new version
    assert len(stages(secretsmanager, secret_name)) == 2


def test_auth_save_creates_the_secret_when_it_does_not_exist(secretsmanager, secret_name):
    store = open_secret_store(f"awssecrets:{secret_name}")
    with pytest.raises(ConfigError, match="does not exist"):
        store.read()
    store.save(Credentials("9", "app-secret", "first-token"))
    assert store.read() == Credentials("9", "app-secret", "first-token")


@pytest.mark.parametrize("stored", ["not json s3cr3t-value", json.dumps(["s3cr3t-value"]),
                                    json.dumps({"client_id": "1", "client_secret": "s3cr3t-value"})])
def test_a_malformed_value_is_a_config_error_that_never_quotes_it(secretsmanager, secret_name, stored):
    secretsmanager.create_secret(Name=secret_name, SecretString=stored)
    with pytest.raises(ConfigError) as caught:
        open_secret_store(f"awssecrets:{secret_name}").read()
    assert secret_name in str(caught.value) and "s3cr3t-value" not in str(caught.value)


def test_a_secret_deleted_mid_run_fails_the_rotation_save_cleanly(secretsmanager, secret_name, make_simulator,
                                                                  tmp_path, capsys, caplog):
    """Strava rotates the token; the secret is deleted just before PutSecretValue: the run fails with a
    config error that says what to do, and neither token appears in the summary or the logs."""
    sim = make_simulator(activities=5, seed=2, rotate=True)
    secretsmanager.create_secret(Name=secret_name, SecretString=json.dumps(sim.secrets()))
    store = open_secret_store(f"awssecrets:{secret_name}")
    old_token = sim.secrets()["refresh_token"]

    def delete_first(**_) -> None:  # a hook that returns None lets the call go on
        secretsmanager.delete_secret(SecretId=secret_name)

    store.client.meta.events.register("before-call.secrets-manager.PutSecretValue", delete_first)
    settings = replace(Settings(), api_url=sim.api_url, oauth_url=sim.oauth_url,
                       warehouse=f"duckdb:{tmp_path / 'w.duckdb'}")
    summary = run_sync(settings, secrets=store).to_dict()
    assert summary["status"] == "failed" and summary["error"]["kind"] == "config"
    assert "saving it to" in summary["error"]["message"] and secret_name in summary["error"]["message"]
    assert "python -m strava auth" in summary["error"]["message"]
    out = capsys.readouterr()
    new_token = sim.secrets()["refresh_token"]
    assert new_token != old_token
    for token in (old_token, new_token):
        assert token not in json.dumps(summary) + out.out + out.err + caplog.text


def test_region_comes_from_aws_region(aws_env, secret_name):
    assert open_secret_store(f"awssecrets:{secret_name}").client.meta.region_name == REGION


def test_the_webhook_values_live_beside_the_oauth_ones_in_the_one_secret(secretsmanager, secret_name):
    secretsmanager.create_secret(Name=secret_name, SecretString=json.dumps(VALUE))
    store = open_secret_store(f"awssecrets:{secret_name}")
    assert store.read_webhook() == WebhookConfig()  # never subscribed
    store.save_webhook(WebhookConfig("verify-me", 42, 134815))
    assert store.read_webhook() == WebhookConfig("verify-me", 42, 134815)
    assert store.read() == Credentials("123", "s3cr3t-value", "tok-old")  # the OAuth values untouched
    store.save_webhook(WebhookConfig())  # unsubscribed: the keys go
    assert json.loads(secretsmanager.get_secret_value(SecretId=secret_name)["SecretString"]) == VALUE
