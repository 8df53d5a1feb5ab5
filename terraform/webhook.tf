# Strava's webhook callback: a second, small function from the same source zip (entry point `webhook`).
# It validates each event and turns it into a Cloud Tasks task for the sync function, then answers 200:
# it never calls Strava or BigQuery, so it answers within Strava's 2 s even from a cold start.

resource "google_service_account" "webhook" {
  project      = var.project_id
  account_id   = "${var.function_name}-hook"
  display_name = "Strava webhook function (${var.function_name})"
  description  = "Receives Strava's webhook events: may only read the webhook secret and enqueue tasks."

  depends_on = [google_project_service.required]
}

# One JSON value written by `python -m strava webhook subscribe`: the verify token Strava echoes when it
# checks the callback, the subscription id and the athlete id that every event must carry.
resource "google_secret_manager_secret" "webhook" {
  project   = var.project_id
  secret_id = "strava-webhook"
  labels    = { app = "strava-sync" }

  replication {
    auto {}
  }

  depends_on = [google_project_service.required]
}

resource "google_cloudfunctions2_function" "webhook" {
  #checkov:skip=CKV_GCP_124:Strava posts webhook events from the internet (its addresses are not published), so ingress must be ALLOW_ALL; the function only validates and enqueues.
  project     = var.project_id
  name        = "${var.function_name}-webhook"
  location    = var.region
  description = "Strava webhook callback: queues each event for ${var.function_name}."
  labels      = { app = "strava-sync" }

  build_config {
    runtime         = "python312"
    entry_point     = "webhook"
    service_account = google_service_account.build.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    # A few instances absorb a burst (Strava sends one request per event); a flood cannot scale further.
    max_instance_count               = var.webhook_max_instances
    min_instance_count               = 0
    max_instance_request_concurrency = 1
    available_memory                 = "256M"
    timeout_seconds                  = 10
    # Strava calls from the internet and cannot authenticate (no OIDC): see the invoker below.
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.webhook.email

    environment_variables = {
      STRAVA_SECRETS               = "secretmanager:${var.project_id}"
      STRAVA_TASKS                 = "cloudtasks:${local.tasks_queue}"
      STRAVA_TASKS_TARGET_URL      = local.function_uri
      STRAVA_TASKS_SERVICE_ACCOUNT = google_service_account.scheduler.email
      GOOGLE_CLOUD_PROJECT         = var.project_id
    }
  }

  depends_on = [
    google_project_service.required,
    google_secret_manager_secret_iam_member.webhook_secret_accessor,
    google_cloud_tasks_queue_iam_member.webhook_enqueuer,
    google_service_account_iam_member.webhook_acts_as_invoker,
    time_sleep.build_grants_visible,
  ]
}

# Anyone may call the webhook function: Strava's requests carry no credentials and events are not
# signed. The function trusts nothing in them (subscription and athlete checked, every event confirmed by
# reading Strava back with our token), it is capped at var.webhook_max_instances, and its account can
# only read its secret and enqueue tasks.
resource "google_cloud_run_v2_service_iam_member" "webhook_public_invoker" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.webhook.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_secret_manager_secret_iam_member" "webhook_secret_accessor" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.webhook.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.webhook.member
}

resource "google_cloud_tasks_queue_iam_member" "webhook_enqueuer" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_tasks_queue.continuations.name
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.webhook.member
}

# A task carries an OIDC token of the scheduler's account (the sync function's only invoker); creating
# such a task needs actAs on that one account, nothing else.
resource "google_service_account_iam_member" "webhook_acts_as_invoker" {
  service_account_id = google_service_account.scheduler.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.webhook.member
}
