#!/usr/bin/env bash
# test_disk_full.sh BIN_DIR: a full disk under the reporter's checkpoint
# database and under the gateway's database.
#
# The reporter's --state-dir and the gateway's --db each live on a small
# tmpfs of their own, mounted here (root or CAP_SYS_ADMIN is needed: when
# mount is refused the test exits 77, which CTest reports as skipped).  A
# data set (storemon-gen --stores 300 --days 8, ~56k polls) is loaded in
# two parts: load 1 is the hours, the zones and the polls before a cutoff
# hour (~3/4 of them); load 2 is the rest (together: polls.csv).
# "Full" is a filler file written with dd until ENOSPC.  Both databases
# are in WAL mode, and SQLite only rewrites a WAL from its start once it
# has reached 1000 pages: below that (checked) every commit appends, so
# the next one after the fill needs space.  Exit status of a service
# stopped by a full disk: 1, as for any fatal error (0 is a stop on a
# signal).  A trigger that cannot be stored is answered 503 and does not
# stop the gateway (nothing is lost; it works again once space is back).
# About 12 s, plain or ASan.
#
#  1. load 1; report A through the gateway == batch of load 1; the
#     reporter checkpoints it (the checkpoint holds load 1's end offsets);
#  2. the reporter's tmpfs is filled, then load 2: the next checkpoint
#     fails; the reporter logs an error naming DIR/reporter.db and "No
#     space left on device", and exits 1 by itself (no signal, no
#     sanitizer report); its database passes PRAGMA integrity_check and
#     still holds at least load 1's offsets; the group's committed offsets
#     are not past the checkpoint's (nothing is committed that is not
#     durable);
#  3. report B is triggered while the reporter is down (202, Running);
#     the gateway's tmpfs is filled; another trigger now gets a 503 JSON
#     error saying the disk is full, within a few seconds (no hang), and no
#     report is created; the gateway keeps running, /readyz says its
#     database is not ready, and report A is still served;
#  4. the reporter's filler is removed and the reporter restarted on the
#     same state: it resumes from its checkpoint and answers report B; the
#     gateway cannot store B's parts: it logs an error naming its database
#     and "No space left on device" and exits 1 by itself; its database
#     passes integrity_check, B is still Running with no part stored and
#     the stored report-results offsets are unchanged (the transaction was
#     rolled back);
#  5. the gateway's filler is removed and the gateway restarted on the same
#     database and port: B completes and is byte for byte the batch report
#     of the whole data set (nothing lost, nothing counted twice), and so
#     is a new report C; A is unchanged;
#  6. SIGTERM stops the reporter and the gateway with status 0; neither
#     log holds a sanitizer report.
BIN=${1:?usage: test_disk_full.sh BIN_DIR}
source "$(dirname "$0")/../http/lib.sh"

MOUNTS=()
disk_cleanup() {
  local p m
  for p in "${STACK_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || umount -l "$m"; done
  stack_cleanup
}
trap disk_cleanup EXIT

# mount_small DIR SIZE: a tmpfs of SIZE on DIR, or exit 77 (skipped).
mount_small() {
  local err
  mkdir -p "$1"
  if ! err=$(mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" 2>&1); then
    echo "SKIPPED: cannot mount a tmpfs (needs root or CAP_SYS_ADMIN; id: $(id -u)): $err"
    exit 77
  fi
  MOUNTS+=("$1")
}

# fill DIR: writes DIR/filler until the file system is full.
fill() {
  dd if=/dev/zero of="$1/filler" bs=64k status=none 2>"$TMP/dd.err"
  grep -q 'No space left on device' "$TMP/dd.err"
}

# sql DB QUERY: runs QUERY read-only (sqlite3, else python3's sqlite3).
sql() {
  if command -v sqlite3 >/dev/null; then
    sqlite3 -readonly "$1" "$2"
  else
    "$PY" -c 'import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for row in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))' "$1" "$2"
  fi
}


# no_sanitizer LOG: no ASan/UBSan/LSan report in LOG.
no_sanitizer() {
  ! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$1"
}

# ckpt_offsets: the reporter's checkpoint as "partition polls hours zones
# requests" lines.
ckpt_offsets() {
  sql "$RDB" "SELECT partition, polls_next, hours_next, zones_next,
    requests_next FROM partitions ORDER BY partition" | tr '|' ' '
}

# ends_and_committed: per partition "p polls hours zones requests" end
# offsets, then "c p ..." committed offsets of the reporters' group.
ends_and_committed() {
  "$PY" - "$ADDR" <<'EOF'
import sys
from confluent_kafka import Consumer, TopicPartition
topics = ["store-polls", "store-hours", "store-timezones", "report-requests"]
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "storemon-reporter",
              "enable.auto.commit": False})
n = len(c.list_topics("store-polls", timeout=10).topics["store-polls"].partitions)
for p in range(n):
    print(p, *[c.get_watermark_offsets(TopicPartition(t, p), timeout=10)[1]
               for t in topics])
got = {(tp.topic, tp.partition): tp.offset for tp in
       c.committed([TopicPartition(t, p) for p in range(n) for t in topics],
                   timeout=10)}
for p in range(n):
    print("c", p, *[got[(t, p)] for t in topics])
c.close()
EOF
}

# report_csv URL ID OUT: waits until report ID is Complete, then its CSV.
report_csv() {
  local code i
  for ((i = 0; i < 600; i++)); do
    code=$(req GET "$1/get_report?report_id=$2")
    [ "$code" = 200 ] && break
    sleep 0.1
  done
  [ "$code" = 200 ] || return 1
  [ "$(req GET "$1/get_report?report_id=$2&format=csv")" = 200 ] || return 1
  cp "$TMP/body" "$3"
}

WAL_WRAP=$((32 + 1000 * (4096 + 24))) # the WAL restarts from its start here
T0=$SECONDS
RD=$TMP/rdisk
GD=$TMP/gdisk
mount_small "$RD" 8m
mount_small "$GD" 4m
mkdir "$RD/state"
RDB=$RD/state/reporter.db
GDB=$GD/gateway.db

D=$TMP/data
gen_data "$D" --stores 300 --days 8 --seed 7
# The split is by time (the file is not in time order: a poll of load 2
# older than load 1's watermark would be late, not what batch sees): load
# 2 is every poll from the hour of the 3/4 quantile on.
cut=$(tail -n +2 "$D/polls.csv" | cut -d, -f3 | sort |
  sed -n "$(($(wc -l <"$D/polls.csv") * 3 / 4))p" | cut -c1-13)
awk -F, -v cut="$cut" 'NR == 1 || $3 < cut' "$D/polls.csv" >"$TMP/polls1.csv"
awk -F, -v cut="$cut" 'NR == 1 || $3 >= cut' "$D/polls.csv" >"$TMP/polls2.csv"
echo "# load 1: $(($(wc -l <"$TMP/polls1.csv") - 1)) polls before $cut:00, load 2: $(($(wc -l <"$TMP/polls2.csv") - 1))"
batch "$TMP/batch1.csv" "$TMP/polls1.csv" "$D/menu_hours.csv" "$D/timezones.csv"
batch "$TMP/batch.csv" "$D/polls.csv" "$D/menu_hours.csv" "$D/timezones.csv"

start_broker --partitions 4
R_ARGS=(--state-dir "$RD/state" --checkpoint-interval 1s -X session.timeout.ms=6000)
G_ARGS=(--db "$GDB" --trigger-wait 1s)
start_reporter r1 "${R_ARGS[@]}"
check "the reporter joins its group" wait_for grep -q assigned "$TMP/r1.log"
start_gateway g1 "${G_ARGS[@]}" || exit 1
U=$URL_g1

# 1.
"$BIN/storemon-ingestor" load --brokers "$ADDR" --polls "$TMP/polls1.csv" \
  --hours "$D/menu_hours.csv" --zones "$D/timezones.csv" --log-level warn \
  >"$TMP/load1.log" 2>&1
check "load 1 is acknowledged" test $? -eq 0
A=$(trigger "$U")
check "report A: POST /trigger_report gives a report id" test -n "$A"
report_csv "$U" "$A" "$TMP/A.csv"
same_report "report A (load 1) through the gateway == batch of load 1" \
  "$TMP/batch1.csv" "$TMP/A.csv"
ends_and_committed | grep -v '^c' >"$TMP/ends1.txt"
# checkpointed: every partition's polls/hours/zones offsets at load 1's end
# (report-requests may stay one behind until the next change).
ckpt_covers_load1() {
  ckpt_offsets | awk '{ print $1, $2, $3, $4 }' >"$TMP/ck.txt"
  awk '{ print $1, $2, $3, $4 }' "$TMP/ends1.txt" | cmp -s - "$TMP/ck.txt"
}
check "the reporter checkpoints load 1" wait_for ckpt_covers_load1
cp "$TMP/ck.txt" "$TMP/ck1.txt"
wal=$(stat -c %s "$RDB-wal" 2>/dev/null || echo 0)
check "the reporter's WAL has not wrapped ($wal bytes): its next commit needs space" \
  test "$wal" -lt "$WAL_WRAP"
echo "# step 1 done at $((SECONDS - T0)) s"

# 2.
check "the reporter's tmpfs fills up (dd: No space left on device)" fill "$RD"
df -k "$RD" | tail -1
"$BIN/storemon-ingestor" load --brokers "$ADDR" --polls "$TMP/polls2.csv" \
  --log-level warn >"$TMP/load2.log" 2>&1
check "load 2 is acknowledged" test $? -eq 0
wait_exit "$PID_r1" 40
check "the reporter stops by itself with status 1 (got $EXIT_RC)" test "$EXIT_RC" -eq 1
grep -E 'ERR' "$TMP/r1.log" | tail -4
check "its error names the checkpoint database and the cause" \
  grep -Eq "state database $RDB: .*No space left on device" "$TMP/r1.log"
check "its log has no sanitizer report" no_sanitizer "$TMP/r1.log"
check "the checkpoint database passes PRAGMA integrity_check" \
  test "$(sql "$RDB" 'PRAGMA integrity_check')" = ok
ckpt_offsets >"$TMP/ck2.txt"
check "the checkpoint still holds at least load 1's offsets" \
  awk 'NR == FNR { for (i = 2; i <= 4; i++) min[$1, i] = $i; next }
       { for (i = 2; i <= 4; i++) if ($i < min[$1, i]) exit 1 }' \
  "$TMP/ck1.txt" "$TMP/ck2.txt"
ends_and_committed >"$TMP/ends2.txt"
check "the committed offsets are not past the checkpoint's" \
  awk 'NR == FNR { for (i = 2; i <= 5; i++) ck[$1, i] = $i; next }
       $1 == "c" { for (i = 3; i <= 6; i++) if ($i > ck[$2, i - 1]) exit 1 }' \
  "$TMP/ck2.txt" "$TMP/ends2.txt"
check "and load 2 is not all in the checkpoint (so the restart must read it)" \
  bash -c "! awk '{ print \$1, \$2 }' '$TMP/ck2.txt' |
    cmp -s - <(grep -v '^c' '$TMP/ends2.txt' | awk '{ print \$1, \$2 }')"
echo "# step 2 done at $((SECONDS - T0)) s"

# 3.
B=$(trigger "$U")
check "report B: triggered while the reporter is down (202)" test -n "$B"
sql "$GDB" "SELECT topic, partition, next_offset FROM consumer_offsets
  ORDER BY 1, 2" >"$TMP/goffsets1.txt"
wal=$(stat -c %s "$GDB-wal" 2>/dev/null || echo 0)
check "the gateway's WAL has not wrapped ($wal bytes)" test "$wal" -lt "$WAL_WRAP"
check "the gateway's tmpfs fills up" fill "$GD"
t=$SECONDS
code=$(req POST "$U/trigger_report")
check "a trigger on a full disk answers 503 within 10 s (got $code after $((SECONDS - t)) s)" \
  test "$code" = 503 -a $((SECONDS - t)) -le 10
cat "$TMP/body"
echo
check "its JSON error says the disk is full, without the server's path" \
  bash -c "'$PY' -c 'import json, sys
b = json.load(open(sys.argv[1]))
sys.exit(0 if \"disk is full\" in b[\"error\"] and \"No space left on device\" in b[\"error\"]
         and sys.argv[2] not in b[\"error\"] and \"report_id\" not in b else 1)' '$TMP/body' '$GDB'"
check "the gateway logs it with its database path" \
  grep -Eq "trigger.*database $GDB: .*No space left on device" "$TMP/g1.log"
check "the gateway keeps running" kill -0 "$PID_g1"
check "/readyz reports the database not ready" \
  wait_for bash -c "curl -s '$U/readyz' | grep -q '\"database\":false'"
expect "report A is still served" 200 GET "$U/get_report?report_id=$A&format=csv"
same_report "and it is unchanged" "$TMP/batch1.csv" "$TMP/body"
echo "# step 3 done at $((SECONDS - T0)) s"

# 4.
rm -f "$RD/filler"
start_reporter r1 "${R_ARGS[@]}"
check "the restarted reporter resumes from its checkpoint" \
  wait_for grep -q 'resumed at offsets' "$TMP/r1.log"
wait_exit "$PID_g1" 60
check "the gateway, unable to store B's parts, stops by itself with status 1 (got $EXIT_RC)" \
  test "$EXIT_RC" -eq 1
grep -E 'ERR' "$TMP/g1.log" | tail -3
check "its error names its database and the cause" \
  grep -Eq "results.*database $GDB: .*No space left on device" "$TMP/g1.log"
check "its log has no sanitizer report" no_sanitizer "$TMP/g1.log"
check "the gateway database passes PRAGMA integrity_check" \
  test "$(sql "$GDB" 'PRAGMA integrity_check')" = ok
check "report B is still Running in it, with no part stored" \
  test "$(sql "$GDB" "SELECT status, (SELECT count(*) FROM report_parts
    WHERE report_id = '$B') FROM reports WHERE report_id = '$B'")" = "Running|0"
check "its report-results offsets are unchanged" \
  cmp -s "$TMP/goffsets1.txt" <(sql "$GDB" "SELECT topic, partition,
    next_offset FROM consumer_offsets ORDER BY 1, 2")
echo "# step 4 done at $((SECONDS - T0)) s"

# 5.
rm -f "$GD/filler"
start_gateway g1 "${G_ARGS[@]}" --port "$PORT_g1" || exit 1
report_csv "$U" "$B" "$TMP/B.csv"
same_report "report B, answered while the gateway's disk was full, == batch" \
  "$TMP/batch.csv" "$TMP/B.csv"
C=$(trigger "$U")
check "report C: POST /trigger_report gives a report id" test -n "$C"
report_csv "$U" "$C" "$TMP/C.csv"
same_report "report C == batch" "$TMP/batch.csv" "$TMP/C.csv"
expect "report A after the restart" 200 GET "$U/get_report?report_id=$A&format=csv"
same_report "report A is unchanged" "$TMP/batch1.csv" "$TMP/body"
check "/readyz is ready again" \
  wait_for bash -c "curl -s '$U/readyz' | grep -q '\"database\":true'"
check "no gaps reported" bash -c "! grep -q GAP '$TMP/r1.log'"
echo "# step 5 done at $((SECONDS - T0)) s"

# 6.
check "SIGTERM stops the gateway with status 0" halt "$PID_g1"
check "SIGTERM stops the reporter with status 0" halt "$PID_r1"
check "no sanitizer report in the logs" no_sanitizer "$TMP/r1.log"
check "(gateway)" no_sanitizer "$TMP/g1.log"
check "the databases pass integrity_check after the stop" \
  test "$(sql "$RDB" 'PRAGMA integrity_check')$(sql "$GDB" 'PRAGMA integrity_check')" = okok
echo "# done in $((SECONDS - T0)) s"
finish
