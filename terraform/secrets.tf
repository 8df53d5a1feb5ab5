# Secret containers only. Their values are added out of band by `strava auth`: a value given to
# Terraform (secret_data) would be stored in clear text in the state file.
locals {
  refresh_token_secret = "strava-refresh-token"
  secret_ids           = toset(["strava-client-id", "strava-client-secret", local.refresh_token_secret])
}

resource "google_secret_manager_secret" "strava" {
  for_each = local.secret_ids

  project   = var.project_id
  secret_id = each.value
  labels    = { app = "strava-sync" }

  replication {
    auto {}
  }

  depends_on = [google_project_service.required]
}
