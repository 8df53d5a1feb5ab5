locals {
  # Looker Studio Linking API: opens a new report with one BigQuery view as its data source.
  looker_studio_base = "https://lookerstudio.google.com/reporting/create"
  looker_studio_links = {
    for name in sort(keys(local.views)) : name => join("&", [
      "${local.looker_studio_base}?c.mode=edit",
      "r.reportName=${urlencode("Strava ${name}")}",
      "ds.ds0.connector=bigQuery",
      "ds.ds0.type=TABLE",
      "ds.ds0.projectId=${var.project_id}",
      "ds.ds0.billingProjectId=${var.project_id}",
      "ds.ds0.datasetId=${var.dataset_id}",
      "ds.ds0.tableId=${name}",
      "ds.ds0.datasourceName=${urlencode("Strava ${name}")}",
    ])
  }
}

output "project_id" {
  description = "The project everything lives in."
  value       = var.project_id
}

output "region" {
  description = "Region of the function and the scheduler jobs."
  value       = var.region
}

output "function_name" {
  description = "Name of the Cloud Function and of its Cloud Run service."
  value       = google_cloudfunctions2_function.sync.name
}

output "function_url" {
  description = "HTTPS endpoint of the function (IAM-authenticated; reachable from outside Google only with allow_public_ingress = true)."
  value       = local.function_uri
}

output "public_ingress" {
  description = "Whether the function accepts requests from the internet (still IAM-authenticated)."
  value       = var.allow_public_ingress
}

output "dataset" {
  description = "The BigQuery dataset, as project.dataset."
  value       = "${var.project_id}.${google_bigquery_dataset.strava.dataset_id}"
}

output "scheduler_jobs" {
  description = "Cloud Scheduler job names by purpose (incremental, reconcile)."
  value       = { for key, job in google_cloud_scheduler_job.sync : key => job.name }
}

output "secret_ids" {
  description = "Secret Manager secrets that `strava auth` fills in."
  value       = sort(tolist(local.secret_ids))
}

output "manual_run_command" {
  description = "Starts a sync by hand (needs allow_public_ingress = true from outside Google; otherwise use `gcloud scheduler jobs run`)."
  value       = "curl -X POST -H \"Authorization: bearer $(gcloud auth print-identity-token)\" -H \"Content-Type: application/json\" -d '{}' ${local.function_uri}"
}

output "looker_studio_url" {
  description = "Looker Studio: a new report on the weekly_summary view."
  value       = lookup(local.looker_studio_links, "weekly_summary", null)
}

output "looker_studio_links" {
  description = "Looker Studio: a new-report link for each analytics view."
  value       = local.looker_studio_links
}

output "webhook_callback_url" {
  description = "Strava's webhook callback: the webhook function's public URL."
  value       = google_cloudfunctions2_function.webhook.service_config[0].uri
}

output "webhook_subscribe_command" {
  description = "Subscribes the Strava app to webhook events (stores the verify token and the subscription id in Secret Manager)."
  value       = "STRAVA_SECRETS=secretmanager:${var.project_id} python -m strava webhook subscribe --callback-url ${google_cloudfunctions2_function.webhook.service_config[0].uri}"
}
