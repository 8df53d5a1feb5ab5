"""The Cloud Tasks queue for continuations, and how the function is told about it."""

import pytest

from tests.terraform.hcl import Module, single


@pytest.fixture(scope="module")
def queue(tf: Module) -> dict:
    return tf.resource("google_cloud_tasks_queue", "continuations")


def test_one_dispatch_at_a_time_and_bounded_retries(tf: Module, queue: dict) -> None:
    assert single(queue["rate_limits"])["max_concurrent_dispatches"] == 1
    retry = single(queue["retry_config"])
    assert 1 <= retry["max_attempts"] <= 5 and retry["max_retry_duration"] == "3600s"
    assert queue["location"] == "${var.region}" and "cloudtasks.googleapis.com" in tf.locals["required_apis"]


def test_the_function_enqueues_to_itself_with_the_invokers_identity(tf: Module) -> None:
    env = single(tf.resource("google_cloudfunctions2_function", "sync")["service_config"])["environment_variables"]
    assert env["STRAVA_TASKS"] == "cloudtasks:${local.tasks_queue}"
    assert tf.locals["tasks_queue"] == (
        "projects/${var.project_id}/locations/${var.region}/queues/${google_cloud_tasks_queue.continuations.name}")
    assert env["STRAVA_TASKS_SERVICE_ACCOUNT"] == "${google_service_account.scheduler.email}"  # the invoker
    # Cloud Run's deterministic service URL: the function's own uri would be a dependency cycle.
    assert env["STRAVA_TASKS_TARGET_URL"] == "${local.function_run_url}"
    assert tf.locals["function_run_url"] == (
        "https://${var.function_name}-${data.google_project.this.number}.${var.region}.run.app")
