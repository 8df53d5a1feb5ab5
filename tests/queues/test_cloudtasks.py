"""CloudTasksQueue against a local fake of Cloud Tasks' REST API, through the real client library."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from localservices.cloudtasks import FakeCloudTasks
from strava.errors import ConfigError, QueueError
from strava.queues import open_task_queue
from strava.queues.cloudtasks import CloudTasksQueue
from tests.fixtures.cloudtasks import QUEUE

TARGET = "https://sync-abc-ew.a.run.app"
INVOKER = "strava-invoker@demo-project.iam.gserviceaccount.com"


@pytest.fixture
def function_stub() -> Iterator[SimpleNamespace]:
    """An HTTP endpoint standing for the function: records (JSON body, Authorization) of each POST."""
    stub = SimpleNamespace(received=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            stub.received.append((body, self.headers["Authorization"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()


def queue(**kwargs) -> CloudTasksQueue:
    return CloudTasksQueue.from_spec(QUEUE, target_url=TARGET, service_account=INVOKER, **kwargs)


def test_enqueue_creates_a_named_post_task_with_an_oidc_token(cloud_tasks: FakeCloudTasks) -> None:
    at = datetime(2026, 12, 1, 0, 15, 5, tzinfo=UTC)
    tasks = open_task_queue(f"cloudtasks:{QUEUE}", target_url=TARGET, service_account=INVOKER)
    assert tasks.enqueue("continue-run1-20261201T0015", {"full": True, "continues": "run1"}, at=at) is True
    (task,) = cloud_tasks.waiting()
    assert task.name == f"{QUEUE}/tasks/continue-run1-20261201T0015"
    assert task.body == {"full": True, "continues": "run1"}
    assert task.url == TARGET and task.audience == TARGET and task.service_account == INVOKER
    assert task.headers["Content-Type"] == "application/json"
    assert task.schedule_time == at
    assert task.dispatch_deadline == "1800s"  # a run may take minutes: Cloud Tasks waits as long as it allows


def test_the_same_name_twice_makes_one_task(cloud_tasks: FakeCloudTasks) -> None:
    assert queue().enqueue("continue-x", {}) is True
    assert queue().enqueue("continue-x", {"other": 1}) is False
    assert [t.body for t in cloud_tasks.waiting()] == [{}]


def test_a_name_that_already_ran_is_not_queued_again(cloud_tasks: FakeCloudTasks, function_stub) -> None:
    q = open_task_queue(f"cloudtasks:{QUEUE}", target_url=function_stub.url, service_account=INVOKER)
    assert q.enqueue("continue-y", {"n": 1}) is True
    (answer,) = cloud_tasks.dispatch_due(datetime.now(UTC))
    assert answer.status_code == 200
    assert function_stub.received == [({"n": 1}, f"Bearer oidc:{INVOKER}|{function_stub.url}")]
    assert q.enqueue("continue-y", {"n": 1}) is False and cloud_tasks.waiting() == []


def test_names_are_made_valid_task_ids(cloud_tasks: FakeCloudTasks) -> None:
    assert queue().enqueue("run 2026-12-01T00:15:00+00:00/daily", {}) is True
    assert cloud_tasks.waiting()[0].id == "run-2026-12-01T00-15-00-00-00-daily"


def test_a_missing_queue_says_to_apply_terraform(cloud_tasks: FakeCloudTasks) -> None:
    cloud_tasks.queues.clear()
    with pytest.raises(ConfigError, match="does not exist: run `terraform apply`"):
        queue().enqueue("t", {})


@pytest.mark.parametrize(("message", "role"), [
    ("The principal lacks IAM permission cloudtasks.tasks.create", "roles/cloudtasks.enqueuer on queue"),
    ("The principal lacks iam.serviceAccounts.actAs permission", f"roles/iam.serviceAccountUser on {INVOKER}"),
])
def test_permission_errors_name_the_missing_role(cloud_tasks: FakeCloudTasks, message: str, role: str) -> None:
    cloud_tasks.fail("create", 403, message)
    with pytest.raises(ConfigError, match="permission denied") as err:
        queue().enqueue("t", {})
    assert role in str(err.value)


def test_an_outage_is_retried_then_reported_as_a_queue_error(cloud_tasks: FakeCloudTasks) -> None:
    cloud_tasks.fail("create", 503)
    with pytest.raises(QueueError, match="UNAVAILABLE|ServiceUnavailable"):
        queue(retry_seconds=0.5).enqueue("t", {})
    assert len(cloud_tasks.requests) > 1  # retried before giving up


def test_an_unreachable_service_is_a_queue_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUD_TASKS_EMULATOR_HOST", "127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(QueueError, match="could not create a task"):
        queue(retry_seconds=0.3).enqueue("t", {})


@pytest.mark.parametrize(("spec", "url", "account", "problem"), [
    ("cloudtasks:my-queue", TARGET, INVOKER, "is not a queue name"),
    (f"cloudtasks:{QUEUE}", "ftp://x", INVOKER, "not an http"),
    (f"cloudtasks:{QUEUE}", TARGET, "invoker", "not a service account"),
    ("sqs:whatever", TARGET, INVOKER, "STRAVA_TASKS"),
])
def test_bad_configuration_is_a_clear_config_error(spec: str, url: str, account: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        open_task_queue(spec, target_url=url, service_account=account)


def test_importing_the_package_loads_no_google_library() -> None:
    code = "import sys, strava.queues; print(any(m.startswith('google.api_core') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
