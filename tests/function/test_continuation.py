"""A function run stopped by the rate limit queues its continuation in Cloud Tasks (the local REST fake,
reached by the real client library); the task, dispatched after the window reset, finishes the work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from localservices.cloudtasks import FakeCloudTasks
from strava.continuation import GRACE, continuation
from strava.ratelimit import next_reset
from tests.fixtures.cloudtasks import QUEUE

INVOKER = "strava-sync-sched@demo-project.iam.gserviceaccount.com"
TARGET = "https://strava-sync-123456789.europe-west1.run.app"


def test_a_stopped_backfill_queues_one_continuation_that_finishes_it(deploy, cloud_tasks: FakeCloudTasks) -> None:
    d = deploy({"activities": 700, "read_limits": (6, 1000)},  # 3 requests per window: 4 pages need 2 windows
               STRAVA_TASKS=f"cloudtasks:{QUEUE}", STRAVA_TASKS_TARGET_URL=TARGET,
               STRAVA_TASKS_SERVICE_ACCOUNT=INVOKER, CLOUD_TASKS_EMULATOR_HOST=cloud_tasks.url)
    before = datetime.now(UTC)
    first = d.post({})
    assert first.status == 200 and first.body["status"] == "partial" and len(d.stored_ids()) == 600
    again = d.post({})  # a retry in the same window asks for the same continuation: still one task
    assert again.body["status"] == "partial"
    (task,) = cloud_tasks.waiting()
    reset = next_reset(before, "15min")
    assert task.id in (f"strava-incremental-{r:%Y%m%dT%H%M}Z" for r in (reset, reset + timedelta(minutes=15)))
    assert task.schedule_time - GRACE in (reset, reset + timedelta(minutes=15))
    assert (task.body, task.url, task.service_account, task.audience) == ({}, TARGET, INVOKER, TARGET)
    logged = [line for line in d.server.json_logs() if line.get("task") == task.id]
    assert [line["message"] for line in logged] == ["continuation scheduled", "continuation was already scheduled"]

    d.sim.advance_clock(900)  # Strava's window resets; Cloud Tasks dispatches the task at its time
    (answer,) = cloud_tasks.dispatch_due(task.schedule_time, url=d.server.url)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    assert d.stored_ids() == d.truth_ids() and cloud_tasks.waiting() == []


def test_without_a_queue_a_stopped_run_only_answers_partial(deploy, cloud_tasks: FakeCloudTasks) -> None:
    d = deploy({"activities": 700, "read_limits": (6, 1000)}, CLOUD_TASKS_EMULATOR_HOST=cloud_tasks.url)
    assert d.post({}).body["status"] == "partial"
    assert cloud_tasks.requests == []


def test_a_queue_failure_is_logged_and_the_run_still_answers_its_summary(deploy, cloud_tasks) -> None:
    cloud_tasks.fail("create", 403, "The principal lacks IAM permission cloudtasks.tasks.create")
    d = deploy({"activities": 700, "read_limits": (6, 1000)}, STRAVA_TASKS=f"cloudtasks:{QUEUE}",
               STRAVA_TASKS_TARGET_URL=TARGET, STRAVA_TASKS_SERVICE_ACCOUNT=INVOKER,
               CLOUD_TASKS_EMULATOR_HOST=cloud_tasks.url)
    answer = d.post({})
    assert answer.status == 200 and answer.body["status"] == "partial"
    errors = [line["message"] for line in d.server.json_logs() if line.get("severity") == "ERROR"]
    assert any("roles/cloudtasks.enqueuer" in message for message in errors), errors


def test_what_each_ending_asks_for() -> None:
    reset = datetime(2026, 12, 1, 0, 15, tzinfo=UTC)
    full = continuation("partial", "full", reset)
    assert (full.name, full.body, full.at) == ("strava-full-20261201T0015Z", {"full": True}, reset + GRACE)
    assert continuation("partial", "incremental", reset).body == {}
    assert continuation("ok", "full", None) is None and continuation("failed", "full", reset) is None
    assert continuation("partial", "full", None) is None  # stopped, but not by a window: no time to aim at
