#!/usr/bin/env bash
# test_broker_faults.sh BIN_DIR: the embedded broker's fault injection
# (storemon-broker --control-fifo) during a load: the broker goes down for
# 2 s and comes back, then Produce and Fetch requests fail with retriable
# errors.  Nothing accepted may be lost or written twice: the load exits 0,
# store-polls holds exactly the accepted polls, and the reporter's report
# equals `storemon-reporter batch` on the same files.  Then the reporter's
# offset commits fail (OffsetCommit errors, then the broker down across a
# checkpoint and a SIGTERM): it keeps running, stops cleanly, and a
# restart resumes from its checkpoints (not from the commits) with the
# same report: nothing applied twice, nothing skipped.
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

# Failing commits.  16 = NOT_COORDINATOR, 15 = COORDINATOR_NOT_AVAILABLE
# for OffsetCommit (8); the stream goes on meanwhile (a second, small
# load, of the two days after the first: older polls would be late beyond
# the grace period, which streaming refuses by design) so that there is
# something to checkpoint and commit.
"$BIN/storemon-gen" --stores 50 --days 2 --end '2023-01-27 18:00:00' --seed 6 \
  --out-dir "$D/more" --quiet
echo "errors 8 16 15 16 15 16 15 16 15" >"$TMP/control"
check "a second load while commits fail" "$BIN/storemon-ingestor" load --brokers "$ADDR" \
  --polls "$D/more/polls.csv" --hours "$D/more/menu_hours.csv" \
  --zones "$D/more/timezones.csv" --log-level warn
sleep 2 # several checkpoints (every 300 ms), each followed by a commit
check "the broker failed OffsetCommit requests" grep -q 'ApiKey 8 will fail' "$TMP/broker.log"
check "the reporter runs on" kill -0 "$PID_r1"
echo "down 1" >"$TMP/control"
sleep 1
t0=$SECONDS
stop "$PID_r1"
check "SIGTERM with the broker down: the reporter stops with status 0 (got $STOP_RC, $((SECONDS - t0)) s)" \
  test "$STOP_RC" -eq 0
echo "up 1" >"$TMP/control"
tail -n +2 "$D/more/polls.csv" | cat "$D/polls.csv" - >"$TMP/all-polls.csv"
tail -n +2 "$D/more/menu_hours.csv" | cat "$D/menu_hours.csv" - >"$TMP/all-hours.csv"
tail -n +2 "$D/more/timezones.csv" | cat "$D/timezones.csv" - >"$TMP/all-zones.csv"
batch "$TMP/batch2.csv" "$TMP/all-polls.csv" "$TMP/all-hours.csv" "$TMP/all-zones.csv"
start_reporter r1 --state-dir "$TMP/state" --checkpoint-interval 300ms
check "the restarted reporter resumes from its checkpoints" \
  wait_for grep -q 'resumed at offsets' "$TMP/r1.log"
report "$TMP/stream2.csv"
same_report "after failed commits and a restart: stream == batch" "$TMP/batch2.csv" "$TMP/stream2.csv"
check "no gap in the reporter's reading" bash -c "! grep -q GAP '$TMP/r1.log'"
check "the reporter stops cleanly" stop "$PID_r1"
finish
