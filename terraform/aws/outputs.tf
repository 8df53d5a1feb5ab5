output "region" {
  description = "AWS region of the deployment."
  value       = var.region
}

output "function_name" {
  description = "The Lambda function."
  value       = aws_lambda_function.sync.function_name
}

output "secret_name" {
  description = "The Secrets Manager secret; store its first value with STRAVA_SECRETS=awssecrets:<this> python -m strava auth."
  value       = aws_secretsmanager_secret.strava.name
}

output "lake" {
  description = "STRAVA_WAREHOUSE of the function: the lake's bucket and prefix."
  value       = local.lake_uri
}

output "glue_database" {
  description = "Glue database whose tables Athena queries."
  value       = aws_glue_catalog_database.lake.name
}

output "athena_workgroup" {
  description = "Athena workgroup to run queries in (its results go to their own bucket)."
  value       = aws_athena_workgroup.lake.name
}

output "schedules" {
  description = "EventBridge Scheduler schedules, by purpose."
  value       = { for key, schedule in aws_scheduler_schedule.sync : key => schedule.name }
}

output "dead_letter_queue_url" {
  description = "SQS queue of events that were never delivered or whose run failed every attempt."
  value       = aws_sqs_queue.dead_letter.url
}

output "alerts_topic_arn" {
  description = "SNS topic the alarms notify; subscribe more endpoints to it if you like."
  value       = aws_sns_topic.alerts.arn
}

output "manual_run_command" {
  description = "Run an incremental sync now and print its summary."
  value       = "aws lambda invoke --region ${var.region} --function-name ${aws_lambda_function.sync.function_name} --cli-binary-format raw-in-base64-out --payload '{}' --cli-read-timeout 0 /dev/stdout"
}
