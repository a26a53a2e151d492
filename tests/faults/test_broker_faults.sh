#!/usr/bin/env bash
# test_broker_faults.sh BIN_DIR: the embedded broker's fault injection
# (storemon-broker --control-fifo) during a load: the broker goes down for
# 2 s and comes back, then Produce and Fetch requests fail with retriable
# errors.  Nothing accepted may be lost or written twice: the load exits 0,
# store-polls holds exactly the accepted polls, and the reporter's report
# equals `storemon-reporter batch` on the same files.
BIN=${1:?usage: test_broker_faults.sh BIN_DIR}
source "$(dirname "$0")/../kafka/stack.sh"

D=$TMP/data
"$BIN/storemon-gen" --stores 400 --days 8 --seed 5 --out-dir "$D" --quiet
start_broker --partitions 8 --control-fifo "$TMP/control"
check "the control FIFO exists" test -p "$TMP/control"
start_reporter r1 --state-dir "$TMP/state" --checkpoint-interval 300ms
wait_for grep -q assigned "$TMP/r1.log"

# A load slow enough (~20k polls/s) to be hit by the faults.
"$BIN/storemon-ingestor" load --brokers "$ADDR" --polls "$D/polls.csv" \
  --hours "$D/menu_hours.csv" --zones "$D/timezones.csv" --max-lag 0 \
  -X queue.buffering.max.messages=1000 -X linger.ms=50 \
  >"$TMP/load.log" 2>&1 &
LOAD=$!
STACK_PIDS+=("$LOAD")
sleep 1
check "the load is running when the broker goes down" kill -0 "$LOAD"
echo "down 1" >"$TMP/control"
sleep 2
echo "up 1" >"$TMP/control"
sleep 1
# 6 = NOT_LEADER_OR_FOLLOWER (retriable): for Produce (0) and Fetch (1).
echo "errors 0 6 6 6" >"$TMP/control"
echo "errors 1 6 6" >"$TMP/control"
check "the load finishes with every record acknowledged" wait "$LOAD"
check "the broker applied the faults" \
  bash -c "grep -q 'broker 1 down' '$TMP/broker.log' && grep -q 'broker 1 up' '$TMP/broker.log' && grep -q 'ApiKey 0 will fail' '$TMP/broker.log'"

accepted=$(grep -o 'accepted: *[0-9]* polls' "$TMP/load.log" | grep -o '[0-9]*')
stored=$(timeout 60 kcat -b "$ADDR" -C -t store-polls -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l)
check "store-polls holds each accepted poll once ($stored of ${accepted:-?})" \
  test "$stored" -eq "${accepted:--1}"
batch "$TMP/batch.csv" "$D/polls.csv" "$D/menu_hours.csv" "$D/timezones.csv"
report "$TMP/stream.csv"
same_report "after the faults: stream == batch" "$TMP/batch.csv" "$TMP/stream.csv"
check "no gap in the reporter's reading" bash -c "! grep -q GAP '$TMP/r1.log'"
check "the reporter stops cleanly" stop "$PID_r1"
finish
