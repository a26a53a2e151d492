#!/usr/bin/env bash
# loop_data.sh BIN_DIR SHARED_DATA: the batch report on the public Loop
# data sets (v1 integer ids, v2 UUIDs, BOM, `day` and `dayOfWeek`
# headers): exit 0, one row per store with a poll, every reject explained
# (a FILE:LINE: reason line, counted in the summary), and in every row
# uptime + downtime within the window (60 min, 24 h, 168 h).
set -u
BIN=${1:?usage: loop_data.sh BIN_DIR DATA_DIR}
DATA=${2:?usage: loop_data.sh BIN_DIR DATA_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }

for v in v1 v2; do
  d=$DATA/$v
  if [ ! -f "$d/store_status.csv" ]; then
    fail "$v: no data at $d"
    continue
  fi
  if "$BIN/storemon-reporter" batch --polls "$d/store_status.csv" \
    --hours "$d/menu_hours.csv" --zones "$d/timezones.csv" \
    --out "$tmp/$v.csv" --rejects "$tmp/$v.rej" 2>"$tmp/$v.err"; then
    ok "$v: batch exits 0"
  else
    fail "$v: batch exit status"
    cat "$tmp/$v.err"
    continue
  fi
  stores=$(tail -n +2 "$d/store_status.csv" | cut -d, -f1 | sed 's/^\xef\xbb\xbf//' | sort -u | wc -l)
  rows=$(($(wc -l <"$tmp/$v.csv") - 1))
  [ "$rows" -eq "$stores" ] && ok "$v: $rows rows, one per store with a poll" ||
    fail "$v: $rows rows for $stores stores"
  rejected=$(grep -o 'rejected: [0-9]*' "$tmp/$v.err" | awk '{print $2}')
  lines=$(wc -l <"$tmp/$v.rej")
  [ "${rejected:-x}" = "$lines" ] && ok "$v: $lines rejects, each with a line" ||
    fail "$v: summary says ${rejected:-?} rejected, rejects file has $lines"
  if grep -vqE '^[^:]+:[0-9]+: .+' "$tmp/$v.rej"; then
    fail "$v: a reject line without FILE:LINE: reason"
  else
    ok "$v: every reject names file, line and reason"
  fi
  bad=$(awk -F, 'NR > 1 && ($2 + $5 > 60.005 || $3 + $6 > 24.005 || $4 + $7 > 168.005 ||
        $2 < 0 || $3 < 0 || $4 < 0 || $5 < 0 || $6 < 0 || $7 < 0 ||
        $2 + $5 > ($3 + $6) * 60 + 0.6 || $3 + $6 > $4 + $7 + 0.01)' "$tmp/$v.csv" | wc -l)
  [ "$bad" -eq 0 ] && ok "$v: every row within its windows, hour <= day <= week" ||
    fail "$v: $bad rows outside their windows"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
