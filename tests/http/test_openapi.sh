#!/usr/bin/env bash
# test_openapi.sh BIN_DIR: api-gateway/openapi.yaml against the running
# gateway (tests/http/openapi_check.py, python3-yaml): every path, method
# and code of the document is produced and its answer matches the
# document, and every answer the checker knows is in the document.
#
# Needs a complete, a running and a failed report: the first is made
# normally; the gateway restarts with a short --report-timeout on the same
# database and the failed one is triggered while the reporter is paused
# (SIGSTOP); the gateway restarts with the default timeout and the running
# one is triggered while the reporter is still paused.  Last, the broker is
# stopped and the 503 answers (/readyz, /trigger_report) are checked.
BIN=${1:?usage: test_openapi.sh BIN_DIR}
source "$(dirname "$0")/lib.sh"
DOC=$HTTP_DIR/../../api-gateway/openapi.yaml

gen_data "$TMP/data" --stores 100 --days 8 --seed 2
start_broker --partitions 4
BROKER_PID=${STACK_PIDS[-1]}
check "load the data set" load_data "$TMP/data"
start_reporter r1 --state-dir "$TMP/state"
start_gateway g1 || exit 1
C=$(trigger "$URL_g1")
check "a complete report" wait_status "$URL_g1" "$C" Complete
check "the gateway stops" halt "$PID_g1"
start_gateway g1 --report-timeout 2s --trigger-wait 200ms || exit 1
kill -STOP "$PID_r1"
F=$(trigger "$URL_g1")
check "a failed report" wait_status "$URL_g1" "$F" Failed
check "the gateway stops" halt "$PID_g1"
start_gateway g1 --trigger-wait 200ms || exit 1
U=$URL_g1
R=$(trigger "$U")
check "a running report" wait_status "$U" "$R" Running

"$PY" "$HTTP_DIR/openapi_check.py" --doc "$DOC" --url "$U" --complete "$C" \
  --running "$R" --failed "$F" --phase up >"$TMP/check-up.out" 2>&1
check "openapi_check.py, broker up" test $? -eq 0
grep -v '^ok - ' "$TMP/check-up.out"

kill -CONT "$PID_r1"
check "the reporter stops" halt "$PID_r1"
kill -TERM "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
not_ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/readyz")" = 503 ]; }
check "readyz turns 503 without the broker" wait_for not_ready
"$PY" "$HTTP_DIR/openapi_check.py" --doc "$DOC" --url "$U" --complete "$C" \
  --running "$R" --failed "$F" --phase down >"$TMP/check-down.out" 2>&1
check "openapi_check.py, broker down" test $? -eq 0
grep -v '^ok - ' "$TMP/check-down.out"
check "gateway stops cleanly on SIGTERM without a broker" halt "$PID_g1"
finish
