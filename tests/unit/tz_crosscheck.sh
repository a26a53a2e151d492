#!/usr/bin/env bash
# Compares storemon's local -> UTC conversion with Python's zoneinfo
# (fold=0, SPEC's reference rule) for every 5 minutes of whole years in
# zones with northern, southern, half-hour and 45-minute DST rules.
set -euo pipefail
dump=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
for zone in America/Chicago America/New_York America/Denver Europe/London \
            Australia/Sydney Australia/Lord_Howe Pacific/Auckland \
            Pacific/Chatham America/Santiago Asia/Kolkata America/Phoenix; do
  for year in 2023 2024; do
    "$dump" "$zone" "$year" 5 > "$tmp/c.txt"
    /usr/bin/python3 - "$zone" "$year" 5 > "$tmp/p.txt" <<'PY'
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
zone, year, step = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
z = ZoneInfo(zone)
d = datetime(year, 1, 1)
end = datetime(year + 1, 1, 1)
out = []
while d < end:
    u = d.replace(tzinfo=z, fold=0).astimezone(timezone.utc)
    out.append("%s %d" % (d.strftime("%Y-%m-%d %H:%M"), int(u.timestamp())))
    d += timedelta(minutes=step)
sys.stdout.write("\n".join(out) + "\n")
PY
    if cmp -s "$tmp/c.txt" "$tmp/p.txt"; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      echo "MISMATCH $zone $year:"
      diff "$tmp/p.txt" "$tmp/c.txt" | head -10
    fi
  done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
