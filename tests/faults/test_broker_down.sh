#!/usr/bin/env bash
# test_broker_down.sh BIN_DIR: the services against a broker address where
# nothing listens (a free loopback port).
#
#  1. the reporter and the gateway say that they are waiting for the
#     Kafka cluster, name the address that refuses connections, and keep
#     running (retrying) for 12 s, past one metadata timeout; meanwhile
#     the gateway's port is open: /healthz 200, /readyz 503, get_report,
#     the CSVs and trigger_report 503 with Retry-After;
#  2. SIGTERM while the broker is down stops each of them promptly with
#     status 0;
#  3. storemon-ingestor load with -X message.timeout.ms=3000 exits
#     non-zero within 60 s, reporting the records not delivered and
#     acknowledging none;
#  4. the broker comes late: an embedded broker whose only broker is down
#     (storemon-broker --control-fifo, 'down 1') while a reporter and a
#     gateway start and wait; 'up 1' after 6 s: the gateway becomes ready,
#     a load and a report over HTTP work, and the report equals
#     `storemon-reporter batch` of the same files.
BIN=${1:?usage: test_broker_down.sh BIN_DIR}
source "$(dirname "$0")/../kafka/stack.sh"

PORT=$(/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')
ADDR=127.0.0.1:$PORT
echo "broker address (nothing listens): $ADDR"

GPORT=$(/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')
start_reporter r1 --state-dir "$TMP/state"
"$BIN/storemon-gateway" --brokers "$ADDR" --db "$TMP/g1.db" --port "$GPORT" \
  --port-file "$TMP/g1.port" >"$TMP/g1.log" 2>&1 &
PID_g1=$!
STACK_PIDS+=("$PID_g1")
U=http://127.0.0.1:$GPORT

# code PATH [CURL ARGS]: the HTTP status of the gateway's answer; the
# headers are kept in $TMP/hdr.
code() {
  local path=$1
  shift
  curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' --max-time 5 "$@" "$U$path"
}

# 1.
check "the gateway's port opens while it waits for the cluster" \
  wait_for curl -s -o /dev/null "$U/healthz"
check "/healthz is 200 while waiting" test "$(code /healthz)" = 200
check "/readyz is 503 while waiting" test "$(code /readyz)" = 503
check "/metrics is 200 while waiting" test "$(code /metrics)" = 200
ID=0b6f3a52-7d8e-4c1a-9f2b-5e4d3c2b1a09
check "get_report is 503 while waiting" test "$(code "/get_report/$ID")" = 503
check "with Retry-After" grep -qi '^Retry-After: 5' "$TMP/hdr"
check "and a JSON error saying why" grep -q 'waiting for the Kafka cluster' "$TMP/body"
check "a report's CSV is 503 while waiting" test "$(code "/reports/$ID.csv")" = 503
check "trigger_report is 503 while waiting" test "$(code /trigger_report -X POST)" = 503
check "no port file before the gateway serves every route" test ! -e "$TMP/g1.port"
sleep 10
check "the reporter keeps retrying for 12 s with the broker down" kill -0 "$PID_r1"
check "the gateway keeps retrying for 12 s with the broker down" kill -0 "$PID_g1"
for s in r1 g1; do
  check "$s logs that $ADDR refuses connections" \
    grep -Eq "Connect to ipv4#$ADDR failed: Connection refused" "$TMP/$s.log"
  check "$s says it is waiting for the Kafka cluster" \
    grep -q "waiting for the Kafka cluster" "$TMP/$s.log"
done

# 2.
for s in r1 g1; do
  pid_var=PID_$s
  t0=$SECONDS
  stop "${!pid_var}"
  check "$s stops with status 0 within 5 s of SIGTERM (status $STOP_RC, $((SECONDS - t0)) s)" \
    test "$STOP_RC" -eq 0 -a $((SECONDS - t0)) -le 5
done
echo "--- reporter log"
tail -5 "$TMP/r1.log"
echo "--- gateway log"
tail -5 "$TMP/g1.log"

# 3.
D=$TMP/data
"$BIN/storemon-gen" --stores 20 --days 2 --seed 3 --out-dir "$D" --quiet
t0=$SECONDS
timeout -k 5 60 "$BIN/storemon-ingestor" load --brokers "$ADDR" \
  --polls "$D/polls.csv" --hours "$D/menu_hours.csv" --zones "$D/timezones.csv" \
  -X message.timeout.ms=3000 >"$TMP/load.log" 2>&1
rc=$?
check "the ingestor exits non-zero with the broker down (got $rc)" \
  test "$rc" -ne 0 -a "$rc" -ne 124 -a "$rc" -ne 137
check "within 30 s (took $((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 30
check "it reports records not delivered" grep -q 'not delivered: Local: Message timed out' "$TMP/load.log"
check "its summary counts delivery failures" grep -Eq 'delivery failures: [1-9]' "$TMP/load.log"
check "and no acknowledged records" grep -q 'published: 0 polls, 0 schedules, 0 zones' "$TMP/load.log"
grep -v rdkafka "$TMP/load.log" | tail -6

# 4.
echo "# the broker comes late"
rm -f "$TMP/bootstrap"
start_broker --partitions 4 --control-fifo "$TMP/control"
echo "down 1" >"$TMP/control"
wait_for grep -q 'broker 1 down' "$TMP/broker.log"
start_reporter r2 --state-dir "$TMP/state2" --checkpoint-interval 300ms
"$BIN/storemon-gateway" --brokers "$ADDR" --db "$TMP/g2.db" --port 0 \
  --port-file "$TMP/g2.port" >"$TMP/g2.log" 2>&1 &
PID_g2=$!
STACK_PIDS+=("$PID_g2")
sleep 6
check "the reporter waits while the broker is down" kill -0 "$PID_r2"
check "the gateway waits while the broker is down" kill -0 "$PID_g2"
check "the gateway does not serve reports while the broker is down" test ! -e "$TMP/g2.port"
echo "up 1" >"$TMP/control"
check "the gateway serves once the broker is up" wait_for test -s "$TMP/g2.port"
U=http://127.0.0.1:$(cat "$TMP/g2.port")
check "and is ready" wait_for curl -sf -o /dev/null "$U/readyz"
check "the reporter is assigned its partitions" wait_for grep -q assigned "$TMP/r2.log"
check "a load after the broker came back" "$BIN/storemon-ingestor" load --brokers "$ADDR" \
  --polls "$D/polls.csv" --hours "$D/menu_hours.csv" --zones "$D/timezones.csv" \
  --log-level warn
batch "$TMP/batch.csv" "$D/polls.csv" "$D/menu_hours.csv" "$D/timezones.csv"
C=$(curl -s --max-time 30 -X POST "$U/trigger_report" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["report_id"])')
# complete: the CSV is there (200; a Running report answers 202).
complete() { test "$(code "/reports/$C.csv")" = 200 && cp "$TMP/body" "$TMP/http.csv"; }
check "a report triggered over HTTP completes" wait_for complete
same_report "the report after the late broker == batch" "$TMP/batch.csv" "$TMP/http.csv"
for s in r2 g2; do
  pid_var=PID_$s
  stop "${!pid_var}"
  check "$s stops with status 0 (status $STOP_RC)" test "$STOP_RC" -eq 0
done
finish
