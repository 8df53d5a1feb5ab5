"""Cloud Scheduler reaches the function with an OIDC token and waits long enough for a run."""

import re

import pytest

from tests.terraform.hcl import Module, single

FUNCTION_URI = "${google_cloudfunctions2_function.sync.service_config[0].uri}"


@pytest.fixture(scope="module")
def job(tf: Module) -> dict:
    return tf.resource("google_cloud_scheduler_job", "sync")


def _resolve(tf: Module, expression: str) -> str:
    """Follow one `${local.x}` indirection."""
    match = re.fullmatch(r"\$\{local\.(\w+)\}", expression)
    return tf.locals[match.group(1)] if match else expression


def test_posts_to_the_function_uri_with_an_oidc_token_of_the_scheduler_sa(tf: Module, job: dict) -> None:
    target = single(job["http_target"])
    assert target["http_method"] == "POST"
    assert _resolve(tf, target["uri"]) == FUNCTION_URI
    assert target["headers"] == {"Content-Type": "application/json"}
    oidc = single(target["oidc_token"])
    assert oidc["service_account_email"] == "${google_service_account.scheduler.email}"
    assert _resolve(tf, oidc["audience"]) == FUNCTION_URI
    assert "oauth_token" not in target  # OAuth tokens are for *.googleapis.com, not Cloud Run


def test_two_jobs_incremental_every_six_hours_and_a_daily_reconciliation(tf: Module, job: dict) -> None:
    assert job["for_each"] == "${local.scheduler_jobs}"
    assert single(job["http_target"])["body"] == "${base64encode(each.value.body)}"
    jobs = tf.locals["scheduler_jobs"]
    assert set(jobs) == {"incremental", "reconcile"}
    assert jobs["incremental"]["body"] == "{}"
    assert jobs["incremental"]["schedule"] == "${var.schedule}"
    assert tf.variables["schedule"]["default"] == "0 */6 * * *"
    assert jobs["reconcile"]["body"] == "${jsonencode({full = true})}"
    assert jobs["reconcile"]["schedule"] == "${var.reconcile_schedule}"
    minute, hour, *days = tf.variables["reconcile_schedule"]["default"].split()
    assert days == ["*", "*", "*"], "deletions must be reflected within 48 hours: the pass runs every day"
    assert minute.isdigit() and hour.isdigit(), "once a day, not more often: the daily read budget is shared"


def test_attempt_deadline_outlasts_every_allowed_function_timeout(tf: Module, job: dict) -> None:
    deadline = _resolve(tf, job["attempt_deadline"])
    match = re.fullmatch(r"\$\{var\.function_timeout_seconds \+ (\d+)\}s", deadline)
    assert match, f"unexpected attempt_deadline expression {deadline!r}"
    margin = int(match.group(1))
    assert margin >= 30, "the scheduler should wait a little longer than the run itself"
    timeout = tf.variables["function_timeout_seconds"]
    condition = single(timeout["validation"])["condition"]
    low, high = map(int, re.findall(r"var\.function_timeout_seconds [<>]= (\d+)", condition))
    assert low + margin >= 15, "Cloud Scheduler refuses attempt deadlines under 15 s"
    assert high + margin <= 1800, "Cloud Scheduler refuses attempt deadlines above 30 minutes"
    assert low <= timeout["default"] <= high
    service = single(tf.resource("google_cloudfunctions2_function", "sync")["service_config"])
    assert service["timeout_seconds"] == "${var.function_timeout_seconds}"


def test_retries_and_time_zone(tf: Module, job: dict) -> None:
    retry = single(job["retry_config"])
    assert retry["retry_count"] == 3
    assert retry["min_backoff_duration"] == "60s"
    assert retry["max_backoff_duration"] == "600s"
    assert job["time_zone"] == "${var.time_zone}"
    assert job["region"] == "${var.region}"
