#!/usr/bin/env bash
# test_state_dir.sh BIN_DIR: unusable and corrupted state.
#
#  1. the reporter with a --state-dir it cannot create (the parent is a
#     regular file, or /dev/null: this fails for root too) exits 1 with an
#     error naming the path;
#  2. the gateway with a --db under such a path exits non-zero with an
#     error naming the path;
#  3. a reporter whose checkpoint database (DIR/reporter.db) was
#     overwritten with garbage while it was stopped, started with
#     --corrupt-state refuse: exit 1, an error naming the file, saying it
#     is not a database and how to go on; the file left in place;
#  4. the same with the default (--corrupt-state rebuild): it logs the
#     problem and where the file went (reporter.db.corrupt-TIME, the
#     garbage kept there), rebuilds its state from the topics (no resume
#     from a checkpoint) and the report equals the batch report;
#  5. a good database damaged inside (its second page, a table's b-tree,
#     overwritten while the reporter was stopped): SQLite finds it at start
#     (quick_check), the file is moved aside the same way and the report
#     still equals batch;
#  6. one bit flipped inside a partition's stored state (which SQLite
#     cannot see): the state's checksum refuses it, that partition alone
#     is rebuilt from the topics, and the report still equals batch.
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
  --instance r1 "${R_ARGS[@]}" --corrupt-state refuse
check "a garbage checkpoint database, --corrupt-state refuse: exit 1 (got $RC)" test "$RC" -eq 1
check "and its error names the file and the problem" \
  grep -Fq "$TMP/state/reporter.db: file is not a database" "$TMP/r-garbage.log"
check "and says how to go on" grep -q 'move it aside' "$TMP/r-garbage.log"
cat "$TMP/r-garbage.log"
check "the garbage file was left in place for the operator" \
  grep -q 'not a database, it is garbage' "$TMP/state/reporter.db"

# rebuilt STEP WHAT: the reporter (default --corrupt-state) moves the
# corrupt database aside and rebuilds; the report equals batch.
rebuilt() {
  : >"$TMP/r1.log"
  start_reporter r1 "${R_ARGS[@]}"
  report "$TMP/rebuilt-$1.csv"
  same_report "$2: rebuilt from the topics, stream == batch" "$TMP/batch.csv" "$TMP/rebuilt-$1.csv"
  check "$2: the problem and where the file went are logged" \
    grep -q "moved to $TMP/state/reporter.db.corrupt-" "$TMP/r1.log"
  grep 'moved to' "$TMP/r1.log"
  check "$2: it did not resume from a checkpoint" bash -c "! grep -q 'resumed at offsets' '$TMP/r1.log'"
  check "$2: SIGTERM stops the rebuilt reporter with status 0" stop "$PID_r1"
}

# 4.
rebuilt 4 "garbage"
check "the garbage is kept aside for the operator" \
  bash -c "grep -lq 'not a database, it is garbage' '$TMP'/state/reporter.db.corrupt-*"

# 5.
sleep 1 # another second in the name of the file moved aside
rm -f "$TMP"/state/reporter.db.corrupt-*
check "a good checkpoint database again, without its WAL" \
  bash -c "test -s '$TMP/state/reporter.db' && test ! -e '$TMP/state/reporter.db-wal'"
head -c 4096 /dev/urandom |
  dd of="$TMP/state/reporter.db" bs=4096 seek=1 conv=notrunc status=none
rebuilt 5 "a damaged page"
check "SQLite's finding is logged" grep -q 'quick_check\|malformed' "$TMP/r1.log"

# 6.
rm -f "$TMP"/state/reporter.db.corrupt-*
/usr/bin/python3 - "$TMP/state/reporter.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
state = bytearray(db.execute("SELECT state FROM partitions WHERE partition = 0").fetchone()[0])
state[len(state) // 2] ^= 0x10
db.execute("UPDATE partitions SET state = ? WHERE partition = 0", (bytes(state),))
db.commit()
EOF
check "one bit of partition 0's state flipped" test $? -eq 0
: >"$TMP/r1.log"
start_reporter r1 "${R_ARGS[@]}"
report "$TMP/rebuilt-6.csv"
same_report "a flipped bit: stream == batch" "$TMP/batch.csv" "$TMP/rebuilt-6.csv"
check "the checksum mismatch of partition 0 is logged" \
  grep -q 'partition 0: checkpoint: checksum mismatch.*rebuilding it from the topics' "$TMP/r1.log"
check "the other partitions resumed from their checkpoints" \
  grep -q 'partition 1: resumed at offsets' "$TMP/r1.log"
check "the database was kept (no move aside)" bash -c "! ls '$TMP'/state/reporter.db.corrupt-* 2>/dev/null"
check "SIGTERM stops the reporter with status 0" stop "$PID_r1"
finish
