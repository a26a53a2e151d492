#!/usr/bin/env bash
# test_reporter.sh BIN_DIR: the streaming reporter equals the batch report.
#
# A generated data set is loaded through the ingestor; then, while the
# reporter runs: the last 90 minutes of polls again, shuffled and partly
# redelivered (late, but within the grace period); new business hours for
# some stores and new zones for others; and polls so late (days) that they
# would change compacted history.  For several as_of values the report
# from the service must be byte-identical to `storemon-reporter batch` on
# the accepted inputs (the final schedules, the zones in order, every poll
# but the refused ones), and the refused polls must be in ingest-rejects
# with reason `late`.
BIN=${1:?usage: test_reporter.sh BIN_DIR}
source "$(dirname "$0")/stack.sh"
PY=/usr/bin/python3

"$BIN/storemon-gen" --stores 250 --days 8 --seed 11 --out-dir "$TMP/data" --quiet
D=$TMP/data
# Split the polls: the last 90 minutes go in later, shuffled.
$PY - "$D" <<'PY'
import csv, random, sys
d = sys.argv[1]
rows = list(csv.reader(open(d + "/polls.csv")))
head, body = rows[0], rows[1:]
ts = lambda r: r[2]
last = max(ts(r) for r in body)
# timestamps are 'YYYY-MM-DD HH:MM:SS[.f] UTC': compare as datetimes
from datetime import datetime, timedelta
def parse(s):
    s = s.replace(" UTC", "")
    return datetime.fromisoformat(s)
wm = max(parse(ts(r)) for r in body)
cut = wm - timedelta(minutes=90)
main = [r for r in body if parse(ts(r)) < cut]
tail = [r for r in body if parse(ts(r)) >= cut]
random.seed(5)
random.shuffle(tail)
tail += random.sample(tail, len(tail) // 10)  # redeliveries
csv.writer(open(d + "/main.csv", "w"), lineterminator="\n").writerows([head] + main)
csv.writer(open(d + "/tail.csv", "w"), lineterminator="\n").writerows([head] + tail)
# Far too late: a poll 3 days back for 5 stores, with the opposite status
# of an existing poll at the same instant.
old = [r for r in main if parse(ts(r)) < wm - timedelta(days=3)][:5]
late = [[r[0], "inactive" if r[1] == "active" else "active", r[2]] for r in old]
csv.writer(open(d + "/late.csv", "w"), lineterminator="\n").writerows([head] + late)
# New hours for 15 stores, new zones for 15 others.
hrows = list(csv.reader(open(d + "/menu_hours.csv")))
stores = sorted({r[0] for r in body})
random.shuffle(stores)
hstores, zstores = stores[:15], stores[15:30]
newh = [[s, str(day), "06:00:00", "14:30:00"] for s in hstores for day in (0, 2, 4, 5)]
csv.writer(open(d + "/hours2.csv", "w"), lineterminator="\n").writerows([hrows[0]] + newh)
final_h = [hrows[0]] + [r for r in hrows[1:] if r[0] not in set(hstores)] + newh
csv.writer(open(d + "/hours_final.csv", "w"), lineterminator="\n").writerows(final_h)
zrows = list(csv.reader(open(d + "/timezones.csv")))
newz = [[s, "Asia/Kolkata"] for s in zstores]
csv.writer(open(d + "/zones2.csv", "w"), lineterminator="\n").writerows([zrows[0]] + newz)
csv.writer(open(d + "/zones_final.csv", "w"), lineterminator="\n").writerows(zrows + newz)
# What the batch report must see: every poll but the refused ones.
csv.writer(open(d + "/polls_final.csv", "w"), lineterminator="\n").writerows([head] + main + tail)
PY

start_broker --partitions 8
ING=("$BIN/storemon-ingestor")
check "load hours, zones and the main polls" \
  "${ING[@]}" load --brokers "$ADDR" --polls "$D/main.csv" --hours "$D/menu_hours.csv" \
  --zones "$D/timezones.csv" --log-level warn
start_reporter r1 --state-dir "$TMP/state" --grace 2h
check "stream the late-but-within-grace polls" \
  "${ING[@]}" stream --brokers "$ADDR" --log-level warn <"$D/tail.csv"
check "publish new hours and zones" \
  "${ING[@]}" load --brokers "$ADDR" --hours "$D/hours2.csv" --zones "$D/zones2.csv" --log-level warn
check "stream polls late beyond the grace period" \
  "${ING[@]}" stream --brokers "$ADDR" --log-level warn <"$D/late.csv"

# Default as_of (the watermark), then explicit ones inside the retained day.
report "$TMP/stream.csv"
batch "$TMP/batch.csv" "$D/polls_final.csv" "$D/hours_final.csv" "$D/zones_final.csv"
same_report "default as_of: stream == batch" "$TMP/batch.csv" "$TMP/stream.csv"
now=$(grep -o 'now [0-9-]* [0-9:.]*' <("$BIN/storemon-reporter" batch \
  --polls "$D/polls_final.csv" --out /dev/null 2>&1) | cut -c5-)
for back in "0 minutes" "37 minutes" "5 hours" "20 hours"; do
  as_of=$(date -u -d "$now UTC - $back" '+%Y-%m-%d %H:%M:%S')
  report "$TMP/s.csv" --as-of "$as_of"
  batch "$TMP/b.csv" "$D/polls_final.csv" "$D/hours_final.csv" "$D/zones_final.csv" --as-of "$as_of"
  same_report "as_of $as_of: stream == batch" "$TMP/b.csv" "$TMP/s.csv"
done

late=$(timeout 30 kcat -b "$ADDR" -C -t ingest-rejects -e -q 2>/dev/null | grep -c 'late: ' || true)
check "the 5 refused polls are in ingest-rejects as late (found $late)" test "$late" -eq 5
check "reporter stops cleanly on SIGTERM" stop "$PID_r1"
finish
