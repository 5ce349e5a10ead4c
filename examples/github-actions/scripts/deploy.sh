#!/usr/bin/env bash
# The workflow's deploy step: asks countersign, waits for a person, then runs the deploy with the grant.
# The same script runs in GitHub Actions and locally (npm start), where an emulator stands in for GitHub.
set -euo pipefail

: "${COUNTERSIGN_SERVER:?set COUNTERSIGN_SERVER to the approval server}"
: "${COUNTERSIGN_AUDIENCE:=$COUNTERSIGN_SERVER}"

countersign exec \
  --server "$COUNTERSIGN_SERVER" \
  --audience "$COUNTERSIGN_AUDIENCE" \
  --action deploy.production \
  --resource service:api \
  --reason "deploy ${GITHUB_SHA:-HEAD} from ${GITHUB_REPOSITORY:-this repository}" \
  --wait 30m \
  -- "$(dirname "$0")/release.sh" "${GITHUB_SHA:-HEAD}"
