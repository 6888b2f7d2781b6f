#!/usr/bin/env bash
# Stop the Redis processes started by scripts/start-redis.sh.
#
#   bash scripts/stop-redis.sh                 everything started from the runtime dir
#   bash scripts/stop-redis.sh --cluster       only the cluster nodes
#   bash scripts/stop-redis.sh --sentinel      only master, replicas and sentinels
#   bash scripts/stop-redis.sh --purge         ... and delete their runtime dirs (data!)
#
# Only processes whose pid file lives in $FEATCACHE_RUN_DIR/<port>/ are touched
# (SIGTERM: Redis saves and fsyncs, then exits; SIGKILL after 15 s). Running it
# when nothing runs is fine.
#   FEATCACHE_RUN_DIR [<repo>/.featcache/redis]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${FEATCACHE_RUN_DIR:-$ROOT/.featcache/redis}"

KINDS="commander sentinel replica master cluster"
PURGE=no
for arg in "$@"; do
  case "$arg" in
    --cluster) KINDS="cluster" ;;
    --sentinel) KINDS="sentinel replica master" ;;
    --purge) PURGE=yes ;;
    -h | --help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "stop-redis.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

if [[ ! -d "$RUN_DIR" ]]; then
  echo "featcache: nothing to stop ($RUN_DIR does not exist)"
  exit 0
fi

# alive <pid>: running and not a zombie (a dead child waiting to be reaped
# still answers kill -0).
alive() {
  local st
  st="$(ps -o stat= -p "$1" 2> /dev/null)" || return 1
  [[ -n "$st" && "$st" != Z* ]]
}

# stop_one <dir>: SIGTERM the process of <dir>/pid and wait until it is gone.
stop_one() {
  local dir="$1" kind port pid
  kind="$(cat "$dir/kind")"
  port="$(basename "$dir")"
  if [[ -f "$dir/pid" ]]; then
    pid="$(cat "$dir/pid")"
    # Only signal a live process that is still ours (pid files can go stale
    # and pids get reused).
    if [[ -n "$pid" ]] && alive "$pid" &&
      ps -p "$pid" -o command= 2> /dev/null | grep -q -E 'redis|node'; then
      kill -TERM "$pid" 2> /dev/null || true
      local deadline=$((SECONDS + 15))
      while alive "$pid"; do
        if ((SECONDS >= deadline)); then
          echo "  $kind $port (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL"
          kill -KILL "$pid" 2> /dev/null || true
        fi
        sleep 0.05
      done
      echo "  stopped $kind on port $port (pid $pid)"
      STOPPED=$((STOPPED + 1))
    fi
    rm -f "$dir/pid"
  fi
  if [[ "$PURGE" == yes ]]; then
    rm -rf "$dir"
    echo "  purged $dir"
  fi
}

STOPPED=0
echo "featcache: stopping Redis processes from $RUN_DIR"
# Sentinels first (so they do not fail over while the data nodes go down),
# then replicas before their master.
for kind in $KINDS; do
  for dir in "$RUN_DIR"/*/; do
    dir="${dir%/}"
    [[ -f "$dir/kind" && "$(cat "$dir/kind")" == "$kind" ]] || continue
    stop_one "$dir"
  done
done
if [[ "$PURGE" == yes && "$KINDS" == *cluster* ]]; then rm -f "$RUN_DIR/cluster-create.log"; fi
echo "featcache: $STOPPED process(es) stopped"
