#!/usr/bin/env bash
# test_flow.sh BIN_DIR: the whole flow through the gateway, against the
# batch report, with a subscriber nobody here wrote.
#
# A generated data set is loaded through the ingestor; the reporter and
# the gateway run; a report is triggered over HTTP without as_of (the
# gateway resolves it from the reporters' progress), polled until
# Complete and downloaded: it must be byte-identical to
# `storemon-reporter batch` on the same files, for the same now.  Then
# again with an explicit as_of five hours back.  Meanwhile
# tests/http/subscriber.py (python3-confluent-kafka + python3-avro)
# reads report-ready: exactly one event per report, each with a valid
# header and body, whose url serves the same CSV as the gateway.
BIN=${1:?usage: test_flow.sh BIN_DIR}
source "$(dirname "$0")/lib.sh"

gen_data "$TMP/data" --stores 1500 --days 8 --seed 5
D=$TMP/data
start_broker --partitions 8
"$PY" "$HTTP_DIR/subscriber.py" --brokers "$ADDR" --schemas "$SCHEMAS" \
  --count 2 --linger 3 --timeout 150 >"$TMP/subscriber.out" 2>&1 &
SUB=$!
STACK_PIDS+=($SUB)
check "load the data set" load_data "$D"
start_reporter r1 --state-dir "$TMP/state"
start_gateway g1 || exit 1
U=$URL_g1

batch_now=$("$BIN/storemon-reporter" batch --polls "$D/polls.csv" \
  --hours "$D/menu_hours.csv" --zones "$D/timezones.csv" --out "$TMP/batch.csv" \
  2>&1 | grep -o 'now [0-9-]* [0-9:.]*' | cut -c5-)
check "the batch report" test -s "$TMP/batch.csv"

t0=$(date +%s.%N)
R1=$(trigger "$U")
check "trigger without as_of: 202 with a report id" test -n "$R1"
check "report 1 completes" wait_status "$U" "$R1" Complete
echo "# trigger to Complete (polled): $(echo "$(date +%s.%N) - $t0" | bc) s"
expect "download report 1" 200 GET "$U/get_report?report_id=$R1&format=csv"
same_report "report 1 == batch (same now)" "$TMP/batch.csv" "$TMP/body"
expect "report 1 as JSON" 200 GET "$U/get_report/$R1"
check "its as_of is the batch's now ($batch_now)" test "$(jfield as_of)" = \
  "$(date -u -d "$batch_now UTC" '+%Y-%m-%dT%H:%M:%S.%6NZ')"

as_of=$(date -u -d "$batch_now UTC - 5 hours" '+%Y-%m-%d %H:%M:%S')
R2=$(trigger "$U" -H 'Content-Type: application/json' -d "{\"as_of\": \"$as_of\"}")
check "report 2 (as_of $as_of) completes" wait_status "$U" "$R2" Complete
batch "$TMP/batch2.csv" "$D/polls.csv" "$D/menu_hours.csv" "$D/timezones.csv" \
  --as-of "$as_of"
expect "download report 2 (/reports/ID.csv)" 200 GET "$U/reports/$R2.csv"
same_report "report 2 == batch --as-of" "$TMP/batch2.csv" "$TMP/body"

for ((i = 0; i < 600; i++)); do kill -0 $SUB 2>/dev/null || break; sleep 0.25; done
wait $SUB
check "the subscriber's checks passed" test $? -eq 0
cat "$TMP/subscriber.out"
for r in "$R1" "$R2"; do
  check "exactly one ReportReady for $r" grep -q "^READY $r 1 " "$TMP/subscriber.out"
done
check "no ReportReady for anything else" test "$(grep -c '^READY ' "$TMP/subscriber.out")" -eq 2
check "gateway stops cleanly on SIGTERM" halt "$PID_g1"
finish
