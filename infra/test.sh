#!/usr/bin/env bash
# `npm test`: Node 24 (fetched when the system node is older than 22),
# node_modules up to date, the real stack up (idempotent, ~2 s when already
# up), its environment loaded, then tap with any arguments given.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. infra/node.sh
bash infra/up.sh
. "${BACKEND_EVENT_CACHE:-$HOME/.cache/backend-event}/infra.env"
# kafkajs 2.2.4 passes negative delays to setTimeout (harmless; Node >= 23 warns).
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--disable-warning=TimeoutNegativeWarning"
# tap's own summary is `# { total: N, pass: P, fail: F }`; CI reads a plain closing line.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
npx --no-install tap "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# A failure far up a long log would be out of sight of whoever reads its end:
# repeat each failed test's line and diagnostics (at most 120 lines) last.
if grep -qE '^ *not ok' "$log"; then
  echo "failed:"
  grep -n -A 20 -E '^ *not ok' "$log" | head -n 120
fi
summary=$(grep -E '^# \{ total' "$log" | tail -n 1)
pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")
fail=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary")
echo "assertions: ${pass:-0} passed, ${fail:-0} failed"
exit "$status"
