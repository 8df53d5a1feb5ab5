"""SecretManagerStore against a local fake of Secret Manager's REST API, through the real client library."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from localservices.secretmanager import FakeSecretManager
from strava.errors import ConfigError
from strava.secrets import Credentials, open_secret_store
from strava.secrets.secretmanager import SecretManagerStore

P = "my-project"
TOKEN_ID = "strava-refresh-token"


@pytest.fixture
def seeded(secret_manager: FakeSecretManager) -> FakeSecretManager:
    secret_manager.create(P, "strava-client-id", "12345")
    secret_manager.create(P, "strava-client-secret", "app-secret")
    secret_manager.create(P, TOKEN_ID, "token-1", "token-2")
    return secret_manager


def test_read_returns_latest_values(seeded: FakeSecretManager) -> None:
    store = open_secret_store(f"secretmanager:{P}")
    assert store.read() == Credentials("12345", "app-secret", "token-2")
    assert "app-secret" not in store.description and "token-2" not in store.description


def test_rotation_adds_one_version_and_destroys_the_superseded(seeded: FakeSecretManager) -> None:
    seeded.create(P, TOKEN_ID, "token-3")
    seeded.handle("POST", f"/v1/projects/{P}/secrets/{TOKEN_ID}/versions/1:disable", {}, {})
    store = SecretManagerStore(P)
    store.save_refresh_token("token-new")
    assert seeded.calls("add_version") == 1
    assert seeded.versions(P, TOKEN_ID) == [(1, "DESTROYED", ""), (2, "DESTROYED", ""), (3, "DESTROYED", ""),
                                           (4, "ENABLED", "token-new")]
    assert store.read().refresh_token == "token-new"


def test_unchanged_token_writes_nothing(seeded: FakeSecretManager) -> None:
    SecretManagerStore(P).save_refresh_token("token-2")
    assert seeded.calls("add_version") == 0 and seeded.calls("destroy") == 0
    assert [v[1] for v in seeded.versions(P, TOKEN_ID)] == ["ENABLED", "ENABLED"]


@pytest.mark.parametrize("status", [403, 500])
def test_failed_write_raises_config_error_without_the_token(
        seeded: FakeSecretManager, status: int, caplog: pytest.LogCaptureFixture) -> None:
    seeded.fail("add_version", status)
    store = SecretManagerStore(P, retry_seconds=0.5)  # a 500 is retried, briefly here
    with caplog.at_level(logging.DEBUG), pytest.raises(ConfigError) as err:
        store.save_refresh_token("secret-token-value")
    assert TOKEN_ID in str(err.value) and "secret-token-value" not in str(err.value)
    assert "secret-token-value" not in caplog.text
    if status == 403:
        assert "roles/secretmanager.secretVersionManager" in str(err.value)
    else:
        assert seeded.calls("add_version") >= 2  # transient: retried before giving up
    seeded.clear_faults()
    assert store.read().refresh_token == "token-2"  # the previous token stays in force


def test_destroy_refused_falls_back_to_disable(seeded: FakeSecretManager, caplog: pytest.LogCaptureFixture) -> None:
    seeded.fail("destroy", 403)
    SecretManagerStore(P).save_refresh_token("token-3")
    assert [v[1] for v in seeded.versions(P, TOKEN_ID)] == ["DISABLED", "DISABLED", "ENABLED"]


def test_onboarding_save_fills_fresh_containers_once(secret_manager: FakeSecretManager) -> None:
    for secret_id in ("strava-client-id", "strava-client-secret", TOKEN_ID):
        secret_manager.create(P, secret_id)  # Terraform made the containers, without values
    store = SecretManagerStore(P)
    creds = Credentials("777", "shh", "first-token")
    store.save(creds)
    store.save(creds)  # idempotent: nothing changed, nothing written
    assert store.read() == creds
    assert secret_manager.calls("add_version") == 3
    assert secret_manager.versions(P, "strava-client-id") == [(1, "ENABLED", "777")]


def test_missing_secret_says_to_run_terraform(secret_manager: FakeSecretManager) -> None:
    with pytest.raises(ConfigError, match=r"strava-client-id does not exist in project my-project.*terraform apply"):
        SecretManagerStore(P).read()


def test_permission_denied_names_the_missing_role(seeded: FakeSecretManager) -> None:
    seeded.fail("access", 403)
    with pytest.raises(ConfigError, match=r"roles/secretmanager\.secretAccessor"):
        SecretManagerStore(P).read()


def test_secret_ids_from_env_and_value_whitespace(secret_manager: FakeSecretManager,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRAVA_SECRET_ID_CLIENT_ID", "cid")
    monkeypatch.setenv("STRAVA_SECRET_ID_CLIENT_SECRET", "csecret")
    monkeypatch.setenv("STRAVA_SECRET_ID_REFRESH_TOKEN", "rtoken")
    secret_manager.create(P, "cid", "1\n")  # pasted with a newline (echo | gcloud ... --data-file=-)
    secret_manager.create(P, "csecret", "s")
    secret_manager.create(P, "rtoken", "t")
    assert SecretManagerStore(P).read() == Credentials("1", "s", "t")


def test_bad_spec() -> None:
    with pytest.raises(ConfigError, match="not a project id"):
        SecretManagerStore.from_spec("projects/x")


def test_import_is_lazy() -> None:
    # `google` and `google.cloud` themselves are empty namespace packages a .pth file preloads
    code = ("import sys, strava.secrets.secretmanager; "
            "sys.exit(any(m.startswith(('google.cloud.', 'google.api_core')) for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
