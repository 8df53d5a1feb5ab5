# Athena reads the lake in place: a Glue table per lake table, columns generated from strava/schema.py
# (schema/*.json, written by scripts/gen-terraform-schema.py), no crawler. Partition projection computes
# the year=YYYY/month=MM partitions, so nothing registers partitions after a run.
locals {
  glue_tables = {
    activities         = { partitioned = true, description = "One row per Strava activity (upserted by id)." }
    deleted_activities = { partitioned = true, description = "Activities deleted on Strava, archived before removal." }
    sync_runs          = { partitioned = true, description = "One audit row per sync run." }
    athlete_settings   = { partitioned = false, description = "Dated FTP, weight, CdA and bike mass; each activity uses the values in force on its local date." }
    athlete_zones      = { partitioned = false, description = "Heart-rate zones from Strava's GET /athlete/zones, one row per change; each activity uses the zones in force on its local date." }
    sync_state         = { partitioned = false, description = "Where resumable work stands (one row per name): a run stopped by the rate limit continues here." }
    # Per-activity tables (schema.ACTIVITY_TABLES) live in their activity's month.
    activity_weather        = { partitioned = true, description = "Weather along each outdoor activity's route (Open-Meteo, CC BY 4.0: https://open-meteo.com/)." }
    activity_streams        = { partitioned = true, description = "One row per activity: Strava's streams, one array per stream type, NULL (BigQuery: empty) when not recorded. Read by no dashboard: metrics are computed once, at load time." }
    activity_power_curve    = { partitioned = true, description = "Mean-maximal power per activity and standard duration (from the 1 Hz power stream)." }
    activity_stream_metrics = { partitioned = true, description = "Metrics of each activity's streams, computed once at load time (strava/power.py)." }
    activity_details        = { partitioned = true, description = "GET /activities/{id} of each activity (STRAVA_DETAILS=on): what the listing lacks." }
    activity_laps           = { partitioned = true, description = "The laps of each activity's DetailedActivity (STRAVA_DETAILS=on)." }
  }
  months = join(",", [for m in range(1, 13) : format("%02d", m)])

  # year: every year from first_year to the current one; month: 01..12. Both are strings, as in the paths.
  projection = {
    for table, spec in local.glue_tables : table => spec.partitioned ? {
      "projection.enabled"            = "true"
      "projection.year.type"          = "date"
      "projection.year.format"        = "yyyy"
      "projection.year.range"         = "${var.first_year},NOW"
      "projection.year.interval"      = "1"
      "projection.year.interval.unit" = "YEARS"
      "projection.month.type"         = "enum"
      "projection.month.values"       = local.months
      "storage.location.template"     = "${local.lake_uri}/${table}/year=$${year}/month=$${month}"
    } : {}
  }
}

resource "aws_glue_catalog_database" "lake" {
  name        = var.glue_database
  description = "Strava activities synced by ${var.function_name} into ${local.lake_uri}."
}

resource "aws_glue_catalog_table" "lake" {
  for_each = local.glue_tables

  name          = each.key
  database_name = aws_glue_catalog_database.lake.name
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"
  parameters    = merge({ classification = "json", EXTERNAL = "TRUE" }, local.projection[each.key])

  storage_descriptor {
    location      = "${local.lake_uri}/${each.key}/"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      # A malformed line fails the query instead of silently reading as nulls.
      parameters = { "ignore.malformed.json" = "false" }
    }

    dynamic "columns" {
      for_each = jsondecode(file("${path.module}/schema/${each.key}.json"))
      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }

  dynamic "partition_keys" {
    for_each = each.value.partitioned ? ["year", "month"] : []
    content {
      name = partition_keys.value
      type = "string"
    }
  }
}

resource "aws_athena_workgroup" "lake" {
  name          = var.function_name
  description   = "Queries over the Strava lake; results in their own bucket, expired after ${var.athena_results_days} days."
  force_destroy = true # saved query history only

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff

    result_configuration {
      output_location = "s3://${aws_s3_bucket.this["athena_results"].bucket}/results/"

      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }
}
