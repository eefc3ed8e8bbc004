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
exec npx --no-install tap "$@"
