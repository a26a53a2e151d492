#!/usr/bin/env bash
# test_broker_down.sh BIN_DIR: the services against a broker address where
# nothing listens (a free loopback port).
#
#  1. the reporter and the gateway say that they are waiting for the
#     Kafka cluster, name the address that refuses connections, and keep
#     running (retrying) for 12 s, past one metadata timeout;
#  2. SIGTERM while the broker is down stops each of them promptly with
#     status 0;
#  3. storemon-ingestor load with -X message.timeout.ms=3000 exits
#     non-zero within 60 s, reporting the records not delivered and
#     acknowledging none.
BIN=${1:?usage: test_broker_down.sh BIN_DIR}
source "$(dirname "$0")/../kafka/stack.sh"

PORT=$(/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')
ADDR=127.0.0.1:$PORT
echo "broker address (nothing listens): $ADDR"

start_reporter r1 --state-dir "$TMP/state"
"$BIN/storemon-gateway" --brokers "$ADDR" --db "$TMP/g1.db" --port 0 \
  --port-file "$TMP/g1.port" >"$TMP/g1.log" 2>&1 &
PID_g1=$!
STACK_PIDS+=("$PID_g1")

# 1.
sleep 12
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
finish
