locals {
  account_id = data.aws_caller_identity.current.account_id
  # Bucket names are global: the account id and region make them unique without a random suffix.
  buckets = {
    lake = {
      name            = "${var.function_name}-lake-${local.account_id}-${var.region}"
      noncurrent_days = var.noncurrent_version_days
      expire_days     = null # the lake's current objects never expire
      force_destroy   = var.force_destroy_lake
    }
    athena_results = {
      name            = "${var.function_name}-athena-${local.account_id}-${var.region}"
      noncurrent_days = 1
      expire_days     = var.athena_results_days
      force_destroy   = true # query results only
    }
  }
  lake_bucket = aws_s3_bucket.this["lake"]
  lake_uri    = "s3://${local.lake_bucket.bucket}/${var.lake_prefix}"
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Server access logs would need a third bucket nobody reads; CloudTrail records management access, and the function's own runs are logged.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage for data that is a copy of Strava's; a lost lake is rebuilt by one full sync.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events: the function is scheduled, not triggered by writes.
  #checkov:skip=CKV_AWS_145:SSE-S3 encrypts every object at rest at no cost; a customer managed KMS key would cost $1 a month plus requests and protect a single-user lake no better.
  for_each = local.buckets

  bucket        = each.value.name
  force_destroy = each.value.force_destroy
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    object_ownership = "BucketOwnerEnforced" # no ACLs: IAM alone decides
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Every rewrite of a month's object keeps the previous one as a noncurrent version: a bad run can be
# undone for noncurrent_version_days, then the old versions expire.
resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = each.value.noncurrent_days
    }

    # Current objects expire only where expire_days is set (query results); elsewhere only the delete
    # markers left once every older version of a deleted object has expired are cleaned up.
    expiration {
      days                         = each.value.expire_days
      expired_object_delete_marker = each.value.expire_days == null ? true : null
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "tls_only" {
  for_each = local.buckets

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this[each.key].arn, "${aws_s3_bucket.this[each.key].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  # S3 refuses a policy while the public access block is still being applied.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
