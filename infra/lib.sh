# shellcheck shell=bash
# Shared helpers for infra/*.sh. Source it; do not run it.
#
# Everything downloaded or generated lives outside the repo, in
#   $BACKEND_EVENT_CACHE (default ~/.cache/backend-event)

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$INFRA_DIR/.." && pwd)"
CACHE="${BACKEND_EVENT_CACHE:-$HOME/.cache/backend-event}"
mkdir -p "$CACHE"

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
KAFKA_RUN="$CACHE/kafka-run"                 # generated config, pid, log
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$CACHE/kafka-data}"
# Listeners (ports overridable, e.g. for a second stack beside the shared one):
#   PLAINTEXT  127.0.0.1:9092  unauthenticated, loopback only: development tools and old clients
#   CONTROLLER 127.0.0.1:9093  KRaft controller
#   SASL       127.0.0.1:9094  SASL_PLAINTEXT, SCRAM-SHA-512/256, ACLs: what the service and tests use
#   TLS        127.0.0.1:9095  SASL_SSL, the same SCRAM users over TLS (a CA of our own in $KAFKA_TLS_DIR)
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_SASL_PORT="${KAFKA_SASL_PORT:-9094}"
KAFKA_TLS_PORT="${KAFKA_TLS_PORT:-9095}"
KAFKA_TLS_DIR="$CACHE/kafka-tls"
# SCRAM users: the service's principal (the only one that may write; every test runs as it) and a
# read-only observer. Their passwords are generated once into this file (mode 600).
KAFKA_CREDENTIALS="$CACHE/kafka-credentials.env"
KAFKA_SERVICE_USER=backend-event
KAFKA_OBSERVER_USER=backend-event-observer
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"

# java_major JAVA: the feature version of a java binary (17, 21, 25...).
java_major() {
  local home rel v
  home="$(dirname "$(dirname "$(readlink -f "$1")")")"
  rel="$home/release"
  if [ -f "$rel" ]; then
    v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")"
  fi
  if [ -z "${v:-}" ]; then
    v="$("$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)"
  fi
  echo "${v:-0}"
}

# find_java MIN: path of a java >= MIN ($APICURIO_JAVA_HOME, $JAVA_HOME, the
# JDKs under /usr/lib/jvm, java on PATH), or nothing.
find_java() {
  local min="$1" j
  for j in ${APICURIO_JAVA_HOME:+"$APICURIO_JAVA_HOME/bin/java"} ${JAVA_HOME:+"$JAVA_HOME/bin/java"} \
    /usr/lib/jvm/*/bin/java "$(command -v java || true)"; do
    if [ -x "$j" ] && [ "$(java_major "$j")" -ge "$min" ]; then
      echo "$j"
      return 0
    fi
  done
  return 0
}

# Apicurio Registry 3.3.x needs Java 21+ (class files of version 65). The
# machines carry Temurin 25 under /usr/lib/jvm; without a Java 21+, fall
# back to 3.0.9, the last line that runs on Java 17.
APICURIO_JAVA="$(find_java 21)"
if [ -z "${APICURIO_VERSION:-}" ]; then
  if [ -n "$APICURIO_JAVA" ]; then APICURIO_VERSION=3.3.3; else APICURIO_VERSION=3.0.9; fi
fi
[ -n "$APICURIO_JAVA" ] || APICURIO_JAVA="$(command -v java || echo java)"
APICURIO_HOME="$CACHE/apicurio-$APICURIO_VERSION"
APICURIO_RUN="$CACHE/apicurio-run"
# The registry keeps its schemas in an H2 file beside Kafka's log dirs: the
# schema IDs inside the records mean something only to the registry that
# assigned them, so the two are kept, and thrown away, together (up.sh).
APICURIO_DATA_DIR="${APICURIO_DATA_DIR:-$CACHE/apicurio-data}"
APICURIO_DB="$APICURIO_DATA_DIR/registry"
APICURIO_PORT="${APICURIO_PORT:-8081}"
APICURIO_MGMT_PORT="${APICURIO_MGMT_PORT:-9001}"
APICURIO_HEAP_OPTS="${APICURIO_HEAP_OPTS:--Xms64m -Xmx512m}"

PG_PORT=5432
REDIS_PORT=6379
PG_DB=backend_event

INFRA_ENV_FILE="$CACHE/infra.env"

log() { printf '%s\n' "$*"; }
err() { printf 'infra: %s\n' "$*" >&2; }

# die MESSAGE [LOGFILE]: print the message and the tail of the log, exit 1.
die() {
  err "$1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    err "---- last 40 lines of $2 ----"
    tail -n 40 "$2" >&2
  fi
  exit 1
}

# port_open PORT: something listens on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_for TIMEOUT_S DESCRIPTION COMMAND...: retry COMMAND every 0.5 s.
wait_for() {
  local timeout="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      return 1
    fi
    sleep 0.5
  done
}

# pid_alive PIDFILE: the pid in PIDFILE is a running java process (a stale
# pid file after a reboot may name some other process).
pid_alive() {
  [ -f "$1" ] || return 1
  local pid
  pid="$(cat "$1")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q java
}

# stop_pidfile NAME PIDFILE [GRACE_S]: SIGTERM, wait, then SIGKILL.
stop_pidfile() {
  local name="$1" pidfile="$2" grace="${3:-30}"
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    log "$name: not running"
    return 0
  fi
  local pid
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      err "$name: still running after ${grace}s, sending SIGKILL to $pid"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.3
  done
  rm -f "$pidfile"
  log "$name: stopped (pid $pid)"
}

# apt_install PACKAGE...: Debian packages, quietly (output in $CACHE/apt.log); `apt-get update` once per run.
APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* by hand"
  local logf="$CACHE/apt.log"
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt: apt-get update"
    apt-get update >"$logf" 2>&1 || die "apt-get update failed" "$logf"
    APT_UPDATED=1
  fi
  log "apt: installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$logf" 2>&1 ||
    die "apt-get install $* failed" "$logf"
}

# mvn_quiet ARGS...: batch-mode Maven, output to a log, tail on failure.
mvn_quiet() {
  local logf="$CACHE/mvn.log"
  if ! mvn -B -q "$@" >"$logf" 2>&1; then
    die "mvn $* failed" "$logf"
  fi
}
