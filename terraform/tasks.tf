# The task queue the webhook function fills (one task per Strava event, named from it so Strava's
# retries are one task) and that delivers each task to the sync function with an OIDC token of the
# scheduler's account, the one identity allowed to invoke it.
resource "google_cloud_tasks_queue" "sync" {
  project  = var.project_id
  name     = "${var.function_name}-tasks"
  location = var.region

  # The sync function runs one request at a time: one dispatch at a time, and few per second, keep
  # Strava's read budget for the scheduled runs.
  rate_limits {
    max_concurrent_dispatches = 1
    max_dispatches_per_second = 1
  }

  # A task whose run failed (Strava down, its budget spent: the function answers 5xx) is tried again,
  # backing off to the next 15-minute window, then dropped: the next scheduled run's look-back and the
  # daily reconciliation still catch what it was about.
  retry_config {
    max_attempts       = 5
    min_backoff        = "60s"
    max_backoff        = "900s"
    max_doublings      = 4
    max_retry_duration = "7200s"
  }

  depends_on = [google_project_service.required]
}
