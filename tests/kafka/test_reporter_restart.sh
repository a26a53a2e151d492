#!/usr/bin/env bash
# test_reporter_restart.sh BIN_DIR: the reporter killed with SIGKILL in
# the middle of a load resumes from its checkpoint and gives the same
# report as the batch command; a clean stop (SIGTERM) and restart does too,
# and resumes from the checkpoint rather than the beginning.
BIN=${1:?usage: test_reporter_restart.sh BIN_DIR}
source "$(dirname "$0")/stack.sh"

D=$TMP/data
"$BIN/storemon-gen" --stores 2000 --days 8 --seed 21 --out-dir "$D" --quiet
start_broker --partitions 8
R_ARGS=(--state-dir "$TMP/state" --checkpoint-interval 300ms -X session.timeout.ms=6000)

start_reporter r1 "${R_ARGS[@]}"
wait_for grep -q assigned "$TMP/r1.log"
"$BIN/storemon-ingestor" load --brokers "$ADDR" --polls "$D/polls.csv" \
  --hours "$D/menu_hours.csv" --zones "$D/timezones.csv" --log-level warn \
  >"$TMP/load.log" 2>&1 &
LOAD=$!
STACK_PIDS+=("$LOAD")
# Kill the reporter twice while it works, restarting it each time.
for delay in 0.6 0.4; do
  sleep "$delay"
  kill -KILL "$PID_r1" 2>/dev/null
  wait "$PID_r1" 2>/dev/null
  start_reporter r1 "${R_ARGS[@]}"
  wait_for grep -q 'resumed at offsets' "$TMP/r1.log"
done
check "the load finishes with every record acknowledged" wait "$LOAD"
batch "$TMP/batch.csv" "$D/polls.csv" "$D/menu_hours.csv" "$D/timezones.csv"
report "$TMP/after-kill.csv"
same_report "after two kill -9 and restarts: stream == batch" "$TMP/batch.csv" "$TMP/after-kill.csv"
check "the restarts resumed from a checkpoint" grep -q 'resumed at offsets' "$TMP/r1.log"

check "SIGTERM stops the reporter with status 0" stop "$PID_r1"
start_reporter r1 "${R_ARGS[@]}"
report "$TMP/after-term.csv"
same_report "after a clean restart: stream == batch" "$TMP/batch.csv" "$TMP/after-term.csv"
check "gaps: none reported" bash -c "! grep -q GAP '$TMP/r1.log'"
check "SIGTERM again" stop "$PID_r1"

# A new embedded broker starts empty: the checkpoint points past the end
# of the new topics and must be dropped, not trusted.
kill -TERM "${STACK_PIDS[0]}"
wait "${STACK_PIDS[0]}" 2>/dev/null
rm -f "$TMP/bootstrap"
start_broker --partitions 8
"$BIN/storemon-ingestor" load --brokers "$ADDR" --polls "$D/polls.csv" \
  --hours "$D/menu_hours.csv" --zones "$D/timezones.csv" --log-level warn >/dev/null 2>&1
start_reporter r1 "${R_ARGS[@]}"
report "$TMP/new-broker.csv"
same_report "on a new broker with an old checkpoint: stream == batch" "$TMP/batch.csv" "$TMP/new-broker.csv"
check "the stale checkpoint was reported" grep -q 'topics were recreated' "$TMP/r1.log"
check "SIGTERM" stop "$PID_r1"
finish
