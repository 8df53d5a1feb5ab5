# Least privilege: the function may read and rotate its one secret, read and write objects under its
# prefix of the lake (and list only that prefix), write its log group and its dead-letter queue.
# Nothing else: no `*` resource anywhere.

data "aws_iam_policy_document" "assume" {
  for_each = { function = "lambda.amazonaws.com", scheduler = "scheduler.amazonaws.com" }

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = [each.value]
    }

    # Only on behalf of this account (confused-deputy protection).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "${var.function_name}-function"
  description        = "Runs the Strava sync Lambda function."
  assume_role_policy = data.aws_iam_policy_document.assume["function"].json
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "ReadAndRotateItsSecret"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]
    resources = [aws_secretsmanager_secret.strava.arn]
  }

  statement {
    sid       = "ListItsPrefix"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_bucket.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.lake_prefix}/*"]
    }
  }

  statement {
    sid       = "ReadWriteItsPrefix"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.lake_bucket.arn}/${var.lake_prefix}/*"]
  }

  statement {
    sid       = "WriteItsLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  statement {
    sid       = "DeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "strava-sync"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.function_name}-scheduler"
  description        = "Lets EventBridge Scheduler invoke the Strava sync function."
  assume_role_policy = data.aws_iam_policy_document.assume["scheduler"].json
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "InvokeTheFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.sync.arn]
  }

  statement {
    sid       = "DeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "invoke-strava-sync"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}
