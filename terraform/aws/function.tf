locals {
  repo_root = "${path.module}/../.."
  # Only what the function imports on AWS (tests/terraform/aws compares this list with the modules main.py
  # reaches once the Google and DuckDB adapters are left out): no simulator, CLI, report, no Google code.
  function_modules = [
    "main.py",
    "strava/__init__.py",
    "strava/aws.py",
    "strava/client.py",
    "strava/continuation.py",
    "strava/details.py",
    "strava/durable.py",
    "strava/errors.py",
    "strava/events.py",
    "strava/http.py",
    "strava/intake.py",
    "strava/logs.py",
    "strava/power.py",
    "strava/queues/__init__.py",
    "strava/queues/base.py",
    "strava/queues/spool.py",
    "strava/ratelimit.py",
    "strava/reconcile.py",
    "strava/schema.py",
    "strava/secrets/__init__.py",
    "strava/secrets/awssecrets.py",
    "strava/secrets/base.py",
    "strava/secrets/file.py",
    "strava/settings.py",
    "strava/streams.py",
    "strava/sync.py",
    "strava/trigger.py",
    "strava/warehouse/__init__.py",
    "strava/warehouse/base.py",
    "strava/warehouse/s3.py",
    "strava/warehouse/upgrade.py",
    "strava/weather/__init__.py",
    "strava/weather/backfill.py",
    "strava/weather/hourly.py",
    "strava/weather/openmeteo.py",
    "strava/weather/route.py",
    "strava/webhook.py",
  ]
  # scripts/deploy-aws.sh pip-installs requirements.txt here (Linux arm64 wheels) before terraform runs.
  layer_dir = "${path.module}/build/layer"
}

# The function's own code, zipped like the Google module's: exactly the listed files, nothing else.
data "archive_file" "function_source" {
  type        = "zip"
  output_path = "${path.module}/.terraform/function-source.zip"

  dynamic "source" {
    for_each = toset(local.function_modules)
    content {
      filename = source.value
      content  = file("${local.repo_root}/${source.value}")
    }
  }
}

# Its third-party dependencies as a layer (Lambda runs no pip): unchanged requirements give the same zip
# and therefore no new layer version.
data "archive_file" "dependencies" {
  type        = "zip"
  source_dir  = local.layer_dir
  output_path = "${path.module}/.terraform/dependencies.zip"
}

resource "aws_lambda_layer_version" "dependencies" {
  layer_name               = "${var.function_name}-dependencies"
  description              = "requests, tenacity and boto3 as pinned in terraform/aws/requirements.txt"
  filename                 = data.archive_file.dependencies.output_path
  source_code_hash         = data.archive_file.dependencies.output_base64sha256
  compatible_runtimes      = ["python3.12"]
  compatible_architectures = ["arm64"]
}

resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_158:The log lines hold run summaries and error messages, never a secret or an activity; CloudWatch encrypts them at rest already, and a customer managed key would cost $1 a month.
  #checkov:skip=CKV_AWS_338:A year of logs is not needed: every run's summary is also a row of the lake's sync_runs table; retention is a variable.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "sync" {
  #checkov:skip=CKV_AWS_117:The function must reach www.strava.com; inside a VPC that needs a NAT gateway (about $32 a month) for no gain, as it serves no inbound traffic.
  #checkov:skip=CKV_AWS_173:The environment holds only the secret's name, the lake's location and a number, no secret value; a customer managed key would cost $1 a month.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile and a signed upload step; the zip is built from this repository by the person who deploys it.
  #checkov:skip=CKV_AWS_50:X-Ray tracing adds nothing to one run every six hours that logs its own summary line, and would need xray:PutTraceSegments on every resource (*).
  #checkov:skip=CKV_AWS_115:One writer at a time is enforced by the lake's S3 lock; reserved_concurrency = 1 adds a second guard, but a new account with a concurrency quota of 10 cannot reserve any, so it is a variable defaulting to none.
  function_name = var.function_name
  description   = "Syncs Strava activities into the S3 lake ${local.lake_uri}."
  role          = aws_iam_role.function.arn
  runtime       = "python3.12"
  architectures = ["arm64"] # Graviton: 20 % cheaper per GB-second; build/layer holds arm64 wheels
  handler       = "main.lambda_handler"

  filename         = data.archive_file.function_source.output_path
  source_code_hash = data.archive_file.function_source.output_base64sha256
  layers           = [aws_lambda_layer_version.dependencies.arn]

  memory_size                    = var.function_memory_mb
  timeout                        = var.function_timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = {
      STRAVA_SECRETS       = "awssecrets:${aws_secretsmanager_secret.strava.name}"
      STRAVA_WAREHOUSE     = local.lake_uri
      STRAVA_LOOKBACK_DAYS = tostring(var.lookback_days)
    }
  }

  # Plain text: the function writes its own JSON lines, which the metric filters in monitoring.tf match.
  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  # An event whose run crashed or timed out on every attempt lands here (and raises the dead-letter alarm).
  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letter.arn
  }

  # The first run must find its permissions in place.
  depends_on = [aws_iam_role_policy.function]
}

# The scheduler invokes asynchronously: Lambda retries a crashed or timed-out run once (a run is
# idempotent), and drops an event that waited an hour (the next schedule catches up).
resource "aws_lambda_function_event_invoke_config" "sync" {
  function_name                = aws_lambda_function.sync.function_name
  maximum_retry_attempts       = 1
  maximum_event_age_in_seconds = 3600
}
