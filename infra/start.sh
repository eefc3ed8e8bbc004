#!/usr/bin/env bash
# `npm start`: Node 24 (fetched when the system node is older than 22),
# node_modules up to date, then the service. Does not start the stack: run
# infra/up.sh for that (and `. ~/.cache/backend-event/infra.env`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. infra/node.sh
# kafkajs 2.2.4 passes negative delays to setTimeout (harmless; Node >= 23 warns).
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--disable-warning=TimeoutNegativeWarning"
exec node main.ts "$@"
