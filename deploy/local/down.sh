#!/usr/bin/env bash
# Stops exactly the processes deploy/local/up.sh started (their pids are in
# RUN_DIR/pids, default run/): the gateway, the reporter, then the broker,
# each with SIGTERM and a bounded wait (SIGKILL after 20 s).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
run=${RUN_DIR:-$top/run}
if [ ! -f "$run/pids" ]; then
  echo "down: nothing is running from $run"
  exit 0
fi
for name in gateway reporter broker; do
  pid=$(awk -v n="$name" '$1 == n {print $2}' "$run/pids")
  [ -n "$pid" ] || continue
  # Only our process: the pid must still run storemon's binary.
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "storemon-"; then
    continue
  fi
  kill -TERM "$pid" 2>/dev/null || continue
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "down: $name (pid $pid) did not stop in 20 s: killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  echo "down: stopped $name (pid $pid)"
done
rm -f "$run/pids" "$run/bootstrap" "$run/port" "$run/url"
