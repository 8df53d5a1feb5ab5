variable "project_id" {
  description = "Google Cloud project that hosts everything (must have billing enabled)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lowercase letters, digits or hyphens), not a project name or number."
  }
}

variable "region" {
  description = "Region of the function, the scheduler jobs, the source bucket and the BigQuery dataset."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]{1,2}$", var.region))
    error_message = "region must be a single Cloud region such as europe-west1, europe-west12 or us-central1."
  }
}

variable "dataset_id" {
  description = "BigQuery dataset that receives the tables and the analytics views."
  type        = string
  default     = "strava"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,1024}$", var.dataset_id))
    error_message = "dataset_id may contain only letters, digits and underscores."
  }
}

variable "function_name" {
  description = "Name of the Cloud Function (and of its Cloud Run service); also prefixes the service accounts."
  type        = string
  default     = "strava-sync"

  validation {
    # 4-24 characters so that "<name>-sched" and "<name>-build" still fit the 30-character service account id.
    condition     = can(regex("^[a-z][a-z0-9-]{2,22}[a-z0-9]$", var.function_name))
    error_message = "function_name must be 4-24 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "schedule" {
  description = "Cron schedule of the incremental sync (in time_zone)."
  type        = string
  default     = "0 */6 * * *"

  validation {
    condition     = length(split(" ", trimspace(var.schedule))) == 5
    error_message = "schedule must be a five-field cron expression, e.g. \"0 */6 * * *\"."
  }
}

variable "reconcile_schedule" {
  description = "Cron schedule of the reconciliation pass that finds deleted and edited old activities (in time_zone). Daily, so deletions on Strava are reflected within 48 hours (docs/operations.md)."
  type        = string
  default     = "30 3 * * *"

  validation {
    condition     = length(split(" ", trimspace(var.reconcile_schedule))) == 5
    error_message = "reconcile_schedule must be a five-field cron expression, e.g. \"30 3 * * *\"."
  }
}

variable "time_zone" {
  description = "IANA time zone the two cron schedules are read in."
  type        = string
  default     = "Etc/UTC"
}

variable "allow_public_ingress" {
  description = "Accept requests from the internet (still IAM-authenticated) so that a manual curl from a laptop works. Off: only Cloud Scheduler and other internal sources reach the function."
  type        = bool
  default     = false
}

variable "alert_email" {
  description = "E-mail address for failure alerts; empty creates the alert policies without a notification channel."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be empty or an e-mail address."
  }
}

variable "enable_alerts" {
  description = "Create the two alert policies (a failed run; no successful run for ~24 h). Cloud Monitoring bills alerting per condition."
  type        = bool
  default     = true
}

variable "function_memory" {
  description = "Memory of one function instance (Cloud Run syntax, e.g. 512M, 1Gi). make bench: a run peaks near 130 MB on BigQuery and under 250 MB for a 50,000-activity DuckDB backfill, so 512M leaves 2x headroom."
  type        = string
  default     = "512M"

  validation {
    condition     = can(regex("^[0-9]+(M|Mi|G|Gi)$", var.function_memory))
    error_message = "function_memory must look like 256M, 512M, 1Gi or 2G."
  }
}

variable "function_timeout_seconds" {
  description = "Maximum run time of one sync, in seconds (60-1740). The scheduler waits this long plus a minute. A run is capped by Strava's 100 reads per 15 minutes (about 100 pages, under a minute at real latency; make bench: 10,000 activities in 14 s into BigQuery at 150 ms a request), so 540 s is ample."
  type        = number
  default     = 540

  validation {
    # The scheduler's attempt deadline (timeout + 60 s) must outlast the run, and Cloud Scheduler
    # refuses deadlines above 1800 s: 1740 s is the longest timeout that keeps the margin.
    condition     = var.function_timeout_seconds >= 60 && var.function_timeout_seconds <= 1740 && floor(var.function_timeout_seconds) == var.function_timeout_seconds
    error_message = "function_timeout_seconds must be a whole number between 60 and 1740 (Cloud Scheduler waits at most 1800 s, and must wait a minute longer than a run)."
  }
}

variable "lookback_days" {
  description = "Days before the newest stored activity that an incremental sync lists again, to pick up edits (STRAVA_LOOKBACK_DAYS)."
  type        = number
  default     = 7

  validation {
    condition     = var.lookback_days >= 0 && var.lookback_days <= 365 && floor(var.lookback_days) == var.lookback_days
    error_message = "lookback_days must be a whole number between 0 and 365."
  }
}

variable "weather" {
  description = "Fetch the weather along outdoor routes from Open-Meteo (free, CC BY 4.0) after each sync (STRAVA_WEATHER)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the BigQuery tables (and the dataset's contents). Set false and apply before terraform destroy."
  type        = bool
  default     = true
}

variable "webhook_max_instances" {
  description = "Most instances of the webhook function (a burst of Strava events; a flood of forged ones cannot scale past it)."
  type        = number
  default     = 3

  validation {
    condition     = var.webhook_max_instances >= 1 && var.webhook_max_instances <= 10 && floor(var.webhook_max_instances) == var.webhook_max_instances
    error_message = "webhook_max_instances must be a whole number between 1 and 10."
  }
}
