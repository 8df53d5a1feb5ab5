# A run that Strava's rate limit stopped with work left (a backfill, a reconciliation pass) queues its
# own continuation here, for just after the window resets (strava/continuation.py), and the webhook
# function queues each Strava event here (webhook.tf); every task POSTs to the sync function with an
# OIDC token of the scheduler's account, like the scheduler jobs do. One dispatch
# at a time, so continuations never overlap; a few bounded retries, after which the next scheduled run
# continues the work anyway.
resource "google_cloud_tasks_queue" "continuations" {
  project  = var.project_id
  location = var.region
  name     = "${var.function_name}-continue"

  rate_limits {
    max_concurrent_dispatches = 1
    max_dispatches_per_second = 1
  }

  retry_config {
    max_attempts       = 3
    min_backoff        = "60s"
    max_backoff        = "600s"
    max_doublings      = 3
    max_retry_duration = "3600s"
  }

  depends_on = [google_project_service.required]
}

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # Cloud Run's deterministic URL of the function's service: the function's own `uri` attribute would
  # make its environment depend on itself.
  function_run_url = "https://${var.function_name}-${data.google_project.this.number}.${var.region}.run.app"
  tasks_queue      = "projects/${var.project_id}/locations/${var.region}/queues/${google_cloud_tasks_queue.continuations.name}"
}

# Create tasks in this queue only.
resource "google_cloud_tasks_queue_iam_member" "function_enqueuer" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_tasks_queue.continuations.name
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.function.member
}

# A task carrying an OIDC token of the scheduler's account needs actAs on that account, and on no other.
resource "google_service_account_iam_member" "function_acts_as_invoker" {
  service_account_id = google_service_account.scheduler.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.function.member
}
