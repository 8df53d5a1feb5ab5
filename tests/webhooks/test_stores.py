"""Where `webhook subscribe` keeps its values: the secrets file (keys beside the OAuth ones, the rest as the
user wrote it) and Secret Manager (one JSON secret, through the real client library and the REST fake);
and the spool's durability and de-duplication across processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from strava.errors import ConfigError
from strava.queues.spool import SpoolQueue
from strava.secrets import Credentials, WebhookConfig, open_secret_store
from tests.paths import ROOT

OAUTH = {"client_id": 12345, "client_secret": "s", "refresh_token": "r"}


def test_file_store_adds_the_webhook_keys_and_keeps_what_the_user_wrote(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps(OAUTH | {"comment": "mine"}))
    store = open_secret_store(f"file:{path}")
    assert store.read_webhook() == WebhookConfig()
    store.save_webhook(WebhookConfig("tok", 77, 42))
    data = json.loads(path.read_text())
    assert data == OAUTH | {"comment": "mine", "webhook_verify_token": "tok", "webhook_subscription_id": 77,
                            "athlete_id": 42}
    assert store.read_webhook() == WebhookConfig("tok", 77, 42)
    store.save_refresh_token("r2")  # a rotation keeps the webhook keys
    store.save(Credentials("12345", "s", "r3"))  # so does `auth`
    assert store.read_webhook() == WebhookConfig("tok", 77, 42) and store.read().refresh_token == "r3"
    store.save_webhook(WebhookConfig("tok", None, 42))  # unsubscribed: the id goes
    assert "webhook_subscription_id" not in json.loads(path.read_text())
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("value", ["seven", True, -3, 1.5])
def test_file_store_refuses_a_subscription_id_that_is_not_a_number(tmp_path: Path, value) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps(OAUTH | {"webhook_subscription_id": value}))
    with pytest.raises(ConfigError, match="webhook_subscription_id must be a number"):
        open_secret_store(f"file:{path}").read_webhook()


def test_secret_manager_keeps_the_webhook_values_in_one_secret(secret_manager) -> None:
    secret_manager.create("p1", "strava-webhook")  # Terraform's empty container
    store = open_secret_store("secretmanager:p1")
    assert store.read_webhook() == WebhookConfig()
    store.save_webhook(WebhookConfig("vt-9f3", 77, 42))
    assert store.read_webhook() == WebhookConfig("vt-9f3", 77, 42)
    ((_, state, value),) = secret_manager.versions("p1", "strava-webhook")
    assert state == "ENABLED" and json.loads(value) == {"verify_token": "vt-9f3", "subscription_id": 77,
                                                         "athlete_id": 42}
    assert "vt-9f3" not in store.description and "vt-9f3" not in repr(store.read_webhook())


def test_secret_manager_without_the_container_says_to_apply_terraform(secret_manager) -> None:
    with pytest.raises(ConfigError, match="strava-webhook does not exist.*terraform apply"):
        open_secret_store("secretmanager:p1").read_webhook()


APPEND = """
import sys
from strava.queues.spool import SpoolQueue
q = SpoolQueue(sys.argv[1])
for n in range(40):
    q.enqueue(f"{sys.argv[2]}-{n % 20}", {"n": n})
"""


def test_spool_appends_from_several_processes_lose_nothing_and_keep_names_unique(tmp_path: Path) -> None:
    spool = tmp_path / "events.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", APPEND, str(spool), tag], cwd=ROOT) for tag in "abcd" * 2]
    assert [p.wait(timeout=60) for p in procs] == [0] * 8
    names = [t["name"] for t in SpoolQueue(spool).tasks()]
    assert sorted(names) == sorted(f"{tag}-{n}" for tag in "abcd" for n in range(20))


def test_spool_refuses_more_than_its_limit_and_removal_keeps_the_rest(tmp_path: Path) -> None:
    from strava.errors import QueueError

    spool = SpoolQueue(tmp_path / "events.jsonl", max_tasks=3)
    for n in range(3):
        assert spool.enqueue(f"t{n}", {"n": n})
    with pytest.raises(QueueError, match="holds 3 tasks"):
        spool.enqueue("t3", {})
    spool.remove({"t1"})
    assert [t["name"] for t in spool.tasks()] == ["t0", "t2"]
