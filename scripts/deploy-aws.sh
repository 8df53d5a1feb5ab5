#!/usr/bin/env bash
# make deploy-aws: build the Lambda layer, Terraform apply terraform/aws, then the first sync once the
# Strava secret holds a value. Safe to run again: unchanged requirements give the same layer zip, Terraform
# only changes what differs, and a sync is idempotent.
# Extra arguments go to `terraform apply` (e.g. scripts/deploy-aws.sh -auto-approve).
set -euo pipefail
cd "$(dirname "$0")/.."

TF_DIR=terraform/aws
LAYER="$TF_DIR/build/layer"
PYTHON="${PYTHON:-python3}"

die() { echo "deploy-aws: $*" >&2; exit 1; }

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 is not installed. $2"
}

need terraform "Install Terraform >= 1.5: https://developer.hashicorp.com/terraform/install"
need aws "Install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html), then run 'aws configure' or 'aws sso login'"
need "$PYTHON" "Install Python 3.11+ (pip builds the Lambda layer)."

[[ -f "$TF_DIR/terraform.tfvars" ]] ||
    die "$TF_DIR/terraform.tfvars is missing: cp $TF_DIR/terraform.tfvars.example $TF_DIR/terraform.tfvars and set region (see docs/deploy-aws.md)"

# Lambda runs no pip: install the pinned dependencies as Linux arm64 wheels (whatever this machine is) into
# the directory Terraform zips into the layer. --no-compile: bytecode embeds timestamps, which would give
# a new zip, and so a new layer version, on every deploy.
echo "deploy-aws: building the Lambda layer from $TF_DIR/requirements.txt..."
rm -rf "$LAYER"
"$PYTHON" -m pip install --quiet --disable-pip-version-check --no-compile --target "$LAYER/python" \
    --platform manylinux2014_aarch64 --implementation cp --python-version 3.12 --only-binary=:all: \
    -r "$TF_DIR/requirements.txt"

terraform -chdir="$TF_DIR" init -input=false
terraform -chdir="$TF_DIR" apply -var-file=terraform.tfvars "$@"

output() { terraform -chdir="$TF_DIR" output -raw "$1"; }
region="$(output region)"
secret="$(output secret_name)"
function_name="$(output function_name)"

# The secret exists now but holds no value until `strava auth` stores one (Terraform never sees it).
versions="$(aws secretsmanager list-secret-version-ids --secret-id "$secret" --region "$region" \
    --query 'length(Versions)' --output text)"
if [[ "$versions" == "0" ]]; then
    cat >&2 <<MSG
deploy-aws: the infrastructure is ready, but the secret $secret has no value yet.
Authorise the app once (opens a browser, stores client id, secret and refresh token), then run 'make deploy-aws' again:

    AWS_REGION=$region STRAVA_SECRETS=awssecrets:$secret .venv/bin/python -m strava auth

MSG
    exit 1
fi

echo "deploy-aws: running the first sync..."
reply="$(mktemp)"
trap 'rm -f "$reply"' EXIT
meta="$(aws lambda invoke --region "$region" --function-name "$function_name" \
    --cli-binary-format raw-in-base64-out --payload '{}' --cli-read-timeout 0 \
    --query 'FunctionError' --output text "$reply")"
cat "$reply"
echo
[[ "$meta" == "None" || -z "$meta" ]] ||
    die "the function failed ($meta): see its log group /aws/lambda/$function_name (aws logs tail /aws/lambda/$function_name --region $region)"
