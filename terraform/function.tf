locals {
  repo_root = "${path.module}/.."
  # Only what the function imports (tests/terraform/test_function.py compares this list with the
  # modules main.py reaches) and the view SQL the BigQuery warehouse reads; no simulator, CLI, report,
  # DuckDB, or bytecode caches.
  function_modules = [
    "main.py",
    "strava/__init__.py",
    "strava/analytics/__init__.py",
    "strava/analytics/views.py",
    "strava/client.py",
    "strava/continuation.py",
    "strava/details.py",
    "strava/durable.py",
    "strava/errors.py",
    "strava/events.py",
    "strava/gcp.py",
    "strava/http.py",
    "strava/intake.py",
    "strava/logs.py",
    "strava/power.py",
    "strava/queues/__init__.py",
    "strava/queues/base.py",
    "strava/queues/cloudtasks.py",
    "strava/queues/spool.py",
    "strava/ratelimit.py",
    "strava/reconcile.py",
    "strava/schema.py",
    "strava/secrets/__init__.py",
    "strava/secrets/base.py",
    "strava/secrets/file.py",
    "strava/secrets/secretmanager.py",
    "strava/settings.py",
    "strava/streams.py",
    "strava/sync.py",
    "strava/trigger.py",
    "strava/warehouse/__init__.py",
    "strava/warehouse/base.py",
    "strava/warehouse/bigquery.py",
    "strava/warehouse/bigquery_schema.py",
    "strava/warehouse/upgrade.py",
    "strava/weather/__init__.py",
    "strava/weather/backfill.py",
    "strava/weather/hourly.py",
    "strava/weather/openmeteo.py",
    "strava/weather/route.py",
    "strava/webhook.py",
  ]
  function_view_sql     = "strava/analytics/sql/bigquery/*.sql"
  function_source_files = concat(local.function_modules, tolist(fileset(local.repo_root, local.function_view_sql)))
}

data "archive_file" "function_source" {
  type        = "zip"
  output_path = "${path.module}/.terraform/function-source.zip"

  dynamic "source" {
    for_each = toset(local.function_source_files)
    content {
      filename = source.value
      content  = file("${local.repo_root}/${source.value}")
    }
  }

  # Cloud Build installs the zip's requirements.txt: the function's own set, not the CLI's duckdb,
  # pyarrow and matplotlib (the root requirements.txt includes this file and adds those).
  source {
    filename = "requirements.txt"
    content  = file("${local.repo_root}/requirements-function.txt")
  }
}

resource "google_storage_bucket" "function_source" {
  #checkov:skip=CKV_GCP_62:The bucket only holds build inputs written by Terraform; Cloud Audit Logs already record admin access, and an access-log bucket would be a second bucket nobody reads.
  project                     = var.project_id
  name                        = "${var.project_id}-${var.function_name}-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true # build inputs only: terraform destroy may empty it
  labels                      = { app = "strava-sync" }

  versioning {
    enabled = true
  }

  # Each deploy uploads an object under a new (content-hash) name and Terraform deletes the previous
  # one, which versioning keeps as a noncurrent version: restorable for 30 days, then gone. The live
  # zip is never touched (an age rule would delete it, and a rebuild would then find no source).
  lifecycle_rule {
    condition {
      with_state                 = "ARCHIVED"
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.required]
}

resource "google_storage_bucket_object" "function_source" {
  # Named by content hash: a code change gives a new object name, which redeploys the function.
  name   = "function-source-${data.archive_file.function_source.output_md5}.zip"
  bucket = google_storage_bucket.function_source.name
  source = data.archive_file.function_source.output_path
}

resource "google_cloudfunctions2_function" "sync" {
  project     = var.project_id
  name        = var.function_name
  location    = var.region
  description = "Syncs Strava activities into BigQuery ${var.project_id}.${var.dataset_id}."
  labels      = { app = "strava-sync" }

  build_config {
    runtime         = "python312"
    entry_point     = "run"
    service_account = google_service_account.build.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    # One run at a time: two concurrent syncs would race on the rotating refresh token.
    max_instance_count               = 1
    min_instance_count               = 0
    max_instance_request_concurrency = 1
    available_memory                 = var.function_memory
    timeout_seconds                  = var.function_timeout_seconds
    # Internal only: Cloud Scheduler in this project counts as internal. ALLOW_ALL still needs IAM.
    ingress_settings               = var.allow_public_ingress ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.function.email

    environment_variables = {
      STRAVA_WAREHOUSE     = "bigquery:${var.project_id}.${var.dataset_id}"
      STRAVA_SECRETS       = "secretmanager:${var.project_id}"
      STRAVA_LOOKBACK_DAYS = tostring(var.lookback_days)
      STRAVA_WEATHER       = var.weather ? "on" : "off"
      # Log lines carry a trace field built from the project id (Cloud Run does not set this itself).
      GOOGLE_CLOUD_PROJECT = var.project_id
      # A run stopped by the rate limit queues its continuation (terraform/tasks.tf).
      STRAVA_TASKS                 = "cloudtasks:${local.tasks_queue}"
      STRAVA_TASKS_TARGET_URL      = local.function_run_url
      STRAVA_TASKS_SERVICE_ACCOUNT = google_service_account.scheduler.email
    }
  }

  depends_on = [
    google_project_service.required,
    # The first run must find its permissions in place.
    google_project_iam_member.function_bigquery_job_user,
    google_bigquery_dataset_iam_member.function_data_editor,
    google_secret_manager_secret_iam_member.function_secret_accessor,
    google_secret_manager_secret_iam_member.function_refresh_token_manager,
    google_cloud_tasks_queue_iam_member.function_enqueuer,
    google_service_account_iam_member.function_acts_as_invoker,
    # The first build must find its account's roles in place.
    time_sleep.build_grants_visible,
  ]
}
