"""The cloud path: the webhook function turns events into Cloud Tasks tasks (the real client library
against the local fake), and the fake dispatches them to the sync function. Both are real
functions-framework servers; the warehouse is DuckDB (the BigQuery side of applying events is covered by
test_contract)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import requests

from tests.fixtures.cloudtasks import QUEUE

INVOKER = "strava-sync-sched@demo-project.iam.gserviceaccount.com"


def _cloud(hooked, function_server, cloud_tasks, tmp_path):
    """A subscribed athlete whose webhook function queues to Cloud Tasks for a running sync function."""
    world = hooked(f"duckdb:{tmp_path / 'strava.duckdb'}", webhook_env={
        "STRAVA_TASKS": f"cloudtasks:{QUEUE}", "CLOUD_TASKS_EMULATOR_HOST": cloud_tasks.url,
        "STRAVA_TASKS_SERVICE_ACCOUNT": INVOKER,
        # The sync function's URL is not known yet: tasks are sent to a stand-in, re-pointed below.
        "STRAVA_TASKS_TARGET_URL": "http://127.0.0.1:9/"})
    return world, function_server(world.env)


def _dispatch(cloud_tasks, url: str, now: datetime) -> list[requests.Response]:
    for task in cloud_tasks.waiting():
        task.url = url  # the stand-in target above, as Terraform would have set it
    return cloud_tasks.dispatch_due(now)


def test_events_become_named_delayed_tasks_that_the_sync_function_applies(hooked, function_server, cloud_tasks,
                                                                          tmp_path) -> None:
    world, sync_fn = _cloud(hooked, function_server, cloud_tasks, tmp_path)
    late = world.sim.add_activity(start_date="2020-05-01T08:00:00Z")
    sent = datetime.now(UTC)
    event = {"object_id": late["id"], "aspect_type": "create", "event_time": 1_700_000_123}
    assert world.deliver(**event) == [200]
    assert world.deliver(**event) == [200]  # Strava's retry: the same task name, refused by the queue
    (task,) = cloud_tasks.waiting()
    assert task.id == f"strava-activity-{late['id']}-create-1700000123"
    assert task.schedule_time >= sent + timedelta(minutes=2)  # streams get time to be ready
    assert task.service_account == INVOKER and task.body["webhook_event"]["object_id"] == late["id"]
    assert world.spooled() == []  # the cloud path never writes the local spool

    assert _dispatch(cloud_tasks, sync_fn.url, sent) == []  # not due yet
    (answer,) = _dispatch(cloud_tasks, sync_fn.url, sent + timedelta(minutes=5))
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["mode"] == "webhook" and summary["inserted"] == 1 and summary["api_calls"] == 2
    assert late["id"] in world.ids()


def test_with_streams_on_a_task_fetches_its_activitys_streams_only(hooked, function_server, cloud_tasks,
                                                                     tmp_path) -> None:
    world, _ = _cloud(hooked, function_server, cloud_tasks, tmp_path)
    sync_fn = function_server({**world.env, "STRAVA_STREAMS": "on"})
    late = world.sim.add_activity(start_date="2020-05-01T08:00:00Z")
    assert world.deliver(object_id=late["id"], aspect_type="create", event_time=1_700_000_456) == [200]
    (answer,) = _dispatch(cloud_tasks, sync_fn.url, datetime.now(UTC) + timedelta(minutes=5))
    summary = answer.json()
    assert answer.status_code == 200 and summary["inserted"] == 1, answer.text
    # the other 20 stored activities have no streams either: a task fetches its own activity's alone
    assert (summary["streams"], summary["streams_none"]) == (1, 0)
    assert {i for (i,) in world.query("SELECT activity_id FROM {t}activity_streams")} == {late["id"]}
    # token, the confirming read, the heart-rate zones (none stored yet: asked once), the streams
    assert summary["api_calls"] == 4


def test_a_task_stopped_by_the_budget_answers_429_and_is_retried(hooked, function_server, cloud_tasks,
                                                                  tmp_path) -> None:
    world, sync_fn = _cloud(hooked, function_server, cloud_tasks, tmp_path)
    activity = world.sim.activities[0]
    assert world.deliver(object_id=activity["id"], aspect_type="update", event_time=1_700_000_321) == [200]
    world.sim.set_usage(100, 0)  # the 15-minute window is spent: Strava answers the confirming read 429
    (answer,) = _dispatch(cloud_tasks, sync_fn.url, datetime.now(UTC) + timedelta(minutes=5))
    assert answer.status_code == 429  # retried by Cloud Tasks; below the >= 500 the request alert counts
    assert answer.json()["status"] == "partial" and answer.json()["error"]["kind"] == "rate_limited"


def test_a_confirmed_deauthorization_task_fails_the_run_with_500(hooked, function_server, cloud_tasks,
                                                                 tmp_path) -> None:
    world, sync_fn = _cloud(hooked, function_server, cloud_tasks, tmp_path)
    assert requests.post(f"{world.sim.url}/_sim/webhook/deauthorize", timeout=30).json()["attempts"] == [200]
    (answer,) = _dispatch(cloud_tasks, sync_fn.url, datetime.now(UTC) + timedelta(minutes=5))
    assert answer.status_code == 500
    assert answer.json()["status"] == "failed" and answer.json()["error"]["kind"] == "deauthorized"
    assert world.ids() == set()


def test_a_queue_outage_answers_503_and_strava_retries(hooked, function_server, cloud_tasks, tmp_path) -> None:
    world, _ = _cloud(hooked, function_server, cloud_tasks, tmp_path)
    cloud_tasks.fail("create", 403, "The principal lacks IAM permission cloudtasks.tasks.create")
    assert world.deliver(object_id=world.sim.activities[0]["id"]) == [503, 503, 503]
    errors = [line for line in world.server.json_logs() if "not accepted" in line.get("message", "")]
    assert "roles/cloudtasks.enqueuer" in errors[0]["message"]


def test_the_deployed_configuration_reads_its_secret_from_secret_manager(function_server, cloud_tasks,
                                                                         secret_manager) -> None:
    """As Terraform configures it: STRAVA_SECRETS=secretmanager:P (the strava-webhook secret only), tasks."""
    secret_manager.create("p1", "strava-webhook", json.dumps({"verify_token": "vt-cloud-1", "subscription_id": 5,
                                                              "athlete_id": 6}))
    server = function_server({"STRAVA_SECRETS": "secretmanager:p1", "SECRET_MANAGER_EMULATOR_HOST": secret_manager.url,
                              "STRAVA_TASKS": f"cloudtasks:{QUEUE}", "CLOUD_TASKS_EMULATOR_HOST": cloud_tasks.url,
                              "STRAVA_TASKS_TARGET_URL": "https://sync.example.run.app",
                              "STRAVA_TASKS_SERVICE_ACCOUNT": INVOKER}, target="webhook")
    check = requests.get(server.url, timeout=10, params={"hub.mode": "subscribe", "hub.challenge": "k",
                                                         "hub.verify_token": "vt-cloud-1"})
    assert check.status_code == 200 and check.json() == {"hub.challenge": "k"}
    event = {"object_type": "activity", "object_id": 9, "aspect_type": "delete", "updates": {}, "owner_id": 6,
             "subscription_id": 5, "event_time": 1_700_000_001}
    assert requests.post(server.url, json=event, timeout=10).json() == {"status": "queued"}
    assert requests.post(server.url, json=event | {"owner_id": 7}, timeout=10).json() == {"status": "ignored"}
    (task,) = cloud_tasks.waiting()
    assert task.url == "https://sync.example.run.app" and task.body == {"webhook_event": event}
