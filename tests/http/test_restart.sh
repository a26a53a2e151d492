#!/usr/bin/env bash
# test_restart.sh BIN_DIR: reports survive gateway restarts, complete once
# and are announced once.
#
#  1. a report completes normally;
#  2. the reporter is stopped, a report triggered, the gateway killed
#     (SIGKILL) and restarted on the same database: the report is still
#     Running; the reporter comes back and the report completes, equal to
#     the batch report for its as_of;
#  3. the reporter is stopped, a report triggered, the gateway killed; the
#     reporter comes back and answers while the gateway is down, and every
#     record of report-results is delivered a second time
#     (tests/http/replay.py); the gateway restarts, resumes from its stored
#     offsets, ignores the duplicates and completes the report;
#  4. the gateway is killed and restarted once more: nothing is announced
#     again.
# tests/http/subscriber.py reads report-ready throughout: exactly one
# event per report.
BIN=${1:?usage: test_restart.sh BIN_DIR}
source "$(dirname "$0")/lib.sh"

gen_data "$TMP/data" --stores 300 --days 8 --seed 9
D=$TMP/data
start_broker --partitions 4
"$PY" "$HTTP_DIR/subscriber.py" --brokers "$ADDR" --schemas "$SCHEMAS" \
  --count 3 --linger 8 --timeout 200 >"$TMP/subscriber.out" 2>&1 &
SUB=$!
STACK_PIDS+=($SUB)
check "load the data set" load_data "$D"
start_reporter r1 --state-dir "$TMP/state"
start_gateway g1 --trigger-wait 2s || exit 1
PORT=$PORT_g1
U=$URL_g1

# batch_for ID OUT: the batch report for the as_of of report ID.
batch_for() {
  local as_of
  as_of=$(curl -s "$U/get_report/$1" | "$PY" -c 'import json, sys
print(json.load(sys.stdin)["as_of"])')
  batch "$2" "$D/polls.csv" "$D/menu_hours.csv" "$D/timezones.csv" \
    --as-of "$as_of"
}

# 1.
R1=$(trigger "$U")
check "report 1 completes" wait_status "$U" "$R1" Complete

# 2.
check "reporter stops" halt "$PID_r1"
R2=$(trigger "$U")
check "report 2 triggered with the reporter down" test -n "$R2"
crash "$PID_g1"
start_gateway g1 --port "$PORT" --trigger-wait 2s || exit 1
expect "after a SIGKILL and a restart, report 2 is still Running" 202 GET \
  "$U/get_report/$R2"
expect "and report 1 still Complete" 200 GET "$U/get_report/$R1"
start_reporter r2 --state-dir "$TMP/state"
check "report 2 completes once the reporter is back" wait_status "$U" "$R2" Complete
batch_for "$R2" "$TMP/batch2.csv"
expect "download report 2" 200 GET "$U/reports/$R2.csv"
same_report "report 2 == batch for its as_of" "$TMP/batch2.csv" "$TMP/body"

# 3.
check "reporter stops again" halt "$PID_r2"
R3=$(trigger "$U")
check "report 3 triggered with the reporter down" test -n "$R3"
crash "$PID_g1"
start_reporter r3 --state-dir "$TMP/state"
answered() { [ "$(grep -c "report $R3 partition" "$TMP/r3.log")" -ge 4 ]; }
check "the reporter answers report 3 while the gateway is down" wait_for answered
sleep 0.5
n=$("$PY" "$HTTP_DIR/replay.py" --brokers "$ADDR" --topic report-results)
check "every part delivered twice ($n records again)" test "${n:-0}" -gt 0
start_gateway g1 --port "$PORT" || exit 1
check "report 3 completes after the restart" wait_status "$U" "$R3" Complete
batch_for "$R3" "$TMP/batch3.csv"
expect "download report 3" 200 GET "$U/get_report/$R3?format=csv"
same_report "report 3 == batch for its as_of" "$TMP/batch3.csv" "$TMP/body"
curl -s "$U/metrics" >"$TMP/metrics"
check "the redelivered parts were recognised" \
  grep -Eq '^storemon_gateway_report_parts_(duplicate|ignored)_total [1-9]' "$TMP/metrics"
check "no report failed" grep -q '^storemon_gateway_reports{status="Failed"} 0' "$TMP/metrics"

# 4.
crash "$PID_g1"
start_gateway g1 --port "$PORT" || exit 1
expect "report 3 is still Complete after another SIGKILL" 200 GET "$U/reports/$R3.csv"

for ((i = 0; i < 800; i++)); do kill -0 $SUB 2>/dev/null || break; sleep 0.25; done
wait $SUB
check "the subscriber's checks passed" test $? -eq 0
cat "$TMP/subscriber.out"
for r in "$R1" "$R2" "$R3"; do
  check "exactly one ReportReady for $r" grep -q "^READY $r 1 " "$TMP/subscriber.out"
done
check "no ReportReady for anything else" test "$(grep -c '^READY ' "$TMP/subscriber.out")" -eq 3
check "gateway stops cleanly on SIGTERM" halt "$PID_g1"
check "reporter stops cleanly on SIGTERM" halt "$PID_r3"
finish
