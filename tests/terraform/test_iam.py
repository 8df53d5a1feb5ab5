"""Least privilege: exactly the grants the sync needs, each on the narrowest scope."""

import json
import re

from tests.terraform.hcl import TF_DIR, Module, quoted_strings

FUNCTION_SA = "${google_service_account.function.member}"
SCHEDULER_SA = "${google_service_account.scheduler.member}"
BUILD_SA = "${google_service_account.build.member}"
WEBHOOK_SA = "${google_service_account.webhook.member}"
REFRESH_TOKEN = "${google_secret_manager_secret.strava[local.refresh_token_secret].secret_id}"

# (resource type, role, scope attribute, scope value, member): nothing more, nothing less.
EXPECTED_GRANTS = {
    ("google_project_iam_member", "roles/bigquery.jobUser", "project", "${var.project_id}", FUNCTION_SA),
    ("google_bigquery_dataset_iam_member", "roles/bigquery.dataEditor", "dataset_id",
     "${google_bigquery_dataset.strava.dataset_id}", FUNCTION_SA),
    ("google_secret_manager_secret_iam_member", "roles/secretmanager.secretAccessor", "secret_id",
     "${each.value.secret_id}", FUNCTION_SA),
    ("google_secret_manager_secret_iam_member", "roles/secretmanager.secretVersionManager", "secret_id",
     REFRESH_TOKEN, FUNCTION_SA),
    ("google_cloud_run_v2_service_iam_member", "roles/run.invoker", "name",
     "${google_cloudfunctions2_function.sync.name}", SCHEDULER_SA),
    ("google_cloud_tasks_queue_iam_member", "roles/cloudtasks.enqueuer", "name",
     "${google_cloud_tasks_queue.continuations.name}", FUNCTION_SA),
    ("google_service_account_iam_member", "roles/iam.serviceAccountUser", "service_account_id",
     "${google_service_account.scheduler.name}", FUNCTION_SA),
    # The webhook function: read its secret, enqueue tasks carrying the scheduler's OIDC identity.
    ("google_secret_manager_secret_iam_member", "roles/secretmanager.secretAccessor", "secret_id",
     "${google_secret_manager_secret.webhook.secret_id}", WEBHOOK_SA),
    ("google_cloud_tasks_queue_iam_member", "roles/cloudtasks.enqueuer", "name",
     "${google_cloud_tasks_queue.continuations.name}", WEBHOOK_SA),
    ("google_service_account_iam_member", "roles/iam.serviceAccountUser", "service_account_id",
     "${google_service_account.scheduler.name}", WEBHOOK_SA),
    # Strava cannot authenticate: anyone may call the webhook function, and only it.
    ("google_cloud_run_v2_service_iam_member", "roles/run.invoker", "name",
     "${google_cloudfunctions2_function.webhook.name}", "allUsers"),
    *(("google_project_iam_member", role, "project", "${var.project_id}", BUILD_SA)
      for role in ("roles/logging.logWriter", "roles/artifactregistry.writer", "roles/storage.objectViewer")),
}
SCOPE_ATTRIBUTE = {
    "google_project_iam_member": "project",
    "google_bigquery_dataset_iam_member": "dataset_id",
    "google_secret_manager_secret_iam_member": "secret_id",
    "google_cloud_run_v2_service_iam_member": "name",
    "google_cloud_tasks_queue_iam_member": "name",
    "google_service_account_iam_member": "service_account_id",
}


def _grants(tf: Module) -> set[tuple[str, str, str, str, str]]:
    grants = set()
    for (type_, name), body in tf.resources.items():
        if type_.endswith("_iam_member"):
            assert type_ in SCOPE_ATTRIBUTE, f"{type_}.{name}: unexpected kind of grant"
            scope = SCOPE_ATTRIBUTE[type_]
            roles = [body["role"]]
            if body["role"] == "${each.value}":  # one grant per role of a literal set
                roles = quoted_strings(tf.locals[body["for_each"].removeprefix("${local.").removesuffix("}")])
            grants.update((type_, role, scope, body[scope], body["member"]) for role in roles)
    return grants


def test_grants_are_exactly_the_least_privileged_set(tf: Module) -> None:
    assert _grants(tf) == EXPECTED_GRANTS


def test_secret_accessor_covers_each_of_the_three_secrets(tf: Module) -> None:
    accessor = tf.resource("google_secret_manager_secret_iam_member", "function_secret_accessor")
    assert accessor["for_each"] == "${google_secret_manager_secret.strava}"
    secrets = tf.resource("google_secret_manager_secret", "strava")
    assert secrets["for_each"] == "${local.secret_ids}"
    assert tf.locals["refresh_token_secret"] == "strava-refresh-token"
    listed = set(quoted_strings(tf.locals["secret_ids"]))
    if "local.refresh_token_secret" in tf.locals["secret_ids"]:
        listed.add(tf.locals["refresh_token_secret"])
    assert listed == {"strava-client-id", "strava-client-secret", "strava-refresh-token"}


def test_run_invoker_is_on_this_functions_service_in_its_region(tf: Module) -> None:
    invoker = tf.resource("google_cloud_run_v2_service_iam_member", "scheduler_invoker")
    assert invoker["location"] == "${var.region}"
    assert tf.resource("google_cloudfunctions2_function", "sync")["location"] == "${var.region}"


def test_the_function_runs_as_its_own_service_account(tf: Module) -> None:
    service = tf.resource("google_cloudfunctions2_function", "sync")["service_config"][0]
    assert service["service_account_email"] == "${google_service_account.function.email}"


def test_the_function_builds_as_its_own_account_once_its_grant_has_propagated(tf: Module) -> None:
    function = tf.resource("google_cloudfunctions2_function", "sync")
    assert function["build_config"][0]["service_account"] == "${google_service_account.build.id}"
    wait = tf.resource("time_sleep", "build_grants_visible")
    assert wait["triggers"] == "${{for role, grant in google_project_iam_member.build : role => grant.id}}"
    assert tf.resource("google_project_iam_member", "build")["for_each"] == "${local.build_roles}"
    assert int(wait["create_duration"].rstrip("s")) >= 60
    assert "${time_sleep.build_grants_visible}" in function["depends_on"]
    accounts = {body["account_id"] for body in tf.of_type("google_service_account").values()}
    assert accounts == {"${var.function_name}-fn", "${var.function_name}-sched", "${var.function_name}-build",
                        "${var.function_name}-hook"}


def test_the_webhook_function_is_small_runs_as_its_own_account_and_queues_for_the_sync(tf: Module) -> None:
    webhook = tf.resource("google_cloudfunctions2_function", "webhook")
    assert webhook["build_config"][0]["entry_point"] == "webhook"
    service = webhook["service_config"][0]
    assert service["service_account_email"] == "${google_service_account.webhook.email}"
    assert service["max_instance_count"] == "${var.webhook_max_instances}"
    assert tf.variables["webhook_max_instances"]["default"] <= 5
    env = service["environment_variables"]
    assert env["STRAVA_TASKS"] == "cloudtasks:${local.tasks_queue}"
    assert env["STRAVA_TASKS_TARGET_URL"] == "${local.function_uri}"
    assert env["STRAVA_TASKS_SERVICE_ACCOUNT"] == "${google_service_account.scheduler.email}"
    assert "STRAVA_WAREHOUSE" not in env  # it never touches the warehouse
    for grant in ("${google_secret_manager_secret_iam_member.webhook_secret_accessor}",
                  "${google_cloud_tasks_queue_iam_member.webhook_enqueuer}",
                  "${google_service_account_iam_member.webhook_acts_as_invoker}"):
        assert grant in webhook["depends_on"]
    queue = tf.resource("google_cloud_tasks_queue", "continuations")  # shared with the continuations
    assert queue["rate_limits"][0]["max_concurrent_dispatches"] == 1
    assert 1 < queue["retry_config"][0]["max_attempts"] <= 10


def test_grants_the_function_needs_exist_before_it_does(tf: Module) -> None:
    needs = set(tf.resource("google_cloudfunctions2_function", "sync")["depends_on"])
    grants = {f"${{{type_}.{name}}}" for (type_, name), body in tf.resources.items()
              if type_.endswith("_iam_member") and body["member"] == FUNCTION_SA}
    assert grants <= needs, f"the function should depend on {sorted(grants - needs)}"


def test_only_additive_iam_resources() -> None:
    text = _all_tf_text()
    assert not re.search(r'resource\s+"\w+_iam_(binding|policy)"', text), \
        "_iam_binding/_iam_policy replace members granted elsewhere: use _iam_member"


def test_no_public_member_anywhere_but_the_webhook_invoker(tf: Module) -> None:
    public = {name for (type_, name), body in tf.resources.items() if "allUsers" in json.dumps(body)}
    assert public == {"webhook_public_invoker"}
    invoker = tf.resource("google_cloud_run_v2_service_iam_member", "webhook_public_invoker")
    assert invoker["name"] == "${google_cloudfunctions2_function.webhook.name}"
    everything = json.dumps([list(tf.data.values()), tf.locals, tf.outputs])
    assert "allUsers" not in everything
    assert "allAuthenticatedUsers" not in everything


def test_no_basic_role(tf: Module) -> None:
    roles = {body.get("role") for body in tf.resources.values()}
    assert not roles & {"roles/owner", "roles/editor", "roles/viewer"}


def test_no_dataset_access_blocks_beside_dataset_iam(tf: Module) -> None:
    # Mixing access {} with dataset IAM resources makes them fight over the same ACL.
    for body in tf.of_type("google_bigquery_dataset").values():
        assert "access" not in body


def _all_tf_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(TF_DIR.glob("*.tf")))
