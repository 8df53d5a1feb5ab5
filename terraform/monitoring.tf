# The function logs one JSON line per run with event = "sync_finished" and status = ok, partial
# or failed; two log-based counters turn those lines into metrics the alert policies watch. A third
# counts the platform's own 5xx request log entries: a run that times out or whose instance is
# killed (out of memory) never logs its summary line, but Cloud Run still logs the failed request.
locals {
  sync_finished_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.function_name}\"",
    "jsonPayload.event=\"sync_finished\"",
  ])
  alert_channels = google_monitoring_notification_channel.email[*].id

  # Policies that fire as soon as their counter counts anything (5-minute alignment).
  count_alerts = {
    sync_failed = {
      metric    = google_logging_metric.sync_failed.name
      title     = "a run failed"
      condition = "A sync run finished with status failed"
      docs      = "A Strava sync run failed. Its `sync_finished` log line has `error_kind` and `error_message` (what happened and what to do); the `sync_runs` table in ${var.project_id}.${var.dataset_id} keeps the same row. See docs/operations.md."
    }
    requests_failed = {
      metric    = google_logging_metric.requests_failed.name
      title     = "a request failed, timed out or its instance was killed"
      condition = "The function answered a request with a 5xx"
      docs      = "The Strava sync function answered a request with a 5xx. If the \"a run failed\" alert fired too, that run logged why (`error_kind`). If it did not, the run never finished: a 504 is a timeout (raise function_timeout_seconds), a 500 or 503 without a `sync_finished` line usually an instance killed for exceeding its memory (raise function_memory); the function's logs around the request say which. See docs/operations.md."
    }
  }
}

resource "google_logging_metric" "sync_failed" {
  project     = var.project_id
  name        = "${var.function_name}-runs-failed"
  description = "Strava sync runs that finished with status failed."
  filter      = "${local.sync_finished_filter} AND jsonPayload.status=\"failed\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Failed Strava sync runs"
  }

  depends_on = [google_project_service.required]
}

resource "google_logging_metric" "sync_succeeded" {
  project     = var.project_id
  name        = "${var.function_name}-runs-succeeded"
  description = "Strava sync runs that finished with status ok or partial."
  filter      = "${local.sync_finished_filter} AND jsonPayload.status=(\"ok\" OR \"partial\")"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Successful Strava sync runs"
  }

  depends_on = [google_project_service.required]
}

resource "google_logging_metric" "requests_failed" {
  project     = var.project_id
  name        = "${var.function_name}-requests-failed"
  description = "Requests to the Strava sync function that ended in a 5xx (a failed run, a timeout, a killed instance)."
  filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.function_name}\"",
    "log_id(\"run.googleapis.com/requests\")",
    "httpRequest.status>=500",
  ])

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Failed Strava sync requests"
  }

  depends_on = [google_project_service.required]
}

# A new log-based metric takes a while to become visible to Cloud Monitoring; an alert policy created
# right after it fails with 404 "Cannot find metric(s)" (hashicorp/terraform-provider-google#11102).
# The function's build takes longer than this, so the wait costs a first apply nothing.
resource "time_sleep" "log_metrics_visible" {
  count = var.enable_alerts ? 1 : 0

  create_duration = "180s"
  triggers = {
    sync_failed     = google_logging_metric.sync_failed.id
    sync_succeeded  = google_logging_metric.sync_succeeded.id
    requests_failed = google_logging_metric.requests_failed.id
  }
}

resource "google_monitoring_notification_channel" "email" {
  count = var.enable_alerts && var.alert_email != "" ? 1 : 0

  project      = var.project_id
  display_name = "Strava sync alerts"
  type         = "email"
  labels       = { email_address = var.alert_email }

  depends_on = [google_project_service.required]
}

resource "google_monitoring_alert_policy" "on_count" {
  for_each = var.enable_alerts ? local.count_alerts : {}

  project               = var.project_id
  display_name          = "Strava sync: ${each.value.title} (${var.function_name})"
  combiner              = "OR"
  notification_channels = local.alert_channels

  conditions {
    display_name = each.value.condition

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${each.value.metric}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  depends_on = [time_sleep.log_metrics_visible]

  documentation {
    mime_type = "text/markdown"
    content   = each.value.docs
  }
}

# Earlier versions declared the failed-run policy on its own; keep it instead of replacing it.
moved {
  from = google_monitoring_alert_policy.sync_failed[0]
  to   = google_monitoring_alert_policy.on_count["sync_failed"]
}

resource "google_monitoring_alert_policy" "no_success" {
  count = var.enable_alerts ? 1 : 0

  project               = var.project_id
  display_name          = "Strava sync: no successful run for a day (${var.function_name})"
  combiner              = "OR"
  notification_channels = local.alert_channels

  conditions {
    display_name = "No ok or partial run for 23.5 hours"

    condition_absent {
      filter = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.sync_succeeded.name}\" AND resource.type=\"cloud_run_revision\""
      # 23.5 h is the longest absence Cloud Monitoring accepts: about four missed 6-hourly runs.
      duration = "84600s"

      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  depends_on = [time_sleep.log_metrics_visible]

  documentation {
    mime_type = "text/markdown"
    content   = "No Strava sync run succeeded for about a day: the scheduler may be paused, the function may crash before logging its summary, or every run failed. Check the scheduler jobs and the function logs. See docs/deploy.md."
  }
}
