#!/usr/bin/env bash
# `bash infra/run.sh FILE.ts [ARGS...]`: runs a TypeScript entry point of the project on Node 24 (fetched
# when the system node is older than 22), with node_modules up to date. Every npm script goes through here,
# so each works where the system Node is 20.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. infra/node.sh
# kafkajs 2.2.4 passes negative delays to setTimeout (harmless; Node >= 23 warns).
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--disable-warning=TimeoutNegativeWarning"
exec node "$@"
