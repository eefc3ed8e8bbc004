#!/usr/bin/env bash
# Stops what infra/up.sh started: Kafka and Apicurio (SIGTERM, then SIGKILL
# after a grace period). PostgreSQL and Redis are left running unless --all.
# Data stays in $CACHE: Kafka's log dirs and the registry's H2 store, which
# belong together (the records carry its schema IDs). Idempotent.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL=0
for a in "$@"; do
  case "$a" in
    --all) ALL=1 ;;
    -h | --help)
      echo "usage: infra/down.sh [--all]   (--all also stops PostgreSQL and Redis)"
      exit 0
      ;;
    *) die "unknown argument: $a" ;;
  esac
done

# Apicurio first (it does not depend on Kafka here, but it is quick).
stop_pidfile apicurio "$APICURIO_RUN/apicurio.pid" 20
# Kafka shuts down cleanly on SIGTERM (controlled shutdown, flushes logs).
stop_pidfile kafka "$KAFKA_RUN/kafka.pid" 60

if [ "$ALL" = 1 ]; then
  if [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    log "redis: stopped"
  else
    log "redis: not running"
  fi
  stopped=0
  for v in $(ls /etc/postgresql 2>/dev/null); do
    if pg_ctlcluster --skip-systemctl-redirect "$v" main status >/dev/null 2>&1; then
      pg_ctlcluster --skip-systemctl-redirect "$v" main stop && stopped=1
    fi
  done
  if [ "$stopped" = 1 ]; then log "postgres: stopped"; else log "postgres: not running"; fi
fi
