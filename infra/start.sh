#!/usr/bin/env bash
# `npm start`: Node 24 (fetched when the system node is older than 22), node_modules up to date, then the
# service. Does not start the stack: run infra/up.sh for that (and `. ~/.cache/backend-event/infra.env`).
exec bash "$(dirname "${BASH_SOURCE[0]}")/run.sh" main.ts "$@"
