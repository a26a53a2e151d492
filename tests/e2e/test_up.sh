#!/usr/bin/env bash
# test_up.sh BIN_DIR: the main job end to end.
#  - `up.sh --once DATA_DIR` prints a report equal to `storemon-reporter
#    batch` on the same files, and stops everything it started;
#  - `up.sh` leaves the stack serving; a second `up.sh` is refused with a
#    message while the first runs; a new trigger over HTTP gives the same
#    report; `down.sh` stops exactly the processes up.sh started.
BIN=${1:?usage: test_up.sh BIN_DIR}
source "$(dirname "$0")/../kafka/stack.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
export BUILD_DIR=${BIN%/bin} RUN_DIR=$TMP/run
UP=$top/deploy/local/up.sh
DOWN=$top/deploy/local/down.sh

"$BIN/storemon-gen" --stores 300 --seed 41 --bad-rows 0.002 --out-dir "$TMP/data" --quiet
batch "$TMP/batch.csv" "$TMP/data/polls.csv" "$TMP/data/menu_hours.csv" "$TMP/data/timezones.csv"

check "up.sh --once runs" bash -c "'$UP' --once --port 0 '$TMP/data' >'$TMP/once.out' 2>&1"
same_report "up.sh --once: its report equals the batch report" "$TMP/batch.csv" "$RUN_DIR/report.csv"
check "up.sh --once prints the report's first rows" grep -q '^store_id,uptime_last_hour' "$TMP/once.out"
check "up.sh --once leaves no pid file" test ! -f "$RUN_DIR/pids"
check "the rejected rows are listed" test -s "$RUN_DIR/rejects.txt"

check "up.sh starts the stack" bash -c "'$UP' --port 0 '$TMP/data' >'$TMP/up.out' 2>&1"
pids=$(awk '{print $2}' "$RUN_DIR/pids")
STACK_PIDS+=($pids)
alive=0
for p in $pids; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
check "three processes serve (broker, reporter, gateway)" test "$alive" -eq 3
if "$UP" --port 0 "$TMP/data" >"$TMP/again.out" 2>&1; then
  fail "a second up.sh is refused"
else
  check "a second up.sh is refused politely" grep -q 'already running' "$TMP/again.out"
fi
url=$(cat "$RUN_DIR/url")
id=$(curl -sf -X POST "$url/trigger_report" | sed -n 's/.*"report_id" *: *"\([^"]*\)".*/\1/p')
for ((i = 0; i < 300; i++)); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/get_report?report_id=$id")" = 200 ] && break
  sleep 0.1
done
curl -sf "$url/get_report?report_id=$id&format=csv" -o "$TMP/http.csv"
same_report "a report triggered over HTTP equals the batch report" "$TMP/batch.csv" "$TMP/http.csv"

check "down.sh" "$DOWN"
left=0
for p in $pids; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
check "down.sh leaves no process behind" test "$left" -eq 0
check "down.sh removes the pid file" test ! -f "$RUN_DIR/pids"
finish
