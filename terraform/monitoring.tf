# The function logs one JSON line per run with event = "sync_finished" and status = ok, partial
# or failed; two log-based counters turn those lines into metrics the alert policies watch.
locals {
  sync_finished_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.function_name}\"",
    "jsonPayload.event=\"sync_finished\"",
  ])
  alert_channels = google_monitoring_notification_channel.email[*].id
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

resource "google_monitoring_notification_channel" "email" {
  count = var.enable_alerts && var.alert_email != "" ? 1 : 0

  project      = var.project_id
  display_name = "Strava sync alerts"
  type         = "email"
  labels       = { email_address = var.alert_email }

  depends_on = [google_project_service.required]
}

resource "google_monitoring_alert_policy" "sync_failed" {
  count = var.enable_alerts ? 1 : 0

  project               = var.project_id
  display_name          = "Strava sync: a run failed (${var.function_name})"
  combiner              = "OR"
  notification_channels = local.alert_channels

  conditions {
    display_name = "A sync run finished with status failed"

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.sync_failed.name}\" AND resource.type=\"cloud_run_revision\""
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

  documentation {
    mime_type = "text/markdown"
    content   = "A Strava sync run failed. Its `sync_finished` log line has `error_kind` and `error_message` (what happened and what to do); the `sync_runs` table in ${var.project_id}.${var.dataset_id} keeps the same row. See docs/deploy.md."
  }
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

  documentation {
    mime_type = "text/markdown"
    content   = "No Strava sync run succeeded for about a day: the scheduler may be paused, the function may crash before logging its summary, or every run failed. Check the scheduler jobs and the function logs. See docs/deploy.md."
  }
}
