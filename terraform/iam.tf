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

# Cloud Build builds the function's container as this account. Without one it would use the Compute
# Engine default account: an Editor in older projects, and without any role in organisations created
# since May 2024, where the first build then fails.
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.function_name}-build"
  display_name = "Strava sync function build (${var.function_name})"
  description  = "Builds the Strava sync function's container from its source zip; nothing else."

  depends_on = [google_project_service.required]
}

# What a function build needs (Google's guide for a custom build account): write its logs, push the
# image, read the source. Granted on the project because the repository and the bucket involved
# (gcf-artifacts, and gcf-v2-sources-* into which Cloud Functions copies the source zip) are created by
# Cloud Functions during the first deploy, after this grant. Not roles/cloudbuild.builds.builder: it
# may start other builds, which run as other accounts (checkov CKV_GCP_49).
locals {
  build_roles = toset(["roles/logging.logWriter", "roles/artifactregistry.writer", "roles/storage.objectViewer"])
}

resource "google_project_iam_member" "build" {
  for_each = local.build_roles

  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}

# IAM grants take up to a minute or two to reach every Google service; the first build starts seconds
# after the function is created, so it waits for the build account's grants.
resource "time_sleep" "build_grants_visible" {
  create_duration = "90s"
  triggers        = { for role, grant in google_project_iam_member.build : role => grant.id }
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

# Strava rotates the refresh token: store the new one as a new version and destroy the superseded ones
# (each kept version, even disabled, is billed beyond 6). secretVersionManager includes adding
# versions, so secretVersionAdder beside it would grant nothing more.
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
