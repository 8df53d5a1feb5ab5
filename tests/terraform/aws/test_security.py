"""terraform/aws: least-privilege IAM, schedules with retries and a dead-letter queue, bucket hardening, alarms."""

from __future__ import annotations

import json

from tests.terraform.hcl import Module, single


def _statements(aws: Module, document: str) -> dict[str, dict]:
    return {s["sid"]: s for s in aws.data[("aws_iam_policy_document", document)]["statement"]}


def test_function_may_touch_only_its_secret_its_prefix_its_logs_and_its_queue(aws: Module) -> None:
    statements = _statements(aws, "function")
    granted = {sid: (sorted(s["actions"]), s["resources"]) for sid, s in statements.items()}
    bucket = "${local.lake_bucket.arn}"
    assert granted == {
        "ReadAndRotateItsSecret": (["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
                                   ["${aws_secretsmanager_secret.strava.arn}"]),
        "ListItsPrefix": (["s3:ListBucket"], [bucket]),
        "ReadWriteItsPrefix": (["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                               [f"{bucket}/${{var.lake_prefix}}/*"]),
        "WriteItsLogs": (["logs:CreateLogStream", "logs:PutLogEvents"], ["${aws_cloudwatch_log_group.function.arn}:*"]),
        "DeadLetter": (["sqs:SendMessage"], ["${aws_sqs_queue.dead_letter.arn}"]),
    }
    listing = single(statements["ListItsPrefix"]["condition"])
    assert listing == {"test": "StringLike", "variable": "s3:prefix", "values": ["${var.lake_prefix}/*"]}
    assert aws.locals["lake_bucket"] == '${aws_s3_bucket.this["lake"]}'
    role = aws.resource("aws_iam_role_policy", "function")
    assert role["policy"] == "${data.aws_iam_policy_document.function.json}"


def test_no_policy_grants_a_wildcard_resource_or_action(aws: Module) -> None:
    for (type_, name), document in aws.data.items():
        if type_ != "aws_iam_policy_document" or name == "tls_only":  # tls_only denies, it grants nothing
            continue
        for statement in document["statement"]:
            assert statement.get("effect", "Allow") == "Allow"
            assert "*" not in statement.get("resources", []), f"{name}.{statement.get('sid')}"
            assert not [a for a in statement["actions"] if a.endswith("*")], f"{name}.{statement.get('sid')}"
    assert not aws.of_type("aws_iam_role_policy_attachment"), "managed policies grant more than needed"


def test_roles_trust_only_their_service_on_behalf_of_this_account(aws: Module) -> None:
    assume = aws.data[("aws_iam_policy_document", "assume")]
    assert assume["for_each"] == {"function": "lambda.amazonaws.com", "scheduler": "scheduler.amazonaws.com"}
    statement = single(assume["statement"])
    assert single(statement["principals"]) == {"type": "Service", "identifiers": ["${each.value}"]}
    assert single(statement["condition"])["variable"] == "aws:SourceAccount"
    for role in ("function", "scheduler"):
        policy = aws.resource("aws_iam_role", role)["assume_role_policy"]
        assert policy == f'${{data.aws_iam_policy_document.assume["{role}"].json}}'
    scheduler = _statements(aws, "scheduler")
    assert scheduler["InvokeTheFunction"]["resources"] == ["${aws_lambda_function.sync.arn}"]
    assert scheduler["InvokeTheFunction"]["actions"] == ["lambda:InvokeFunction"]


def test_schedules_invoke_the_function_incrementally_and_daily_in_full_with_retries_and_a_dlq(aws: Module) -> None:
    schedules = aws.locals["schedules"]
    assert schedules["incremental"]["input"] == "${jsonencode({})}"
    assert schedules["reconcile"]["input"] == "${jsonencode({full = true})}"
    assert aws.variables["schedule"]["default"] == "cron(0 */6 * * ? *)"  # every 6 hours
    assert aws.variables["reconcile_schedule"]["default"] == "cron(30 3 * * ? *)"  # daily
    schedule = aws.resource("aws_scheduler_schedule", "sync")
    assert schedule["for_each"] == "${local.schedules}"
    target = single(schedule["target"])
    assert target["arn"] == "${aws_lambda_function.sync.arn}"
    assert target["role_arn"] == "${aws_iam_role.scheduler.arn}"
    assert target["input"] == "${each.value.input}"
    retry = single(target["retry_policy"])
    assert 1 <= retry["maximum_retry_attempts"] <= 5
    assert single(target["dead_letter_config"])["arn"] == "${aws_sqs_queue.dead_letter.arn}"
    queue = aws.resource("aws_sqs_queue", "dead_letter")
    assert queue["sqs_managed_sse_enabled"] is True and queue["message_retention_seconds"] == 1209600
    invoke = aws.resource("aws_lambda_function_event_invoke_config", "sync")
    assert invoke["maximum_retry_attempts"] <= 1


def test_buckets_are_private_encrypted_versioned_expiring_and_tls_only(aws: Module) -> None:
    assert set(aws.locals["buckets"]) == {"lake", "athena_results"}
    hardening = ("aws_s3_bucket_public_access_block", "aws_s3_bucket_server_side_encryption_configuration",
                 "aws_s3_bucket_versioning", "aws_s3_bucket_lifecycle_configuration", "aws_s3_bucket_policy",
                 "aws_s3_bucket_ownership_controls")
    for type_ in ("aws_s3_bucket", *hardening):
        (body,) = aws.of_type(type_).values()
        assert body["for_each"] == "${local.buckets}", type_  # every bucket gets every setting
    block = aws.resource("aws_s3_bucket_public_access_block", "this")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                          "restrict_public_buckets"))
    sse = single(single(aws.resource("aws_s3_bucket_server_side_encryption_configuration", "this")["rule"])[
        "apply_server_side_encryption_by_default"])
    assert sse["sse_algorithm"] in ("AES256", "aws:kms")
    versioning = single(aws.resource("aws_s3_bucket_versioning", "this")["versioning_configuration"])
    assert versioning["status"] == "Enabled"
    rule = single(aws.resource("aws_s3_bucket_lifecycle_configuration", "this")["rule"])
    assert single(rule["noncurrent_version_expiration"])["noncurrent_days"] == "${each.value.noncurrent_days}"
    assert aws.locals["buckets"]["lake"]["noncurrent_days"] == "${var.noncurrent_version_days}"
    assert aws.locals["buckets"]["lake"]["expire_days"] is None, "the lake's current objects must never expire"
    tls = single(aws.data[("aws_iam_policy_document", "tls_only")]["statement"])
    assert tls["effect"] == "Deny" and tls["actions"] == ["s3:*"]
    assert single(tls["condition"]) == {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
    assert aws.resource("aws_s3_bucket_policy", "tls_only")["policy"] == (
        "${data.aws_iam_policy_document.tls_only[each.key].json}")


def test_alarms_watch_failed_runs_a_day_without_success_crashes_and_dead_letters(aws: Module) -> None:
    filters = aws.locals["run_metrics"]
    assert filters["RunsFailed"] == '{ ($.event = "sync_finished") && ($.status = "failed") }'
    assert filters["RunsSucceeded"] == (
        '{ ($.event = "sync_finished") && (($.status = "ok") || ($.status = "partial")) }')
    metric_filter = aws.resource("aws_cloudwatch_log_metric_filter", "runs")
    assert metric_filter["log_group_name"] == "${aws_cloudwatch_log_group.function.name}"
    alarms = aws.locals["alarms"]
    assert set(alarms) == {"run-failed", "no-success-for-a-day", "function-errors", "dead-letters"}
    failed, silent = alarms["run-failed"], alarms["no-success-for-a-day"]
    assert (failed["metric"], failed["comparison"], failed["missing"]) == (
        "RunsFailed", "GreaterThanOrEqualToThreshold", "notBreaching")
    assert (silent["metric"], silent["comparison"], silent["missing"]) == (
        "RunsSucceeded", "LessThanThreshold", "breaching")
    assert silent["period"] * silent["periods"] == 86400  # CloudWatch's maximum evaluation range
    assert (alarms["function-errors"]["namespace"], alarms["function-errors"]["metric"]) == ("AWS/Lambda", "Errors")
    alarm = aws.resource("aws_cloudwatch_metric_alarm", "sync")
    assert alarm["threshold"] == 1 and alarm["alarm_actions"] == ["${aws_sns_topic.alerts.arn}"]
    subscription = aws.resource("aws_sns_topic_subscription", "email")
    assert subscription["count"] == '${var.alert_email != "" ? 1 : 0}'
    assert json.dumps(subscription).count("var.alert_email") == 2
