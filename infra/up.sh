#!/usr/bin/env bash
# Brings up the real stack for development, tests and CI, idempotently:
#   PostgreSQL + Redis (Debian packages), Apache Kafka 4.x (one KRaft node,
#   jars from Maven Central; a plaintext listener, a SASL/SCRAM listener and a
#   SASL_SSL one, with ACLs), Apicurio Registry 3.x (Confluent-compatible
#   schema registry, from Maven Central), the topics of infra/topics.ts, and
#   the tests' document tools (infra/test-tools.sh: pdftoppm, pdftotext, zbarimg).
# Prints one line per component and writes the environment a test run needs
# (the SASL listener and the service principal's credentials) to
# $CACHE/infra.env. Downloads and data live in $CACHE, not in the repo.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$INFRA_DIR/node.sh"
# kafkajs 2.2.4 passes negative delays to setTimeout (harmless, Node >= 23 warns).
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--disable-warning=TimeoutNegativeWarning"

T0=$SECONDS

# ---------------------------------------------------------- postgres ----
pg_psql() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

ensure_postgres() {
  local how="running"
  if ! port_open "$PG_PORT"; then
    if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
      apt_install postgresql postgresql-client
      how="installed, started"
    else
      how="started"
    fi
    local ver
    ver="$(ls /etc/postgresql | sort -V | tail -n 1)"
    [ -n "$ver" ] || die "postgres: no cluster under /etc/postgresql"
    if [ ! -d "/etc/postgresql/$ver/main" ]; then
      pg_createcluster "$ver" main >/dev/null
    fi
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || true
    wait_for 30 postgres port_open "$PG_PORT" ||
      die "postgres: not listening on $PG_PORT" "/var/log/postgresql/postgresql-$ver-main.log"
  fi
  # Tests connect as postgres over TCP without a password: trust on loopback.
  if ! pg_psql -c 'select 1' >/dev/null 2>&1; then
    local hba
    hba="$(ls /etc/postgresql/*/main/pg_hba.conf 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$hba" ] || die "postgres: cannot connect as postgres@127.0.0.1 and no pg_hba.conf found"
    log "postgres: enabling trust auth on loopback in $hba"
    { printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n'; cat "$hba"; } >"$hba.new"
    mv "$hba.new" "$hba"
    chown postgres:postgres "$hba" 2>/dev/null || true
    local ver
    ver="$(basename "$(dirname "$(dirname "$hba")")")"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main reload >/dev/null 2>&1 || true
    wait_for 10 postgres pg_psql -c 'select 1' || die "postgres: cannot connect as postgres@127.0.0.1:$PG_PORT"
  fi
  if [ "$(pg_psql -c "select 1 from pg_database where datname = '$PG_DB'")" != 1 ]; then
    pg_psql -c "create database $PG_DB" >/dev/null 2>&1 ||
      [ "$(pg_psql -c "select 1 from pg_database where datname = '$PG_DB'")" = 1 ] ||
      die "postgres: cannot create database $PG_DB"
    how="$how, database $PG_DB created"
  fi
  log "postgres: $how (127.0.0.1:$PG_PORT, database $PG_DB)"
}

# ------------------------------------------------------------- redis ----
redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

ensure_redis() {
  local how="running"
  if ! port_open "$REDIS_PORT"; then
    if ! command -v redis-server >/dev/null; then
      apt_install redis-server
      how="installed, started"
    else
      how="started"
    fi
    mkdir -p /var/lib/redis /var/log/redis
    if ! port_open "$REDIS_PORT"; then # the package's own init may have started it
      redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null ||
        die "redis: redis-server failed to start" /var/log/redis/ci.log
    fi
  fi
  wait_for 20 redis redis_ping || die "redis: no PONG on 127.0.0.1:$REDIS_PORT" /var/log/redis/ci.log
  log "redis: $how (127.0.0.1:$REDIS_PORT)"
}

# ------------------------------------------------------------- kafka ----
POM="$INFRA_DIR/kafka/pom.xml"
KAFKA_STAMP="$KAFKA_HOME/.complete"
kafka_stamp_value() { echo "$KAFKA_VERSION $(sha256sum "$POM" | cut -c1-16)"; }

ensure_kafka_libs() {
  if [ -f "$KAFKA_STAMP" ] && [ "$(cat "$KAFKA_STAMP")" = "$(kafka_stamp_value)" ]; then
    return 0
  fi
  command -v mvn >/dev/null || die "kafka: mvn not found"
  log "kafka: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION + log4j2 from Maven Central"
  rm -rf "$KAFKA_HOME.tmp"
  mvn_quiet -f "$POM" dependency:copy-dependencies -Dkafka.version="$KAFKA_VERSION" \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME.tmp/libs"
  rm -rf "$KAFKA_HOME"
  mv "$KAFKA_HOME.tmp" "$KAFKA_HOME"
  kafka_stamp_value >"$KAFKA_STAMP"
}

kafka_java() {
  java -Xms64m -Xmx256m -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2.xml" \
    -cp "$KAFKA_HOME/libs/*" "$@"
}

# Records carry the registry's schema IDs. Log dirs without the registry store
# that assigned those IDs (written while the registry kept its schemas in
# memory, or its store was deleted) would be read with IDs that a new registry
# hands to other schemas: set them aside and start an empty cluster.
set_aside_orphaned_kafka_data() {
  [ -f "$KAFKA_DATA_DIR/meta.properties" ] || return 0
  [ -f "$APICURIO_DB.mv.db" ] && return 0
  local aside
  aside="$KAFKA_DATA_DIR.orphaned-$(date -u +%Y%m%dT%H%M%SZ)"
  rm -rf "$KAFKA_DATA_DIR".orphaned-*
  mv "$KAFKA_DATA_DIR" "$aside"
  mkdir -p "$KAFKA_DATA_DIR"
  err "kafka: $KAFKA_DATA_DIR held records whose schema IDs no stored registry knows; moved to $aside, starting an empty cluster"
}

# The TLS listener's certificate, from a CA of our own (its key is thrown away
# once the broker's certificate is signed). Clients trust $KAFKA_TLS_DIR/ca.pem.
ensure_kafka_tls() {
  [ -f "$KAFKA_TLS_DIR/ca.pem" ] && [ -f "$KAFKA_TLS_DIR/broker.key" ] && [ -f "$KAFKA_TLS_DIR/broker.pem" ] &&
    return 0
  command -v openssl >/dev/null || die "kafka: openssl not found (the TLS listener's certificate)"
  local tmp="$KAFKA_TLS_DIR.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  chmod 700 "$tmp"
  (
    cd "$tmp"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
      -subj "/CN=backend-event development CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=127.0.0.1"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
      >broker.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile broker.ext \
      -out broker.pem
    rm -f ca.key ca.srl broker.csr broker.ext
  ) >"$CACHE/kafka-tls.log" 2>&1 || die "kafka: generating the TLS certificates failed" "$CACHE/kafka-tls.log"
  rm -rf "$KAFKA_TLS_DIR"
  mv "$tmp" "$KAFKA_TLS_DIR"
  log "kafka: TLS certificate for 127.0.0.1 signed by a new CA ($KAFKA_TLS_DIR/ca.pem)"
}

# A PEM file as one properties value: lines joined with the escape \n.
pem_value() { awk 'BEGIN { ORS = "\\n" } { print }' "$@"; }

# infra/kafka/server.properties with this machine's paths, ports and TLS key.
render_kafka_properties() {
  local text key chain
  text="$(<"$INFRA_DIR/kafka/server.properties")"
  key="$(pem_value "$KAFKA_TLS_DIR/broker.key")"
  chain="$(pem_value "$KAFKA_TLS_DIR/broker.pem" "$KAFKA_TLS_DIR/ca.pem")"
  text="${text//@LOG_DIRS@/"$KAFKA_DATA_DIR"}"
  text="${text//@PLAINTEXT_PORT@/"$KAFKA_PORT"}"
  text="${text//@CONTROLLER_PORT@/"$KAFKA_CONTROLLER_PORT"}"
  text="${text//@SASL_PORT@/"$KAFKA_SASL_PORT"}"
  text="${text//@TLS_PORT@/"$KAFKA_TLS_PORT"}"
  text="${text//@TLS_KEY@/"$key"}"
  text="${text//@TLS_CHAIN@/"$chain"}"
  printf '%s\n' "$text"
}

KAFKA_STARTED=0
KAFKA_FOREIGN=0
start_kafka() {
  mkdir -p "$KAFKA_RUN" "$KAFKA_DATA_DIR"
  ensure_kafka_tls
  (umask 077 && render_kafka_properties >"$KAFKA_RUN/server.properties.next")
  if pid_alive "$KAFKA_RUN/kafka.pid"; then
    if cmp -s "$KAFKA_RUN/server.properties.next" "$KAFKA_RUN/server.properties"; then
      rm -f "$KAFKA_RUN/server.properties.next"
      return 0
    fi
    # Started with another configuration (an older infra/kafka/server.properties, e.g. one without the
    # secured listeners): restart it with this one. Clients reconnect; the data stays.
    log "kafka: its configuration changed (infra/kafka/server.properties); restarting the broker"
    stop_pidfile kafka "$KAFKA_RUN/kafka.pid" 60
  fi
  if port_open "$KAFKA_PORT"; then
    err "kafka: port $KAFKA_PORT is taken by a process infra/ did not start; using it as the broker (no SASL, no ACLs)"
    rm -f "$KAFKA_RUN/server.properties.next"
    KAFKA_FOREIGN=1
    return 0
  fi
  ensure_kafka_libs
  set_aside_orphaned_kafka_data
  mv -f "$KAFKA_RUN/server.properties.next" "$KAFKA_RUN/server.properties"
  if [ ! -f "$KAFKA_DATA_DIR/meta.properties" ]; then
    local cid
    cid="$(kafka_java kafka.tools.StorageTool random-uuid 2>"$KAFKA_RUN/format.log" | tail -n 1)"
    [ -n "$cid" ] || die "kafka: StorageTool random-uuid failed" "$KAFKA_RUN/format.log"
    kafka_java kafka.tools.StorageTool format --standalone -t "$cid" -c "$KAFKA_RUN/server.properties" \
      >>"$KAFKA_RUN/format.log" 2>&1 || die "kafka: storage format failed" "$KAFKA_RUN/format.log"
    log "kafka: formatted $KAFKA_DATA_DIR (cluster id $cid)"
  fi
  [ -f "$KAFKA_RUN/kafka.log" ] && mv -f "$KAFKA_RUN/kafka.log" "$KAFKA_RUN/kafka.log.1"
  # shellcheck disable=SC2086
  nohup setsid java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2.xml" -Dkafka.logs.dir="$KAFKA_RUN" \
    -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_RUN/server.properties" \
    </dev/null >"$KAFKA_RUN/kafka.log" 2>&1 &
  echo $! >"$KAFKA_RUN/kafka.pid"
  KAFKA_STARTED=1
}

# Node + kafkajs: the broker answers metadata requests (listTopics).
kafka_ready() {
  KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" node --input-type=module -e '
    import kafkajs from "kafkajs"
    const kafka = new kafkajs.Kafka({ clientId: "infra-up", brokers: process.env.KAFKA_BROKERS.split(","),
      logLevel: kafkajs.logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 3000, retry: { retries: 0 } })
    const admin = kafka.admin()
    const deadline = Date.now() + Number(process.argv[1]) * 1000
    for (;;) {
      try {
        await admin.connect()
        await admin.listTopics()
        const c = await admin.describeCluster()
        if (c.brokers.length > 0 && c.controller !== null) break
      } catch (e) {
        if (Date.now() > deadline) { console.error(String(e)); process.exit(1) }
      }
      try { await admin.disconnect() } catch {}
      await new Promise((r) => setTimeout(r, 500))
    }
    await admin.disconnect()
  ' "$1"
}

wait_kafka() {
  local deadline=$((SECONDS + 90))
  # Fail fast when the JVM dies (port clash, bad config...).
  until port_open "$KAFKA_PORT"; do
    if [ -f "$KAFKA_RUN/kafka.pid" ] && ! pid_alive "$KAFKA_RUN/kafka.pid"; then
      rm -f "$KAFKA_RUN/kafka.pid"
      die "kafka: the broker exited during start-up" "$KAFKA_RUN/kafka.log"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "kafka: not listening on $KAFKA_PORT after 90 s" "$KAFKA_RUN/kafka.log"
    sleep 0.5
  done
  local left=$((deadline - SECONDS))
  [ "$left" -gt 5 ] || left=5
  kafka_ready "$left" 2>>"$KAFKA_RUN/kafka.log" || die "kafka: broker not answering after 90 s" "$KAFKA_RUN/kafka.log"
  local how="running"
  [ "$KAFKA_STARTED" = 1 ] && how="started (pid $(cat "$KAFKA_RUN/kafka.pid"))"
  log "kafka: $how, $KAFKA_VERSION KRaft (127.0.0.1:$KAFKA_PORT, data $KAFKA_DATA_DIR, log $KAFKA_RUN/kafka.log)"
}

# A fresh broker loads (or, the first time, creates) __transaction_state and
# __consumer_offsets on first use, answering COORDINATOR_LOAD_IN_PROGRESS
# meanwhile: do that now rather than in the first test's time budget.
warm_kafka() {
  KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" node --input-type=module -e '
    import kafkajs from "kafkajs"
    const kafka = new kafkajs.Kafka({ clientId: "infra-up-warmup", brokers: process.env.KAFKA_BROKERS.split(","),
      logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } })
    const producer = kafka.producer({ transactionalId: "infra-up-warmup", idempotent: true, maxInFlightRequests: 1 })
    await producer.connect() // InitProducerId: the transaction coordinator is ready
    await producer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    await admin.describeGroups(["infra-up-warmup"]) // FindCoordinator: the group coordinator is ready
    await admin.disconnect()
  ' 2>>"$KAFKA_RUN/kafka.log" || die "kafka: transaction/group coordinators not ready" "$KAFKA_RUN/kafka.log"
}

# The SCRAM users' passwords, generated once.
ensure_kafka_credentials() {
  [ -f "$KAFKA_CREDENTIALS" ] && return 0
  (
    umask 077
    printf 'KAFKA_SERVICE_USER=%s\nKAFKA_SERVICE_PASSWORD=%s\nKAFKA_OBSERVER_USER=%s\nKAFKA_OBSERVER_PASSWORD=%s\n' \
      "$KAFKA_SERVICE_USER" "$(openssl rand -hex 24)" "$KAFKA_OBSERVER_USER" "$(openssl rand -hex 24)" \
      >"$KAFKA_CREDENTIALS.tmp"
    mv "$KAFKA_CREDENTIALS.tmp" "$KAFKA_CREDENTIALS"
  )
}

credential() { sed -n "s/^$1=//p" "$KAFKA_CREDENTIALS"; }

# set_scram_credentials USER PASSWORD: a SCRAM-SHA-512 credential in the cluster metadata (kafka-configs
# through the plaintext listener; the password goes through a file, not the command line).
set_scram_credentials() {
  local file="$KAFKA_RUN/scram-$1.properties"
  # In a file the value has no brackets: SCRAM-SHA-512=password=... (kafka-configs' --add-config-file).
  (umask 077 && printf 'SCRAM-SHA-512=password=%s\n' "$2" >"$file")
  kafka_java kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter \
    --entity-type users --entity-name "$1" --add-config-file "$file" >>"$KAFKA_RUN/security.log" 2>&1 ||
    { rm -f "$file"; die "kafka: adding the SCRAM credentials of $1 failed" "$KAFKA_RUN/security.log"; }
  rm -f "$file"
}

# ACLs (infra/kafka-security.ts) and the SCRAM users; every login checked on both secured listeners.
secure_kafka() {
  ensure_kafka_credentials
  local check=(node infra/kafka-security.ts check "127.0.0.1:$KAFKA_PORT" "127.0.0.1:$KAFKA_SASL_PORT"
    "127.0.0.1:$KAFKA_TLS_PORT" "$KAFKA_TLS_DIR/ca.pem" "$KAFKA_CREDENTIALS")
  local failing how="users and ACLs in place"
  failing="$(cd "$REPO_ROOT" && "${check[@]}" 2>>"$KAFKA_RUN/security.log")" ||
    die "kafka: keeping the ACLs failed" "$KAFKA_RUN/security.log"
  if [ -n "$failing" ]; then
    local user
    for user in $failing; do
      if [ "$user" = "$KAFKA_SERVICE_USER" ]; then
        set_scram_credentials "$user" "$(credential KAFKA_SERVICE_PASSWORD)"
      else
        set_scram_credentials "$user" "$(credential KAFKA_OBSERVER_PASSWORD)"
      fi
    done
    failing="$(cd "$REPO_ROOT" && "${check[@]}" 30 2>>"$KAFKA_RUN/security.log")" ||
      die "kafka: keeping the ACLs failed" "$KAFKA_RUN/security.log"
    [ -z "$failing" ] || die "kafka: SCRAM login still fails for: $failing" "$KAFKA_RUN/kafka.log"
    how="SCRAM credentials added"
  fi
  log "kafka: SASL/SCRAM on 127.0.0.1:$KAFKA_SASL_PORT, SASL_SSL on 127.0.0.1:$KAFKA_TLS_PORT; only $KAFKA_SERVICE_USER may write, $KAFKA_OBSERVER_USER may read ($how)"
}

# ---------------------------------------------------------- apicurio ----
APICURIO_STAMP="$APICURIO_HOME/.complete"
APICURIO_URL="http://127.0.0.1:$APICURIO_PORT/apis/ccompat/v7"

ensure_apicurio_dist() {
  [ -f "$APICURIO_STAMP" ] && return 0
  command -v mvn >/dev/null || die "apicurio: mvn not found"
  log "apicurio: resolving io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all from Maven Central"
  local dl="$CACHE/downloads"
  mkdir -p "$dl"
  (cd "$dl" && mvn_quiet dependency:copy \
    -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" -DoutputDirectory="$dl")
  rm -rf "$APICURIO_HOME.tmp"
  mkdir -p "$APICURIO_HOME.tmp"
  tar xzf "$dl/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz" -C "$APICURIO_HOME.tmp" ||
    die "apicurio: cannot unpack the archive"
  # 3.3.x ships a fast-jar (quarkus-run.jar), 3.0.x an uber-jar (*-runner.jar).
  [ -f "$APICURIO_HOME.tmp/quarkus-run.jar" ] || compgen -G "$APICURIO_HOME.tmp/*-runner.jar" >/dev/null ||
    die "apicurio: no quarkus-run.jar or *-runner.jar in the archive"
  rm -f "$dl/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz" # a copy of the one in ~/.m2
  rm -rf "$APICURIO_HOME"
  mv "$APICURIO_HOME.tmp" "$APICURIO_HOME"
  touch "$APICURIO_STAMP"
}

APICURIO_STARTED=0
start_apicurio() {
  mkdir -p "$APICURIO_RUN"
  if pid_alive "$APICURIO_RUN/apicurio.pid"; then
    return 0
  fi
  if port_open "$APICURIO_PORT"; then
    err "apicurio: port $APICURIO_PORT is taken by a process infra/ did not start; using it as the registry"
    return 0
  fi
  ensure_apicurio_dist
  local jar="$APICURIO_HOME/quarkus-run.jar"
  [ -f "$jar" ] || jar="$(ls "$APICURIO_HOME"/*-runner.jar | head -n 1)"
  [ -f "$APICURIO_RUN/apicurio.log" ] && mv -f "$APICURIO_RUN/apicurio.log" "$APICURIO_RUN/apicurio.log.1"
  mkdir -p "$APICURIO_DATA_DIR"
  # shellcheck disable=SC2086
  (cd "$APICURIO_RUN"
  nohup setsid "$APICURIO_JAVA" $APICURIO_HEAP_OPTS -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$APICURIO_PORT" \
    -Dapicurio.datasource.url="jdbc:h2:file:$APICURIO_DB" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$APICURIO_MGMT_PORT" \
    -Dapicurio.rules.global.compatibility=BACKWARD \
    -jar "$jar" </dev/null >"$APICURIO_RUN/apicurio.log" 2>&1 &
  echo $! >"$APICURIO_RUN/apicurio.pid")
  APICURIO_STARTED=1
}

wait_apicurio() {
  local deadline=$((SECONDS + 90))
  until curl -sf -o /dev/null "$APICURIO_URL/subjects"; do
    if [ -f "$APICURIO_RUN/apicurio.pid" ] && ! pid_alive "$APICURIO_RUN/apicurio.pid"; then
      rm -f "$APICURIO_RUN/apicurio.pid"
      die "apicurio: the registry exited during start-up" "$APICURIO_RUN/apicurio.log"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "apicurio: $APICURIO_URL/subjects not answering after 90 s" \
      "$APICURIO_RUN/apicurio.log"
    sleep 0.5
  done
  # The global compatibility rule must be BACKWARD (set once; the store keeps it).
  local cfg
  cfg="$(curl -sf "$APICURIO_URL/config" || true)"
  if ! grep -q '"BACKWARD"' <<<"$cfg"; then
    curl -sf -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
      --data '{"compatibility":"BACKWARD"}' "$APICURIO_URL/config" >/dev/null ||
      die "apicurio: cannot set global compatibility BACKWARD (config was: $cfg)" "$APICURIO_RUN/apicurio.log"
    cfg="$(curl -sf "$APICURIO_URL/config" || true)"
    grep -q '"BACKWARD"' <<<"$cfg" || die "apicurio: global compatibility is not BACKWARD: $cfg"
  fi
  local how="running"
  [ "$APICURIO_STARTED" = 1 ] && how="started (pid $(cat "$APICURIO_RUN/apicurio.pid"))"
  log "apicurio: $how, registry $APICURIO_VERSION on Java $(java_major "$APICURIO_JAVA") ($APICURIO_URL, compatibility BACKWARD, log $APICURIO_RUN/apicurio.log)"
}

# --------------------------------------------------------------- main ----
bash "$INFRA_DIR/test-tools.sh"
ensure_postgres
ensure_redis
# Both JVMs boot in parallel; then wait for each.
start_kafka
start_apicurio
wait_kafka
if [ "$KAFKA_FOREIGN" = 0 ]; then secure_kafka; fi
(cd "$REPO_ROOT" && KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" node infra/create-topics.ts) ||
  die "topics: creating the topics of infra/topics.ts failed" "$KAFKA_RUN/kafka.log"
if [ "$KAFKA_STARTED" = 1 ]; then warm_kafka; fi
wait_apicurio

# Clients of the service and the tests use the SASL listener as the service principal; the other
# listeners and the observer are there for the tests of the broker's security (not configuration).
infra_env() {
  if [ "$KAFKA_FOREIGN" = 0 ]; then
    cat <<ENV
export KAFKA_BROKERS=127.0.0.1:$KAFKA_SASL_PORT
export KAFKA_SASL_MECHANISM=scram-sha-512
export KAFKA_SASL_USERNAME=$KAFKA_SERVICE_USER
export KAFKA_SASL_PASSWORD=$(credential KAFKA_SERVICE_PASSWORD)
export INFRA_KAFKA_PLAINTEXT_BROKERS=127.0.0.1:$KAFKA_PORT
export INFRA_KAFKA_TLS_BROKERS=127.0.0.1:$KAFKA_TLS_PORT
export INFRA_KAFKA_TLS_CA_FILE=$KAFKA_TLS_DIR/ca.pem
export INFRA_KAFKA_OBSERVER_USERNAME=$KAFKA_OBSERVER_USER
export INFRA_KAFKA_OBSERVER_PASSWORD=$(credential KAFKA_OBSERVER_PASSWORD)
ENV
  else
    echo "export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
  fi
  cat <<ENV
export SCHEMA_REGISTRY_URL=$APICURIO_URL
export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT
ENV
}
(umask 077 && infra_env >"$INFRA_ENV_FILE.tmp")
mv "$INFRA_ENV_FILE.tmp" "$INFRA_ENV_FILE"
log "env ($INFRA_ENV_FILE, passwords masked here):"
sed -e 's/^/  /' -e 's/\(PASSWORD=\).*/\1***/' "$INFRA_ENV_FILE"
log "infra: up in $((SECONDS - T0)) s"
