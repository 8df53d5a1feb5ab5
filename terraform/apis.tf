locals {
  required_apis = toset([
    "artifactregistry.googleapis.com", # gen2 functions store their container image here
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com", # builds the function from source
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com", # project IAM grants (google_project_iam_member) read and set the project policy
    "cloudscheduler.googleapis.com",
    "cloudtasks.googleapis.com", # continuations of runs the rate limit stopped, webhook events
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com", # gen2 functions run as Cloud Run services
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
}

resource "google_project_service" "required" {
  for_each = local.required_apis

  project = var.project_id
  service = each.value

  # Turning an API off on destroy would break anything else in the project that uses it.
  disable_on_destroy         = false
  disable_dependent_services = false
}
