#!/usr/bin/env bash
# Start featcache's local Redis topology as native processes (no Docker).
#
#   bash scripts/start-redis.sh               master + 2 replicas + 3 sentinels
#   bash scripts/start-redis.sh --cluster     6-node Redis Cluster (3 masters + 3 replicas)
#   bash scripts/start-redis.sh --commander   ... and Redis Commander (web UI)
#
# Idempotent: nodes already running are left alone; missing ones are started.
# Waits until the topology is really ready (replicas in sync, sentinels agree,
# cluster_state:ok everywhere) and prints the env vars featcache reads.
# Runtime files: $FEATCACHE_RUN_DIR/<port>/ (config copy, pid, log, data).
#
# Environment (defaults in brackets):
#   FEATCACHE_REDIS_PORT [6379]      master; replicas on +1 and +2
#   FEATCACHE_SENTINEL_PORT [26379]  three sentinels on +0..+2
#   FEATCACHE_CLUSTER_PORT [7001]    six cluster nodes on +0..+5
#   FEATCACHE_COMMANDER_PORT [8081]  Redis Commander
#   FEATCACHE_RUN_DIR [<repo>/.featcache/redis]
#   FEATCACHE_WAIT_SECONDS [60]      how long to wait for readiness
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONF_DIR="$ROOT/redis"
RUN_DIR="${FEATCACHE_RUN_DIR:-$ROOT/.featcache/redis}"
HOST=127.0.0.1
REDIS_PORT="${FEATCACHE_REDIS_PORT:-6379}"
SENTINEL_PORT="${FEATCACHE_SENTINEL_PORT:-26379}"
CLUSTER_PORT="${FEATCACHE_CLUSTER_PORT:-7001}"
COMMANDER_PORT="${FEATCACHE_COMMANDER_PORT:-8081}"
WAIT_SECONDS="${FEATCACHE_WAIT_SECONDS:-60}"
MASTER_NAME=featcache
QUORUM=2

MODE=sentinel
COMMANDER=no
for arg in "$@"; do
  case "$arg" in
    --cluster) MODE=cluster ;;
    --commander) COMMANDER=yes ;;
    -h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "start-redis.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

die() { echo "start-redis.sh: $*" >&2; exit 1; }
log() { echo "$*"; }

for bin in redis-server redis-cli; do
  if ! command -v "$bin" > /dev/null 2>&1; then
    die "$bin not found on PATH. Install Redis 7:
  Debian/Ubuntu: sudo apt-get install -y redis-server redis-sentinel redis-tools
  macOS:         brew install redis
or run the same topology with Docker: docker compose -f docker-compose.redis.yml up -d"
  fi
done

TIMEOUT=()
command -v timeout > /dev/null 2>&1 && TIMEOUT=(timeout 5)

# cli <port> <args...>: one redis-cli call; empty output when nothing answers.
cli() {
  local port="$1"
  shift
  ${TIMEOUT[@]+"${TIMEOUT[@]}"} redis-cli -h "$HOST" -p "$port" "$@" 2> /dev/null || true
}
pings() { [[ "$(cli "$1" PING)" == PONG ]]; }
# info_field <port> <section> <field>
info_field() { cli "$1" INFO "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2; exit }'; }
cluster_field() { cli "$1" CLUSTER INFO | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2; exit }'; }
# sentinel_field <port> <field>: a field of SENTINEL MASTER featcache
sentinel_field() {
  cli "$1" SENTINEL MASTER "$MASTER_NAME" | awk -v f="$2" 'NR % 2 == 1 { k = $0 } NR % 2 == 0 && k == f { print; exit }'
}

# pid of our process on <port>, if its pid file points to a live redis process.
our_pid() {
  local pidfile="$RUN_DIR/$1/pid" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile")"
  [[ -n "$pid" ]] || return 1
  # Running and not a zombie (an exited child not yet reaped passes kill -0).
  [[ "$(ps -o stat= -p "$pid" 2> /dev/null || true)" =~ ^[^Z] ]] || return 1
  ps -p "$pid" -o command= 2> /dev/null | grep -q -E "${2:-redis}" || return 1
  echo "$pid"
}

# wait_until <description> <command...>: poll a real readiness signal.
wait_until() {
  local what="$1" deadline=$((SECONDS + WAIT_SECONDS))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || die "timed out after ${WAIT_SECONDS}s waiting for $what (logs: $RUN_DIR/*/redis.log)"
    sleep 0.1
  done
}

# node_up <port>: answers PING; exits the script at once if the process died
# (bad config, port taken...) instead of waiting for the timeout.
node_up() {
  pings "$1" && return 0
  # A daemonized redis-server writes its pidfile a moment after its parent
  # returns: no pidfile yet is "not up yet" (wait_until's timeout still ends it),
  # not "exited" (a loaded machine hit that race: a healthy node reported dead).
  if [[ ! -f "$RUN_DIR/$1/pid" ]]; then
    # ...unless the log already says it gave up (a port or the cluster bus
    # port, +10000, taken): redis-server aborts before writing its pidfile.
    local lines
    lines="$(new_log_lines "$1")"
    if grep -q -E 'aborting|Fatal error|FATAL' <<< "$lines"; then
      echo "start-redis.sh: redis-server on port $1 aborted at start; its log says:" >&2
      grep -E ' # ' <<< "$lines" | tail -n 3 >&2 || true
      exit 1
    fi
    return 1
  fi
  if ! our_pid "$1" > /dev/null; then
    echo "start-redis.sh: the process for port $1 exited; last log lines:" >&2
    tail -n 5 "$RUN_DIR/$1/redis.log" >&2 2> /dev/null || true
    exit 1
  fi
  return 1
}

# The log lines written since start_node launched the process on <port> (the
# log of an earlier run stays above them).
declare -A LOG_START=()
new_log_lines() { tail -c +"$((${LOG_START[$1]:-0} + 1))" "$RUN_DIR/$1/redis.log" 2> /dev/null || true; }

STARTED=()
# start_node <port> <kind> <conf-file-writer> [args for the writer...]
# kind: master | replica | sentinel | cluster
start_node() {
  local port="$1" kind="$2" writer="$3" dir="$RUN_DIR/$1"
  shift 3
  if our_pid "$port" > /dev/null; then
    # Running; it may still be loading its dataset (PING answers -LOADING).
    wait_until "$kind on port $port (already running) to answer PING" node_up "$port"
    log "  $kind $HOST:$port already running (pid $(our_pid "$port"))"
    return 0
  fi
  if pings "$port"; then
    die "port $port already answers PING but was not started from $RUN_DIR; stop it or set the FEATCACHE_*_PORT variables"
  fi
  mkdir -p "$dir/data"
  rm -f "$dir/pid"
  echo "$kind" > "$dir/kind"
  "$writer" "$port" "$dir" "$@"
  local conf=redis.conf flags=()
  if [[ "$kind" == sentinel ]]; then
    conf=sentinel.conf
    flags=(--sentinel)
  fi
  LOG_START[$port]="$(stat -c %s "$dir/redis.log" 2> /dev/null || echo 0)"
  redis-server "$dir/$conf" ${flags[@]+"${flags[@]}"} > /dev/null \
    || die "redis-server failed to start on $port (see $dir/redis.log)"
  wait_until "$kind on port $port to answer PING" node_up "$port"
  STARTED+=("$kind $HOST:$port (pid $(cat "$dir/pid"))")
  log "  $kind $HOST:$port started"
}

# Per-node lines appended to the copied config; later lines win.
node_overrides() {
  local port="$1" dir="$2"
  cat << EOF

# ---- appended by scripts/start-redis.sh for this node ----
port $port
bind $HOST
daemonize yes
dir $dir/data
pidfile $dir/pid
logfile $dir/redis.log
EOF
}

# write_data_conf <port> <dir> [replicaof-host replicaof-port]
write_data_conf() {
  local port="$1" dir="$2"
  {
    cat "$CONF_DIR/redis.conf"
    node_overrides "$port" "$dir"
    if [[ $# -ge 4 ]]; then echo "replicaof $3 $4"; fi
  } > "$dir/redis.conf"
}

write_cluster_conf() {
  local port="$1" dir="$2"
  {
    cat "$CONF_DIR/redis.conf" "$CONF_DIR/cluster/cluster-node.conf"
    node_overrides "$port" "$dir"
  } > "$dir/redis.conf"
}

# write_sentinel_conf <port> <dir> <master-host> <master-port>
write_sentinel_conf() {
  local port="$1" dir="$2"
  # A fresh copy each start: stale known-replica/known-sentinel lines from an
  # earlier run would otherwise point at processes that no longer exist.
  sed -e "s/^sentinel monitor .*/sentinel monitor $MASTER_NAME $3 $4 $QUORUM/" \
    "$CONF_DIR/sentinel.conf" > "$dir/sentinel.conf"
  node_overrides "$port" "$dir" | sed -e "s#^dir .*#dir $dir#" >> "$dir/sentinel.conf"
}

SENTINEL_PORTS=("$SENTINEL_PORT" $((SENTINEL_PORT + 1)) $((SENTINEL_PORT + 2)))
DATA_PORTS=("$REDIS_PORT" $((REDIS_PORT + 1)) $((REDIS_PORT + 2)))
CLUSTER_PORTS=()
for i in 0 1 2 3 4 5; do CLUSTER_PORTS+=($((CLUSTER_PORT + i))); done

# The current master: what the running sentinels report (after a failover it
# is no longer the first port), else a running data node in the master role;
# "host port" or nothing.
sentinel_master_addr() {
  local p addr
  for p in "${SENTINEL_PORTS[@]}"; do
    our_pid "$p" > /dev/null || continue
    addr="$(cli "$p" SENTINEL GET-MASTER-ADDR-BY-NAME "$MASTER_NAME" | tr '\n' ' ')"
    if [[ -n "${addr// /}" ]]; then
      echo "$addr"
      return 0
    fi
  done
  # No sentinel running: trust a running data node that says it is master.
  for p in "${DATA_PORTS[@]}"; do
    if our_pid "$p" > /dev/null && [[ "$(info_field "$p" replication role)" == master ]]; then
      echo "$HOST $p"
      return 0
    fi
  done
}

replica_synced() {
  [[ "$(info_field "$1" replication role)" == slave && "$(info_field "$1" replication master_link_status)" == up ]]
}
sentinel_ready() {
  [[ "$(sentinel_field "$1" flags)" == master && "$(sentinel_field "$1" port)" == "$2" &&
    "$(sentinel_field "$1" num-slaves)" == 2 && "$(sentinel_field "$1" num-other-sentinels)" == 2 ]]
}

start_sentinel_topology() {
  local addr mhost=$HOST mport=$REDIS_PORT p
  addr="$(sentinel_master_addr || true)"
  if [[ -n "$addr" ]]; then
    read -r mhost mport <<< "$addr"
    log "  current master: $mhost:$mport"
  fi
  mkdir -p "$RUN_DIR"
  start_node "$mport" master write_data_conf
  for p in "${DATA_PORTS[@]}"; do
    [[ "$p" == "$mport" ]] || start_node "$p" replica write_data_conf "$mhost" "$mport"
  done
  for p in "${DATA_PORTS[@]}"; do
    [[ "$p" == "$mport" ]] || wait_until "replica $p to sync with $mhost:$mport" replica_synced "$p"
  done
  for p in "${SENTINEL_PORTS[@]}"; do
    start_node "$p" sentinel write_sentinel_conf "$mhost" "$mport"
  done
  for p in "${SENTINEL_PORTS[@]}"; do
    wait_until "sentinel $p to see the master, 2 replicas and 2 other sentinels" sentinel_ready "$p" "$mport"
  done
  local sentinels
  sentinels="$(printf "$HOST:%s," "${SENTINEL_PORTS[@]}")"
  COMMANDER_ARGS=(--sentinels "${sentinels%,}" --sentinel-name "$MASTER_NAME")
  cat << EOF

featcache Redis is ready (master + 2 replicas in sync, 3 sentinels, quorum $QUORUM).
Connect through the sentinels (follows failovers):
  export REDIS_SENTINELS=${sentinels%,}
  export REDIS_SENTINEL_NAME=$MASTER_NAME
or straight to the current master (no failover):
  export REDIS_URL=redis://$mhost:$mport
  redis-cli -h $mhost -p $mport
Stop with: bash scripts/stop-redis.sh
EOF
}

cluster_node_ready() {
  [[ "$(cluster_field "$1" cluster_state)" == ok && "$(cluster_field "$1" cluster_slots_assigned)" == 16384 &&
    "$(cluster_field "$1" cluster_known_nodes)" == 6 ]] || return 1
  [[ "$(info_field "$1" replication role)" == master ]] || replica_synced "$1"
}

start_cluster_topology() {
  local p fresh=0 joined=0 addrs=()
  mkdir -p "$RUN_DIR"
  for p in "${CLUSTER_PORTS[@]}"; do start_node "$p" cluster write_cluster_conf; done
  for p in "${CLUSTER_PORTS[@]}"; do
    addrs+=("$HOST:$p")
    if [[ "$(cluster_field "$p" cluster_known_nodes)" == 1 && "$(cluster_field "$p" cluster_slots_assigned)" == 0 ]]; then
      fresh=$((fresh + 1))
    elif [[ "$(cluster_field "$p" cluster_known_nodes)" == 6 ]]; then
      joined=$((joined + 1))
    fi
  done
  if ((fresh == 6)); then
    log "  creating the cluster (3 masters, 1 replica each)"
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes > "$RUN_DIR/cluster-create.log" 2>&1 \
      || die "redis-cli --cluster create failed (see $RUN_DIR/cluster-create.log)"
  elif ((joined != 6)); then
    die "cluster nodes disagree ($joined of 6 joined, $fresh fresh); reset with: bash scripts/stop-redis.sh --cluster --purge"
  fi
  for p in "${CLUSTER_PORTS[@]}"; do
    wait_until "cluster node $p (cluster_state:ok, 16384 slots, 6 nodes, replica in sync)" cluster_node_ready "$p"
  done
  local nodes
  nodes="$(printf "$HOST:%s," "${CLUSTER_PORTS[@]}")"
  COMMANDER_ARGS=(--redis-host "$HOST" --redis-port "$CLUSTER_PORT")
  cat << EOF

featcache Redis Cluster is ready (cluster_state:ok on 6 nodes, 3 masters + 3 replicas).
Connect:
  export REDIS_CLUSTER_NODES=${nodes%,}
  redis-cli -c -h $HOST -p $CLUSTER_PORT
Stop with: bash scripts/stop-redis.sh --cluster
EOF
}

commander_listening() { (exec 3<> "/dev/tcp/$HOST/$COMMANDER_PORT") 2> /dev/null; }

start_commander() {
  local dir="$RUN_DIR/$COMMANDER_PORT" cmd=()
  if our_pid "$COMMANDER_PORT" "redis-commander|node" > /dev/null; then
    log "  redis-commander already running on http://$HOST:$COMMANDER_PORT"
    return 0
  fi
  # No `npx redis-commander` here: it would download from the npm registry
  # at every start. Use a global or a project-local install.
  if command -v redis-commander > /dev/null 2>&1; then
    cmd=(redis-commander)
  elif [[ -x "$ROOT/node_modules/.bin/redis-commander" ]]; then
    cmd=("$ROOT/node_modules/.bin/redis-commander")
  else
    log "
Redis Commander is not installed; continuing without it. Install it with:
  npm install -g redis-commander      (or run it once with: npx redis-commander)
or use Docker: docker compose -f docker-compose.redis.yml --profile commander up -d"
    return 0
  fi
  mkdir -p "$dir"
  echo commander > "$dir/kind"
  nohup "${cmd[@]}" --port "$COMMANDER_PORT" --address "$HOST" ${COMMANDER_ARGS[@]+"${COMMANDER_ARGS[@]}"} > "$dir/redis.log" 2>&1 &
  echo $! > "$dir/pid"
  local deadline=$((SECONDS + 20))
  until commander_listening; do
    if ((SECONDS >= deadline)) || ! our_pid "$COMMANDER_PORT" "redis-commander|node" > /dev/null; then
      log "  redis-commander did not come up on port $COMMANDER_PORT; see $dir/redis.log"
      return 0
    fi
    sleep 0.2
  done
  log "Redis Commander: http://$HOST:$COMMANDER_PORT"
}

COMMANDER_ARGS=()
log "featcache: starting the $MODE topology (runtime dir $RUN_DIR)"
if [[ "$MODE" == cluster ]]; then start_cluster_topology; else start_sentinel_topology; fi
if ((${#STARTED[@]} == 0)); then log "(nothing new started: every node was already running)"; fi
if [[ "$COMMANDER" == yes ]]; then start_commander; fi
