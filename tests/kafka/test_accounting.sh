#!/usr/bin/env bash
# test_accounting.sh BIN_DIR: every row is accounted for, end to end.
#
# A generated data set with 1% bad rows (storemon-gen --bad-rows 0.01) is
# loaded through the ingestor, then polls far too late (3 days back, the
# opposite status of an existing poll: beyond the reporter's --grace) are
# streamed with `storemon-ingestor stream`.  Checked:
#   - rows read (data lines of each file, blank lines excluded, counted
#     here) = accepted + rejected of the ingestor's summary (stderr), per
#     command;
#   - rejected = the ingest-rejects records that are not `late:` (kcat);
#   - accepted polls = polls_applied + duplicates + late_noop + late of the
#     reporter's metrics file (STATE_DIR/metrics-INSTANCE.json, written
#     every 100 ms; read once it settles);
#   - late > 0 and late = the `late:` records in ingest-rejects.
BIN=${1:?usage: test_accounting.sh BIN_DIR}
source "$(dirname "$0")/stack.sh"
PY=/usr/bin/python3
D=$TMP/data

"$BIN/storemon-gen" --stores 300 --bad-rows 0.01 --seed 21 --out-dir "$D" --quiet
# Polls too late: for 7 stores, a valid poll 3 days before the last one,
# with the opposite status, at the same instant.
$PY - "$D" <<'PY'
import csv, sys
from datetime import datetime, timedelta
d = sys.argv[1]
rows = list(csv.reader(open(d + "/polls.csv", newline="")))
head = rows[0]
col = {name: i for i, name in enumerate(head)}
def parse(s):
    try:
        return datetime.fromisoformat(s.strip().replace(" UTC", ""))
    except ValueError:
        return None
good = []
for r in rows[1:]:
    if len(r) != len(head):
        continue
    t = parse(r[col["timestamp_utc"]])
    st = r[col["status"]].strip().lower()
    sid = r[col["store_id"]].strip()
    if t and st in ("active", "inactive") and sid.isdigit():
        good.append((sid, st, t, r))
wm = max(t for _, _, t, _ in good)
seen, late = set(), []
for sid, st, t, r in good:
    if t < wm - timedelta(days=3) and sid not in seen:
        seen.add(sid)
        r = list(r)
        r[col["status"]] = "inactive" if st == "active" else "active"
        late.append(r)
    if len(late) == 7:
        break
csv.writer(open(d + "/late.csv", "w"), lineterminator="\n").writerows([head] + late)
PY

# data_lines FILE: lines after the header that are not blank.
data_lines() { tail -n +2 "$1" | grep -cv $'^[ \t\r]*$'; }
# summary FILE FIELD: the accepted polls/hours/zones or rejected rows.
summary() {
  case $2 in
  polls) sed -n 's/^ *accepted: *\([0-9]*\) polls.*/\1/p' "$1" ;;
  hours) sed -n 's/^ *accepted:.* \([0-9]*\) hours rows.*/\1/p' "$1" ;;
  zones) sed -n 's/^ *accepted:.* \([0-9]*\) zones rows.*/\1/p' "$1" ;;
  rejected) sed -n 's/^ *rejected: *\([0-9]*\) rows.*/\1/p' "$1" ;;
  esac
}
# metric NAME: a field of the reporter's metrics file.
metric() {
  $PY -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
    "$TMP/state/metrics-r1.json" "$1" 2>/dev/null
}

start_broker --partitions 4
start_reporter r1 --state-dir "$TMP/state" --grace 2h --metrics-interval 100ms
ING=("$BIN/storemon-ingestor")
check "load the data set with bad rows" \
  "${ING[@]}" load --brokers "$ADDR" --polls "$D/polls.csv" --hours "$D/menu_hours.csv" \
  --zones "$D/timezones.csv" 2>"$TMP/load.err"
check "stream polls late beyond the grace period" \
  "${ING[@]}" stream --brokers "$ADDR" <"$D/late.csv" 2>"$TMP/stream.err"
echo "# ingestor summary (load):"
grep -E '^ *(accepted|rejected):' "$TMP/load.err"

# ---- the ingestor: rows read = accepted + rejected
read_polls=$(data_lines "$D/polls.csv")
read_hours=$(data_lines "$D/menu_hours.csv")
read_zones=$(data_lines "$D/timezones.csv")
read_late=$(data_lines "$D/late.csv")
acc_polls=$(summary "$TMP/load.err" polls)
acc_hours=$(summary "$TMP/load.err" hours)
acc_zones=$(summary "$TMP/load.err" zones)
rej_load=$(summary "$TMP/load.err" rejected)
acc_late=$(summary "$TMP/stream.err" polls)
rej_late=$(summary "$TMP/stream.err" rejected)
read_all=$((read_polls + read_hours + read_zones))
check "load: rows read $read_all ($read_polls + $read_hours + $read_zones) = accepted $((acc_polls + acc_hours + acc_zones)) ($acc_polls + $acc_hours + $acc_zones) + rejected $rej_load" \
  test "$read_all" -eq $((acc_polls + acc_hours + acc_zones + rej_load))
check "the bad rows were rejected ($rej_load > 0)" test "${rej_load:-0}" -gt 0
check "stream: rows read $read_late = accepted $acc_late + rejected $rej_late" \
  test "$read_late" -eq $((acc_late + rej_late)) -a "$read_late" -eq 7

# ---- the reporter: wait until its counters settle
total=$((acc_polls + acc_late))
sum_now() {
  local a d n l
  a=$(metric polls_applied) d=$(metric duplicates) n=$(metric late_noop) l=$(metric late)
  [ -n "$a" ] && [ -n "$d" ] && [ -n "$n" ] && [ -n "$l" ] || return 1
  echo $((a + d + n + l))
}
settled() { [ "$(sum_now)" = "$total" ] && [ "$(metric lag_polls)" = 0 ]; }
wait_for settled
sleep 0.5 # two more metrics intervals: nothing more arrives
applied=$(metric polls_applied) dups=$(metric duplicates) noop=$(metric late_noop) late=$(metric late)
echo "# reporter: polls_applied $applied duplicates $dups late_noop $noop late $late lag $(metric lag_polls)"
check "accepted polls $total ($acc_polls + $acc_late) = applied $applied + duplicates $dups + late_noop $noop + late $late" \
  test "$total" -eq $((applied + dups + noop + late))
check "some polls were late ($late)" test "${late:-0}" -gt 0

# ---- ingest-rejects, read back: one record per rejected row and late poll
kc() { timeout 30 kcat -b "$ADDR" -C -t ingest-rejects -e -q "$@" 2>/dev/null; }
records=$(kc -f '%o\n' | grep -c .)
late_records=$(kc -f '%s\n' | grep -ao 'late: ' | wc -l)
echo "# ingest-rejects: $records records, $late_records late"
check "ingest-rejects: $records records = rejected $((rej_load + rej_late)) + late $late" \
  test "$records" -eq $((rej_load + rej_late + late))
check "late records in ingest-rejects ($late_records) = the reporter's late ($late)" \
  test "$late_records" -eq "$late"
check "reporter stops cleanly on SIGTERM" stop "$PID_r1"
finish
