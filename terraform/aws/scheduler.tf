locals {
  schedules = {
    incremental = {
      expression  = var.schedule
      input       = jsonencode({})
      description = "Incremental Strava sync (new and recently edited activities)."
    }
    reconcile = {
      expression  = var.reconcile_schedule
      input       = jsonencode({ full = true })
      description = "Daily full listing: archives activities deleted on Strava, refreshes old edits."
    }
  }
}

# Events the scheduler could not deliver (after its retries) and runs that failed every attempt.
resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.function_name}-dead-letter"
  message_retention_seconds = 1209600 # 14 days, SQS's maximum
  sqs_managed_sse_enabled   = true
}

resource "aws_scheduler_schedule" "sync" {
  #checkov:skip=CKV_AWS_297:The schedule's input is {} or {"full": true}, nothing confidential; AWS encrypts it with its own key, and a customer managed key would cost $1 a month.
  for_each = local.schedules

  name                         = "${var.function_name}-${each.key}"
  description                  = each.value.description
  schedule_expression          = each.value.expression
  schedule_expression_timezone = var.time_zone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.sync.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = each.value.input

    # Retries cover a failed delivery (throttling, a transient Lambda error), not a failed run.
    retry_policy {
      maximum_retry_attempts       = 3
      maximum_event_age_in_seconds = 3600
    }

    dead_letter_config {
      arn = aws_sqs_queue.dead_letter.arn
    }
  }

  depends_on = [aws_iam_role_policy.scheduler]
}
