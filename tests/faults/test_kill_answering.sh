#!/usr/bin/env bash
# test_kill_answering.sh BIN_DIR: a reporter killed after it answered a
# request but before the broker acknowledged the parts.  (Until the parts
# are acknowledged, an answer holds the request's position in the
# checkpoint; before that was so, such a report stayed Running until it
# timed out.)
#
# The reporter is frozen (SIGSTOP), a report triggered, and the broker told
# to fail the next 60 Produce requests (retriable NOT_LEADER_OR_FOLLOWER);
# the reporter resumes, answers every partition (the parts sit in its
# producer, being retried), goes on checkpointing every 300 ms, and is
# killed 1.5 s later.  The restarted reporter must answer again: the report
# completes and equals the batch report.
BIN=${1:?usage: test_kill_answering.sh BIN_DIR}
source "$(dirname "$0")/../http/lib.sh"

D=$TMP/data
gen_data "$D" --stores 300 --days 8 --seed 3
start_broker --partitions 4 --control-fifo "$TMP/control"
R_ARGS=(-X session.timeout.ms=3000 --checkpoint-interval 300ms)
start_reporter r1 --state-dir "$TMP/state" "${R_ARGS[@]}" --metrics-interval 200ms
check "the reporter joins its group" wait_for grep -q assigned "$TMP/r1.log"
start_gateway g --report-timeout 60s || exit 1
U=$URL_g
check "load the data set" load_data "$D"
batch "$TMP/batch.csv" "$D/polls.csv" "$D/menu_hours.csv" "$D/timezones.csv"
caught_up() { grep -q '"lag_polls":0' "$TMP/state/metrics-r1.json" 2>/dev/null; }
check "the reporter has read the load" wait_for caught_up
sleep 1

kill -STOP "$PID_r1"
ID=$(trigger "$U")
check "a report is triggered with the reporter frozen" test -n "$ID"
echo "errors 0$(printf ' 6%.0s' $(seq 60))" >"$TMP/control"
sleep 0.3
kill -CONT "$PID_r1"
answered() { [ "$(grep -c "report $ID partition" "$TMP/r1.log")" -eq 4 ]; }
check "the reporter answers every partition (parts not yet delivered)" wait_for answered
sleep 1.5
crash "$PID_r1"
start_reporter r2 --state-dir "$TMP/state" "${R_ARGS[@]}"
check "after the reporter's SIGKILL and restart the report completes" \
  wait_status "$U" "$ID" Complete
expect "the report as CSV" 200 GET "$U/get_report/$ID?format=csv"
same_report "report == batch" "$TMP/batch.csv" "$TMP/body"
check "the reporter stops cleanly" halt "$PID_r2"
check "the gateway stops cleanly" halt "$PID_g"
finish
