# Tables: columns come from schema/<table>.json, generated from strava/schema.py by
# scripts/gen-terraform-schema.py; partitioning and clustering mirror the same Table
# definitions (tests/terraform compares both with the code).
locals {
  tables = {
    activities = {
      partition_field = "start_date"
      partition_type  = "DAY"
      clustering      = ["sport_type", "id"]
      description     = "One row per Strava activity (upserted by id)."
    }
    deleted_activities = {
      partition_field = "deleted_at"
      partition_type  = "DAY"
      clustering      = ["id"]
      description     = "Activities deleted on Strava, archived before removal."
    }
    sync_runs = {
      partition_field = "started_at"
      partition_type  = "DAY"
      clustering      = []
      description     = "One audit row per sync run."
    }
    athlete_settings = {
      partition_field = null
      partition_type  = "DAY"
      clustering      = []
      description     = "Dated FTP, weight, CdA and bike mass; each activity uses the values in force on its local date."
    }
    athlete_zones = {
      partition_field = null
      partition_type  = "DAY"
      clustering      = []
      description     = "Heart-rate zones from Strava's GET /athlete/zones, one row per change; each activity uses the zones in force on its local date."
    }
    activity_weather = {
      partition_field = null
      partition_type  = "DAY"
      clustering      = ["activity_id"]
      description     = "Weather along each outdoor activity's route (Open-Meteo, CC BY 4.0: https://open-meteo.com/)."
    }
    sync_state = {
      partition_field = null
      partition_type  = "DAY"
      clustering      = []
      description     = "Where resumable work stands (one row per name): a run stopped by the rate limit continues here."
    }
    activity_streams = {
      partition_field = "start_date"
      partition_type  = "MONTH"
      clustering      = ["activity_id"]
      description     = "One row per activity: Strava's streams, one array per stream type, NULL (BigQuery: empty) when not recorded. Read by no dashboard: metrics are computed once, at load time."
    }
    activity_power_curve = {
      partition_field = null
      partition_type  = "DAY"
      clustering      = ["activity_id"]
      description     = "Mean-maximal power per activity and standard duration (from the 1 Hz power stream)."
    }
    activity_stream_metrics = {
      partition_field = null
      partition_type  = "DAY"
      clustering      = ["activity_id"]
      description     = "Metrics of each activity's streams, computed once at load time (strava/power.py)."
    }
    activity_details = {
      partition_field = null
      partition_type  = "DAY"
      clustering      = ["activity_id"]
      description     = "GET /activities/{id} of each activity (STRAVA_DETAILS=on): what the listing lacks."
    }
    activity_laps = {
      partition_field = null
      partition_type  = "DAY"
      clustering      = ["activity_id"]
      description     = "The laps of each activity's DetailedActivity (STRAVA_DETAILS=on)."
    }
  }

  # Analytics views: one per SQL file; `${project}` and `${dataset}` in the SQL are filled in here.
  view_sql_dir = "${path.module}/../strava/analytics/sql/bigquery"
  views        = { for f in fileset(local.view_sql_dir, "*.sql") : trimsuffix(f, ".sql") => f }
  # BigQuery checks a view's query when the view is created, so a view that reads another view
  # must be created after it: tier 1 reads only tables, tier 2 reads tier 1, unlisted views are
  # tier 3 (tests/terraform checks each view only reads tables and lower tiers).
  view_tier = {
    activity_facts        = 1
    weekly_summary        = 2
    quarterly_summary     = 2
    training_load         = 2
    power_curve_quarterly = 2
    power_curve_rolling   = 2
    estimated_ftp         = 3
  }
  view_vars = { project = var.project_id, dataset = var.dataset_id }
}

resource "google_bigquery_dataset" "strava" {
  #checkov:skip=CKV_GCP_81:Google-managed encryption at rest is enough for personal activity data; a customer-managed KMS key adds cost and a key whose loss makes the data unreadable.
  project     = var.project_id
  dataset_id  = var.dataset_id
  location    = var.region
  description = "Strava activities synced by ${var.function_name}, and analytics views over them."
  labels      = { app = "strava-sync" }

  # The function creates staging tables here; without this a destroy stops at a non-empty dataset.
  delete_contents_on_destroy = !var.deletion_protection

  depends_on = [google_project_service.required]
}

resource "google_bigquery_table" "tables" {
  #checkov:skip=CKV_GCP_80:Google-managed encryption at rest is enough for personal activity data; a customer-managed KMS key adds cost and a key whose loss makes the data unreadable.
  for_each = local.tables

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.strava.dataset_id
  table_id            = each.key
  description         = each.value.description
  schema              = file("${path.module}/schema/${each.key}.json")
  clustering          = length(each.value.clustering) > 0 ? each.value.clustering : null
  deletion_protection = var.deletion_protection
  labels              = { app = "strava-sync" }

  dynamic "time_partitioning" {
    for_each = each.value.partition_field == null ? [] : [each.value.partition_field]
    content {
      type  = each.value.partition_type
      field = time_partitioning.value
    }
  }
}

resource "google_bigquery_table" "views_tier1" {
  #checkov:skip=CKV_GCP_80:A view stores no data, so there is nothing to encrypt with a customer key.
  #checkov:skip=CKV_GCP_121:A view holds no data and is re-created from its SQL file; protecting it would only block updates and teardown.
  for_each = { for name, file in local.views : name => file if lookup(local.view_tier, name, 3) == 1 }

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.strava.dataset_id
  table_id            = each.key
  deletion_protection = false
  labels              = { app = "strava-sync" }

  view {
    query          = templatefile("${local.view_sql_dir}/${each.value}", local.view_vars)
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.tables]
}

resource "google_bigquery_table" "views_tier2" {
  #checkov:skip=CKV_GCP_80:A view stores no data, so there is nothing to encrypt with a customer key.
  #checkov:skip=CKV_GCP_121:A view holds no data and is re-created from its SQL file; protecting it would only block updates and teardown.
  for_each = { for name, file in local.views : name => file if lookup(local.view_tier, name, 3) == 2 }

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.strava.dataset_id
  table_id            = each.key
  deletion_protection = false
  labels              = { app = "strava-sync" }

  view {
    query          = templatefile("${local.view_sql_dir}/${each.value}", local.view_vars)
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.tables, google_bigquery_table.views_tier1]
}

resource "google_bigquery_table" "views_tier3" {
  #checkov:skip=CKV_GCP_80:A view stores no data, so there is nothing to encrypt with a customer key.
  #checkov:skip=CKV_GCP_121:A view holds no data and is re-created from its SQL file; protecting it would only block updates and teardown.
  for_each = { for name, file in local.views : name => file if lookup(local.view_tier, name, 3) == 3 }

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.strava.dataset_id
  table_id            = each.key
  deletion_protection = false
  labels              = { app = "strava-sync" }

  view {
    query          = templatefile("${local.view_sql_dir}/${each.value}", local.view_vars)
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.tables, google_bigquery_table.views_tier1, google_bigquery_table.views_tier2]
}
