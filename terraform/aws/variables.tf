variable "region" {
  description = "AWS region of everything (the function, the lake, Athena, the alarms), e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1 or us-east-2."
  }
}

variable "function_name" {
  description = "Name of the Lambda function; also prefixes the buckets, schedules, queue, roles and alarms."
  type        = string
  default     = "strava-sync"

  validation {
    # 24 characters at most so that the bucket names "<name>-athena-<account>-<region>" fit 63 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{2,22}[a-z0-9]$", var.function_name))
    error_message = "function_name must be 4-24 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "secret_name" {
  description = "Secrets Manager secret holding the Strava app's JSON {client_id, client_secret, refresh_token} (STRAVA_SECRETS=awssecrets:NAME)."
  type        = string
  default     = "strava-sync"

  validation {
    condition     = can(regex("^[A-Za-z0-9/_+=.@-]{1,256}$", var.secret_name)) && !can(regex("-[A-Za-z0-9]{6}$", var.secret_name))
    error_message = "secret_name may contain letters, digits and /_+=.@- and must not end in a hyphen and six characters (Secrets Manager's own ARN suffix)."
  }
}

variable "lake_prefix" {
  description = "Key prefix of the lake inside its bucket (STRAVA_WAREHOUSE=s3://BUCKET/PREFIX); the function may touch nothing outside it."
  type        = string
  default     = "strava"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$", var.lake_prefix))
    error_message = "lake_prefix must be one or more lowercase path segments (letters, digits, _ or -) separated by /, without leading or trailing slash."
  }
}

variable "glue_database" {
  description = "Glue (Athena) database that holds the tables over the lake."
  type        = string
  default     = "strava"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.glue_database))
    error_message = "glue_database may contain only lowercase letters, digits and underscores."
  }
}

variable "first_year" {
  description = "Earliest year Athena's partition projection looks for (activities recorded before it stay in S3 but are invisible to Athena)."
  type        = number
  default     = 2000

  validation {
    condition     = var.first_year >= 1970 && var.first_year <= 2030 && floor(var.first_year) == var.first_year
    error_message = "first_year must be a whole year between 1970 and 2030."
  }
}

variable "schedule" {
  description = "EventBridge Scheduler expression of the incremental sync (read in time_zone)."
  type        = string
  default     = "cron(0 */6 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.schedule))
    error_message = "schedule must be an EventBridge Scheduler expression: cron(...) or rate(...)."
  }
}

variable "reconcile_schedule" {
  description = "EventBridge Scheduler expression of the full listing ({\"full\": true}) that finds deleted and edited old activities."
  type        = string
  default     = "cron(30 3 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.reconcile_schedule))
    error_message = "reconcile_schedule must be an EventBridge Scheduler expression: cron(...) or rate(...)."
  }
}

variable "time_zone" {
  description = "IANA time zone the two schedules are read in."
  type        = string
  default     = "Etc/UTC"
}

variable "function_memory_mb" {
  description = "Memory of the function, MB (CPU grows with it). make bench: a run peaks near 130 MB, so 512 leaves headroom."
  type        = number
  default     = 512

  validation {
    condition     = var.function_memory_mb >= 128 && var.function_memory_mb <= 10240
    error_message = "function_memory_mb must be between 128 and 10240."
  }
}

variable "function_timeout_seconds" {
  description = "Maximum run time of one sync, in seconds (60-900, Lambda's limit). A run is capped by Strava's 100 reads per 15 minutes, well under a minute of work."
  type        = number
  default     = 600

  validation {
    condition     = var.function_timeout_seconds >= 60 && var.function_timeout_seconds <= 900
    error_message = "function_timeout_seconds must be between 60 and 900 (Lambda's maximum)."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrency of the function: -1 reserves none (the lake's lock already lets one run write at a time); 1 also stops a second run from starting. New accounts whose concurrency quota is 10 cannot reserve any."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrency == -1 || var.reserved_concurrency == 1
    error_message = "reserved_concurrency must be -1 (none reserved) or 1."
  }
}

variable "lookback_days" {
  description = "Days before the newest stored activity that an incremental sync lists again, to pick up edits (STRAVA_LOOKBACK_DAYS)."
  type        = number
  default     = 7

  validation {
    condition     = var.lookback_days >= 0 && var.lookback_days <= 365
    error_message = "lookback_days must be between 0 and 365."
  }
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted lake object stays restorable (S3 versioning) before it expires."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 3650
    error_message = "noncurrent_version_days must be between 1 and 3650."
  }
}

variable "athena_results_days" {
  description = "Days Athena query results are kept in their bucket."
  type        = number
  default     = 7

  validation {
    condition     = var.athena_results_days >= 1 && var.athena_results_days <= 365
    error_message = "athena_results_days must be between 1 and 365."
  }
}

variable "athena_bytes_scanned_cutoff" {
  description = "Athena cancels a query of this workgroup that would scan more bytes (a cost guard; Athena bills $5 per TB scanned)."
  type        = number
  default     = 1073741824

  validation {
    condition     = var.athena_bytes_scanned_cutoff >= 10485760
    error_message = "athena_bytes_scanned_cutoff must be at least 10 MB (10485760), Athena's minimum."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the function's logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "alert_email" {
  description = "E-mail address subscribed to the alarms' SNS topic (AWS sends a confirmation mail first); empty: no subscription."
  type        = string
  default     = ""

  validation {
    condition     = var.alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an e-mail address or empty."
  }
}

variable "force_destroy_lake" {
  description = "Let terraform destroy delete the lake bucket with its data (every version). Set true and apply before destroying."
  type        = bool
  default     = false
}
