"""Module hygiene: variables, providers, APIs, secrets without values, outputs."""

import re

from tests.terraform.hcl import TF_DIR, Module, single, var_refs

REQUIRED_APIS = {
    "artifactregistry", "bigquery", "cloudbuild", "cloudfunctions", "cloudresourcemanager", "cloudscheduler",
    "cloudtasks", "iam",
    "logging", "monitoring", "run", "secretmanager", "storage",
}


def test_every_variable_used_is_declared_and_every_declared_one_used(tf: Module) -> None:
    used = var_refs([list(tf.resources.values()), list(tf.data.values()), tf.locals, tf.outputs, tf.other])
    declared = set(tf.variables)
    assert used - declared == set(), "undeclared variables"
    assert declared - used == set(), "declared but unused variables"


def test_every_variable_has_a_description_and_a_type(tf: Module) -> None:
    for name, body in tf.variables.items():
        assert body.get("description"), name
        assert body.get("type"), name


def test_defaults_documented_in_the_brief(tf: Module) -> None:
    v = tf.variables
    assert v["schedule"]["default"] == "0 */6 * * *"
    assert v["function_memory"]["default"] == "512M"
    assert v["function_timeout_seconds"]["default"] == 540
    assert v["allow_public_ingress"]["default"] is False
    assert v["deletion_protection"]["default"] is True
    assert v["alert_email"]["default"] == ""
    assert "project_id" in v and "default" not in v["project_id"], "project_id must be given"


def test_providers_are_pinned_to_a_range() -> None:
    text = (TF_DIR / "versions.tf").read_text(encoding="utf-8")
    for provider in ("google", "archive", "time"):
        block = re.search(provider + r"\s*=\s*\{(.*?)\}", text, re.S)
        assert block, provider
        assert re.search(r'version\s*=\s*">=\s*[\d.]+,\s*<\s*[\d.]+"', block.group(1)), provider


def test_required_apis_enabled_and_never_disabled_on_destroy(tf: Module) -> None:
    service = tf.resource("google_project_service", "required")
    assert service["for_each"] == "${local.required_apis}"
    assert service["disable_on_destroy"] is False
    apis = set(re.findall(r'"([a-z]+)\.googleapis\.com"', tf.locals["required_apis"]))
    assert apis == REQUIRED_APIS


def test_secrets_are_containers_without_versions_or_values(tf: Module) -> None:
    assert not tf.of_type("google_secret_manager_secret_version")
    assert not any(type_ == "google_secret_manager_secret_version" for type_, _ in tf.data)
    for name, secret in tf.of_type("google_secret_manager_secret").items():
        assert single(secret["replication"]) == {"auto": [{}]}, name
        assert "secret_data" not in str(secret)


def test_alert_channel_is_optional_and_policies_watch_the_log_metrics(tf: Module) -> None:
    channel = tf.resource("google_monitoring_notification_channel", "email")
    assert channel["count"] == '${var.enable_alerts && var.alert_email != "" ? 1 : 0}'
    base = tf.locals["sync_finished_filter"]
    for clause in ('resource.type=\\"cloud_run_revision\\"', 'jsonPayload.event=\\"sync_finished\\"'):
        assert clause in base
    failed = tf.resource("google_logging_metric", "sync_failed")["filter"]
    ok = tf.resource("google_logging_metric", "sync_succeeded")["filter"]
    assert failed == '${local.sync_finished_filter} AND jsonPayload.status="failed"'
    assert ok == '${local.sync_finished_filter} AND jsonPayload.status=("ok" OR "partial")'
    absent = single(tf.resource("google_monitoring_alert_policy", "no_success")["conditions"])
    assert "sync_succeeded" in single(absent["condition_absent"])["filter"]
    assert int(single(absent["condition_absent"])["duration"].rstrip("s")) <= 84600  # API maximum
    on_count = tf.resource("google_monitoring_alert_policy", "on_count")
    assert on_count["for_each"] == "${var.enable_alerts ? local.count_alerts : {}}"
    threshold = single(single(on_count["conditions"])["condition_threshold"])
    assert threshold["filter"].startswith('metric.type="logging.googleapis.com/user/${each.value.metric}"')
    assert threshold["comparison"] == "COMPARISON_GT" and threshold["threshold_value"] == 0
    assert tf.locals["count_alerts"]["sync_failed"]["metric"] == "${google_logging_metric.sync_failed.name}"


def test_a_failed_request_alerts_even_when_the_run_logged_nothing(tf: Module) -> None:
    """A timeout or a killed instance logs no sync_finished line; Cloud Run's request log still has the 5xx."""
    metric = tf.resource("google_logging_metric", "requests_failed")["filter"]
    for clause in ('resource.type=\\"cloud_run_revision\\"', 'resource.labels.service_name=\\"${var.function_name}\\"',
                   'log_id(\\"run.googleapis.com/requests\\")', "httpRequest.status>=500"):
        assert clause in metric, clause
    alert = tf.locals["count_alerts"]["requests_failed"]  # fires on any count (see the test above)
    assert alert["metric"] == "${google_logging_metric.requests_failed.name}"
    assert "timeout" in alert["docs"] and "memory" in alert["docs"]


def test_alert_policies_wait_until_their_log_metrics_are_visible(tf: Module) -> None:
    """Without the wait the first apply fails with 404 "Cannot find metric(s)" (provider issue 11102)."""
    wait = tf.resource("time_sleep", "log_metrics_visible")
    metrics = {f"${{google_logging_metric.{name}.id}}" for name in tf.of_type("google_logging_metric")}
    assert set(wait["triggers"].values()) == metrics
    assert int(wait["create_duration"].rstrip("s")) >= 60
    assert wait["count"] == "${var.enable_alerts ? 1 : 0}"
    for name, policy in tf.of_type("google_monitoring_alert_policy").items():
        assert policy["depends_on"] == ["${time_sleep.log_metrics_visible}"], name
        assert "var.enable_alerts ?" in policy.get("count", policy.get("for_each")), name


def test_region_accepts_one_and_two_digit_regions(tf: Module) -> None:
    pattern = re.fullmatch(r'\$\{can\(regex\("(.+)", var\.region\)\)\}',
                           single(tf.variables["region"]["validation"])["condition"]).group(1)
    for region in ("europe-west1", "europe-west10", "europe-west12", "us-central1", "northamerica-northeast2"):
        assert re.fullmatch(pattern, region), region
    for region in ("europe-west", "europe-west123", "EU", "europe-west1-b", "us"):
        assert not re.fullmatch(pattern, region), region


def test_outputs_for_the_deploy_script_and_the_docs(tf: Module) -> None:
    outputs = tf.outputs
    for name in ("function_url", "dataset", "manual_run_command", "looker_studio_url", "project_id",
                 "public_ingress", "scheduler_jobs"):
        assert name in outputs, name
    curl = outputs["manual_run_command"]["value"]
    assert curl.startswith('curl -X POST -H "Authorization: bearer $(gcloud auth print-identity-token)"')
    assert curl.endswith("-d '{}' ${local.function_uri}")
    link = str(tf.locals["looker_studio_links"])
    for param in ("ds.ds0.connector=bigQuery", "ds.ds0.type=TABLE", "ds.ds0.projectId=${var.project_id}",
                  "ds.ds0.datasetId=${var.dataset_id}", "ds.ds0.tableId=${name}"):
        assert param in link, param


def test_readme_documents_every_input_and_output(tf: Module) -> None:
    readme = (TF_DIR / "README.md").read_text(encoding="utf-8")
    for name in [*tf.variables, *tf.outputs]:
        assert f"`{name}`" in readme, f"terraform/README.md does not mention `{name}`"
