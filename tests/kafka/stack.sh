# stack.sh: helpers for tests that run storemon's processes on an embedded
# broker (sourced by tests/kafka/test_*.sh and tests/e2e, not run).
#
# Needs BIN (the build's bin directory).  Makes $TMP, a trap that kills
# every process started here, and:
#   start_broker [ARGS]        storemon-broker, sets ADDR
#   start_reporter NAME [ARGS] storemon-reporter run in the background,
#                              logs in $TMP/NAME.log, pid in PID_<NAME>
#   wait_for CMD...            retries CMD for up to WAIT_S seconds
#   ok / fail / check / finish  from harness.sh ($TMP, STACK_PIDS too)
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
WAIT_S=${WAIT_S:-30}

wait_for() {
  local i
  for ((i = 0; i < WAIT_S * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

start_broker() {
  "$BIN/storemon-broker" --bootstrap-file "$TMP/bootstrap" "$@" \
    >"$TMP/broker.out" 2>"$TMP/broker.log" &
  STACK_PIDS+=($!)
  if ! wait_for test -s "$TMP/bootstrap"; then
    echo "broker did not start:"
    cat "$TMP/broker.log"
    exit 1
  fi
  ADDR=$(cat "$TMP/bootstrap")
}

start_reporter() {
  local name=$1
  shift
  "$BIN/storemon-reporter" run --brokers "$ADDR" --instance "$name" "$@" \
    >>"$TMP/$name.log" 2>&1 &
  STACK_PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
}

# stop PID: SIGTERM, then wait (bounded) for the exit; sets STOP_RC to the
# exit status (137 when it had to be killed).  Not in a subshell: only this
# shell can wait for its children.
stop() {
  kill -TERM "$1" 2>/dev/null
  wait_exit "$1" "$WAIT_S"
  STOP_RC=$EXIT_RC
  [ "$STOP_RC" -eq 0 ]
}

# wait_exit PID SECONDS: waits (bounded) for PID to exit; sets EXIT_RC to
# its exit status, 137 when it had to be killed (then returns 1).  Not in
# a subshell, as stop.
wait_exit() {
  local pid=$1 i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    EXIT_RC=137
    return 1
  fi
  wait "$pid" 2>/dev/null
  EXIT_RC=$?
}

# report OUT [ARGS]: a report from the running reporters into OUT.
report() {
  local out=$1
  shift
  timeout 120 "$BIN/storemon-reporter" report --brokers "$ADDR" --out "$out" \
    --timeout 60s "$@" 2>>"$TMP/client.log"
}

# batch OUT POLLS HOURS ZONES [ARGS]: the batch report of the same inputs.
batch() {
  local out=$1 polls=$2 hours=$3 zones=$4
  shift 4
  "$BIN/storemon-reporter" batch --polls "$polls" --hours "$hours" \
    --zones "$zones" --out "$out" --quiet --rejects "$TMP/batch-rejects.txt" "$@"
}

# same_report WHAT EXPECTED ACTUAL: byte-identical, else show the cells.
same_report() {
  if cmp -s "$2" "$3"; then
    ok "$1"
  else
    fail "$1"
    /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/../tools/compare_reports.py" \
      "$2" "$3" 2>&1 | head -20
  fi
}
