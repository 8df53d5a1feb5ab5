# The function logs one JSON line per run, {"event": "sync_finished", "status": "ok" | "partial" | "failed", ...}.
# Two metric filters count those lines; the alarms watch them, the Lambda Errors metric (a run that
# crashed or timed out never logs its summary) and the dead-letter queue. All notify one SNS topic.
locals {
  metric_namespace = "StravaSync/${var.function_name}"
  run_metrics = {
    RunsFailed    = "{ ($.event = \"sync_finished\") && ($.status = \"failed\") }"
    RunsSucceeded = "{ ($.event = \"sync_finished\") && (($.status = \"ok\") || ($.status = \"partial\")) }"
  }

  alarms = {
    run-failed = {
      description = "A Strava sync run finished with status failed. Its sync_finished log line (and the lake's sync_runs row) has error_kind and error_message: what happened and what to do. See docs/operations.md."
      namespace   = local.metric_namespace
      metric      = "RunsFailed"
      dimensions  = {}
      statistic   = "Sum"
      period      = 300
      periods     = 1
      comparison  = "GreaterThanOrEqualToThreshold"
      missing     = "notBreaching"
    }
    # 24 hourly periods with no successful run; no data at all (nothing ran) counts as breaching.
    no-success-for-a-day = {
      description = "No Strava sync run succeeded for 24 hours: the schedules may be disabled, the function may crash before logging its summary, or every run failed. Check the function's log group and the dead-letter queue. See docs/deploy-aws.md."
      namespace   = local.metric_namespace
      metric      = "RunsSucceeded"
      dimensions  = {}
      statistic   = "Sum"
      period      = 3600
      periods     = 24
      comparison  = "LessThanThreshold"
      missing     = "breaching"
    }
    function-errors = {
      description = "The Strava sync function crashed or timed out (a run that ends this way logs no summary line). A timeout: raise function_timeout_seconds; out of memory: raise function_memory_mb. The function's log group says which."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      dimensions  = { FunctionName = aws_lambda_function.sync.function_name }
      statistic   = "Sum"
      period      = 300
      periods     = 1
      comparison  = "GreaterThanOrEqualToThreshold"
      missing     = "notBreaching"
    }
    dead-letters = {
      description = "A scheduled Strava sync event could not be delivered, or its run failed every attempt: it is in the dead-letter queue ${aws_sqs_queue.dead_letter.name}. Read the message's attributes for the error, then purge the queue."
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = aws_sqs_queue.dead_letter.name }
      statistic   = "Maximum"
      period      = 300
      periods     = 1
      comparison  = "GreaterThanOrEqualToThreshold"
      missing     = "notBreaching"
    }
  }
}

resource "aws_cloudwatch_log_metric_filter" "runs" {
  for_each = local.run_metrics

  name           = "${var.function_name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = each.value

  metric_transformation {
    namespace = local.metric_namespace
    name      = each.key
    value     = "1"
    unit      = "Count"
  }
}

resource "aws_sns_topic" "alerts" {
  #checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key (its policy cannot grant CloudWatch), a customer managed key costs $1 a month, and the notifications carry no personal data.
  name = "${var.function_name}-alerts"
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alert_email != "" ? 1 : 0

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

resource "aws_cloudwatch_metric_alarm" "sync" {
  for_each = local.alarms

  alarm_name          = "${var.function_name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.periods
  threshold           = 1
  comparison_operator = each.value.comparison
  treat_missing_data  = each.value.missing
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  depends_on = [aws_cloudwatch_log_metric_filter.runs]
}
