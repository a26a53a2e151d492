#!/usr/bin/env bash
# test_state_dir.sh BIN_DIR: unusable and corrupted state.
#
#  1. the reporter with a --state-dir it cannot create (the parent is a
#     regular file, or /dev/null: this fails for root too) exits 1 with an
#     error naming the path;
#  2. the gateway with a --db under such a path exits non-zero with an
#     error naming the path;
#  3. a reporter whose checkpoint database (DIR/reporter.db) was
#     overwritten with garbage while it was stopped refuses to start: exit
#     1, an error naming the file and saying it is not a database (no
#     silent reuse of bad state);
#  4. with the bad file removed it rebuilds its state from the topics and
#     the report equals the batch report.
BIN=${1:?usage: test_state_dir.sh BIN_DIR}
source "$(dirname "$0")/../kafka/stack.sh"

# run_bounded LOG CMD...: runs CMD (at most 30 s) with its output in LOG;
# sets RC to its exit status (124 when it had to be stopped).
run_bounded() {
  local log=$1
  shift
  timeout -k 5 30 "$@" >"$log" 2>&1
  RC=$?
}

start_broker --partitions 4
: >"$TMP/afile"

# 1.
for dir in "$TMP/afile/state" /dev/null/storemon-state; do
  run_bounded "$TMP/r-bad.log" "$BIN/storemon-reporter" run --brokers "$ADDR" \
    --instance rbad --state-dir "$dir"
  check "reporter with --state-dir $dir exits 1 (got $RC)" test "$RC" -eq 1
  check "and its error names $dir" grep -Fq "state directory $dir" "$TMP/r-bad.log"
  cat "$TMP/r-bad.log"
done

# 2.
for db in "$TMP/afile/gateway.db" /dev/null/storemon/gateway.db; do
  run_bounded "$TMP/g-bad.log" "$BIN/storemon-gateway" --brokers "$ADDR" \
    --port 0 --db "$db"
  check "gateway with --db $db exits non-zero (got $RC)" \
    test "$RC" -ne 0 -a "$RC" -ne 124
  check "and its error names $db" grep -Fq "$db" "$TMP/g-bad.log"
  cat "$TMP/g-bad.log"
done

# 3.
D=$TMP/data
"$BIN/storemon-gen" --stores 300 --days 8 --seed 5 --out-dir "$D" --quiet
"$BIN/storemon-ingestor" load --brokers "$ADDR" --polls "$D/polls.csv" \
  --hours "$D/menu_hours.csv" --zones "$D/timezones.csv" --log-level warn \
  >"$TMP/load.log" 2>&1
check "the data set loads" test $? -eq 0
batch "$TMP/batch.csv" "$D/polls.csv" "$D/menu_hours.csv" "$D/timezones.csv"
R_ARGS=(--state-dir "$TMP/state" --checkpoint-interval 300ms)
start_reporter r1 "${R_ARGS[@]}"
report "$TMP/first.csv"
same_report "first run: stream == batch" "$TMP/batch.csv" "$TMP/first.csv"
check "SIGTERM stops the reporter with status 0" stop "$PID_r1"
check "the checkpoint database exists" test -s "$TMP/state/reporter.db"

size=$(stat -c %s "$TMP/state/reporter.db")
yes 'this is not a database, it is garbage' | head -c "$size" >"$TMP/state/reporter.db"
rm -f "$TMP/state/reporter.db-wal" "$TMP/state/reporter.db-shm" \
  "$TMP/state/reporter.db-journal"
run_bounded "$TMP/r-garbage.log" "$BIN/storemon-reporter" run --brokers "$ADDR" \
  --instance r1 "${R_ARGS[@]}"
check "a garbage checkpoint database: the reporter exits 1 (got $RC)" test "$RC" -eq 1
check "and its error names the file and the problem" \
  grep -Fq "$TMP/state/reporter.db: file is not a database" "$TMP/r-garbage.log"
cat "$TMP/r-garbage.log"
check "the garbage file was left in place for the operator" \
  grep -q 'not a database, it is garbage' "$TMP/state/reporter.db"

# 4.
rm -f "$TMP/state/reporter.db"
: >"$TMP/r1.log"
start_reporter r1 "${R_ARGS[@]}"
report "$TMP/rebuilt.csv"
same_report "rebuilt from the topics: stream == batch" "$TMP/batch.csv" "$TMP/rebuilt.csv"
check "it did not resume from a checkpoint" bash -c "! grep -q 'resumed at offsets' '$TMP/r1.log'"
check "SIGTERM stops the rebuilt reporter with status 0" stop "$PID_r1"
finish
