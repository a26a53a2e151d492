#!/usr/bin/env bash
# test_reporter_group.sh BIN_DIR: two reporter processes in one consumer
# group share the partitions and together give the same report as the
# batch command; when one is killed, its partitions move to the other
# (which resumes them from the shared checkpoint database) and the report
# is unchanged; more polls streamed afterwards are reported too.
BIN=${1:?usage: test_reporter_group.sh BIN_DIR}
source "$(dirname "$0")/stack.sh"

D=$TMP/data
"$BIN/storemon-gen" --stores 400 --days 8 --seed 31 --out-dir "$D" --quiet
start_broker --partitions 8
R_ARGS=(--state-dir "$TMP/state" --checkpoint-interval 300ms
  -X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
start_reporter ra "${R_ARGS[@]}"
start_reporter rb "${R_ARGS[@]}"
check "load" "$BIN/storemon-ingestor" load --brokers "$ADDR" --polls "$D/polls.csv" \
  --hours "$D/menu_hours.csv" --zones "$D/timezones.csv" --log-level warn
# Both members must own partitions before the first report.
wait_for grep -q 'assigned' "$TMP/ra.log"
wait_for grep -q 'assigned' "$TMP/rb.log"
batch "$TMP/batch.csv" "$D/polls.csv" "$D/menu_hours.csv" "$D/timezones.csv"
now=$(grep -o 'now [0-9-]* [0-9:.]*' <("$BIN/storemon-reporter" batch \
  --polls "$D/polls.csv" --out /dev/null 2>&1) | cut -c5- | cut -c1-19)
report "$TMP/two.csv" --as-of "$now"
batch "$TMP/batch-asof.csv" "$D/polls.csv" "$D/menu_hours.csv" "$D/timezones.csv" --as-of "$now"
same_report "two instances: stream == batch" "$TMP/batch-asof.csv" "$TMP/two.csv"
check "both instances answered partitions" \
  bash -c "grep -q 'rows as of' '$TMP/ra.log' && grep -q 'rows as of' '$TMP/rb.log'"

kill -KILL "$PID_rb"
# More polls after the kill: 10 minutes after the last one, all active.
{
  echo "store_id,status,timestamp_utc"
  tail -n +2 "$D/polls.csv" | cut -d, -f1 | sort -u | head -50 |
    while read -r id; do
      echo "$id,inactive,$(date -u -d "$now UTC + 10 minutes" '+%Y-%m-%d %H:%M:%S') UTC"
    done
} >"$TMP/more.csv"
check "stream more polls" "$BIN/storemon-ingestor" stream --brokers "$ADDR" \
  --log-level warn <"$TMP/more.csv"
{ cat "$D/polls.csv"; tail -n +2 "$TMP/more.csv"; } >"$TMP/all.csv"
batch "$TMP/batch2.csv" "$TMP/all.csv" "$D/menu_hours.csv" "$D/timezones.csv"
report "$TMP/one.csv"
same_report "after one instance died: stream == batch" "$TMP/batch2.csv" "$TMP/one.csv"
check "the survivor took over partitions" \
  bash -c "test \$(grep -c 'assigned' '$TMP/ra.log') -ge 2"
check "SIGTERM" stop "$PID_ra"
finish
