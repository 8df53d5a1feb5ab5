locals {
  function_uri = google_cloudfunctions2_function.sync.service_config[0].uri
  # Cloud Scheduler must wait for the whole run; a shorter deadline would record a failure, and retry,
  # while the sync is still working. variables.tf caps the timeout so this stays within 1800 s.
  attempt_deadline = "${var.function_timeout_seconds + 60}s"

  scheduler_jobs = {
    incremental = {
      schedule    = var.schedule
      body        = "{}"
      description = "Incremental Strava sync (new and recently edited activities)."
    }
    reconcile = {
      schedule    = var.reconcile_schedule
      body        = jsonencode({ full = true })
      description = "Daily reconciliation pass (resumable): archives activities deleted on Strava within 48 hours, refreshes old edits."
    }
  }
}

resource "google_cloud_scheduler_job" "sync" {
  for_each = local.scheduler_jobs

  project          = var.project_id
  region           = var.region
  name             = "${var.function_name}-${each.key}"
  description      = each.value.description
  schedule         = each.value.schedule
  time_zone        = var.time_zone
  attempt_deadline = local.attempt_deadline

  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
    max_backoff_duration = "600s"
    max_doublings        = 3
  }

  http_target {
    http_method = "POST"
    uri         = local.function_uri
    body        = base64encode(each.value.body)
    headers     = { "Content-Type" = "application/json" }

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.function_uri
    }
  }

  depends_on = [google_project_service.required, google_cloud_run_v2_service_iam_member.scheduler_invoker]
}
