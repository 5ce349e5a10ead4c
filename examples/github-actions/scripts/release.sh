#!/usr/bin/env bash
# The privileged step itself: here it only shows what it was given. countersign exec runs it once approved.
set -euo pipefail

echo "release | deploying $1 to production"
echo "release | grant token present: $([[ -n "${COUNTERSIGN_GRANT_TOKEN:-}" ]] && echo yes || echo no)"
# exec never passes on the job's OIDC request token: the deploy cannot ask for more approvals as the job.
echo "release | OIDC request token present: $([[ -n "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-}" ]] && echo yes || echo no)"
echo "release | done"
