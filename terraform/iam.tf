# Least privilege, additive grants only (_iam_member): _iam_binding/_iam_policy would remove
# members that others granted on the same resource.

resource "google_service_account" "function" {
  project      = var.project_id
  account_id   = "${var.function_name}-fn"
  display_name = "Strava sync function (${var.function_name})"
  description  = "Runs the Strava sync: reads the OAuth secrets, writes the BigQuery dataset."

  depends_on = [google_project_service.required]
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "${var.function_name}-sched"
  display_name = "Strava sync scheduler (${var.function_name})"
  description  = "Identity of the Cloud Scheduler jobs: may only invoke the sync function."

  depends_on = [google_project_service.required]
}

# Running query and load jobs is a project-level permission; it gives no access to any data.
resource "google_project_iam_member" "function_bigquery_job_user" {
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = google_service_account.function.member
}

# Read and write the sync's own dataset (tables, staging tables, MERGE) and nothing else.
resource "google_bigquery_dataset_iam_member" "function_data_editor" {
  project    = var.project_id
  dataset_id = google_bigquery_dataset.strava.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.function.member
}

# Read the client id, the client secret and the refresh token.
resource "google_secret_manager_secret_iam_member" "function_secret_accessor" {
  for_each = google_secret_manager_secret.strava

  project   = var.project_id
  secret_id = each.value.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function.member
}

# Strava rotates the refresh token: store the new one as a new version...
resource "google_secret_manager_secret_iam_member" "function_refresh_token_adder" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.strava[local.refresh_token_secret].secret_id
  role      = "roles/secretmanager.secretVersionAdder"
  member    = google_service_account.function.member
}

# ...and destroy the superseded versions (each kept version, even disabled, is billed beyond 6).
resource "google_secret_manager_secret_iam_member" "function_refresh_token_manager" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.strava[local.refresh_token_secret].secret_id
  role      = "roles/secretmanager.secretVersionManager"
  member    = google_service_account.function.member
}

# The scheduler may invoke this function's Cloud Run service and nothing else.
resource "google_cloud_run_v2_service_iam_member" "scheduler_invoker" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.sync.name
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler.member
}
