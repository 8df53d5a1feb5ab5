terraform {
  required_version = ">= 1.5"

  # tests/terraform/test_provider_schema.py checks the module against aws 6.69.1 and archive 2.8.1
  # (scripts/setup-tfschema.sh pins them).
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4, < 3.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = { app = "strava-sync" }
  }
}

data "aws_caller_identity" "current" {}
