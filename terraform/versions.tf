terraform {
  # 1.5+: strcontains() and startswith() in the function source filter.
  required_version = ">= 1.5"

  # tests/terraform/test_provider_schema.py checks the module against google 6.50.0, 7.46.1 and 8.7.0,
  # time 0.14.2 and archive 2.8.1 (scripts/setup-tfschema.sh pins them).
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.50, < 9.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4, < 3.0"
    }
    time = {
      source  = "hashicorp/time" # time_sleep: let new log metrics and IAM grants propagate
      version = ">= 0.9, < 1.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
