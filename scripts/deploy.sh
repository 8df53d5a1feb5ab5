#!/usr/bin/env bash
# make deploy: Terraform apply, then the first sync once the Strava secrets are in Secret Manager.
# Safe to run again: Terraform only changes what differs, and a sync is idempotent.
# Extra arguments go to `terraform apply` (e.g. scripts/deploy.sh -auto-approve).
set -euo pipefail
cd "$(dirname "$0")/.."

TF_DIR=terraform
SECRETS=(strava-client-id strava-client-secret strava-refresh-token)

die() { echo "deploy: $*" >&2; exit 1; }

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 is not installed. $2"
}

need terraform "Install Terraform >= 1.5: https://developer.hashicorp.com/terraform/install"
need gcloud "Install the Google Cloud CLI: https://cloud.google.com/sdk/docs/install, then run 'gcloud auth login' and 'gcloud auth application-default login'"
need curl "Install curl with your package manager."

[[ -f "$TF_DIR/terraform.tfvars" ]] ||
    die "$TF_DIR/terraform.tfvars is missing: cp $TF_DIR/terraform.tfvars.example $TF_DIR/terraform.tfvars and set project_id (see docs/deploy.md)"

terraform -chdir="$TF_DIR" init -input=false
terraform -chdir="$TF_DIR" apply -var-file=terraform.tfvars "$@"

output() { terraform -chdir="$TF_DIR" output -raw "$1"; }
project="$(output project_id)"
region="$(output region)"
function_name="$(output function_name)"

# The secrets exist now but hold no value until `strava auth` stores one (Terraform never sees them).
missing=()
for secret in "${SECRETS[@]}"; do
    version="$(gcloud secrets versions list "$secret" --project "$project" \
        --filter=state:enabled --limit=1 --format='value(name)' 2>/dev/null || true)"
    [[ -n "$version" ]] || missing+=("$secret")
done
if (( ${#missing[@]} )); then
    cat >&2 <<MSG
deploy: the infrastructure is ready, but Secret Manager has no value yet for: ${missing[*]}.
Authorise the app once (opens a browser, stores the three secrets), then run 'make deploy' again:

    STRAVA_SECRETS=secretmanager:$project .venv/bin/python -m strava auth

MSG
    exit 1
fi

echo "deploy: starting the first sync..."
if [[ "$(output public_ingress)" == "true" ]]; then
    # Same request as the manual_run_command output; the response body is the run's JSON summary.
    curl --fail-with-body --silent --show-error --max-time 1800 -X POST \
        -H "Authorization: bearer $(gcloud auth print-identity-token)" \
        -H "Content-Type: application/json" -d '{}' "$(output function_url)"
    echo
    exit 0
fi

# Internal-only ingress: a laptop cannot reach the function, Cloud Scheduler can. Run its job now
# and read the run's summary line from the function's logs.
job="$(terraform -chdir="$TF_DIR" output -json scheduler_jobs | python3 -c 'import json,sys; print(json.load(sys.stdin)["incremental"])')"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
gcloud scheduler jobs run "$job" --project "$project" --location "$region"
filter="resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"$function_name\" AND jsonPayload.event=\"sync_finished\" AND timestamp>=\"$started\""
for _ in $(seq 1 60); do
    summary="$(gcloud logging read "$filter" --project "$project" --limit=1 --format='json(jsonPayload)' 2>/dev/null || true)"
    if [[ -n "$summary" && "$summary" != "[]" ]]; then
        echo "$summary"
        exit 0
    fi
    sleep 10
done
die "no sync_finished log line after 10 minutes: look at the function's logs (gcloud functions logs read $function_name --region $region --project $project)"
