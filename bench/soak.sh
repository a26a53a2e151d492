#!/usr/bin/env bash
# Gateway soak: wrk at saturation for SECONDS (default 60) on two routes at
# once, on the embedded broker, everything on this machine:
#   - get_report status of a Running report (the reporter paused with
#     SIGSTOP after a first report completed): wrk -t1 -c32;
#   - the CSV download of the complete report (/reports/ID.csv): wrk -t1 -c4.
# The gateway's RSS (VmRSS) is sampled every 5 s.  Prints one table row:
# requests/s of each route, errors (non-2xx answers + socket errors, as wrk
# counts them), RSS at start (after a 5 s warm-up), max and end, and
# whether it is flat (end within 10% of the start).
#
# usage: bench/soak.sh [SECONDS]   (SOAK_BIN=dir of built binaries to skip
#                                   the Release build; SOAK_STORES=N)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SECS=${1:-60}
if [ -n "${SOAK_BIN:-}" ]; then bin=$SOAK_BIN; else bench_build; fi
STORES=${SOAK_STORES:-2000}

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-soak.XXXXXX")
cleanup() {
  bench_cleanup
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/storemon-gen" --stores "$STORES" --days 8 --seed 9 --out-dir "$work/data" --quiet
bench_stack "$work" 8 "$work/data/polls.csv" "$work/data/menu_hours.csv" \
  "$work/data/timezones.csv"
reporter=$REPORTER_PID
gw=$GATEWAY_PID
url=$URL

# trigger: the report id; status ID: its status
trigger() { curl -s -X POST "$url/trigger_report" | sed -n 's/.*"report_id":"\([^"]*\)".*/\1/p'; }
status() { curl -s "$url/get_report/$1?format=json" | sed -n 's/.*"status":"\([^"]*\)".*/\1/p'; }
complete=$(trigger)
for _ in $(seq 1200); do [ "$(status "$complete")" = Complete ] && break; sleep 0.1; done
[ "$(status "$complete")" = Complete ] || { echo "soak: no complete report" >&2; exit 1; }
kill -STOP "$reporter"
running=$(trigger)
csv_bytes=$(curl -s "$url/reports/$complete.csv" | wc -c)

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$gw/status"; }
wrk -t1 -c32 -d"${SECS}s" --latency "$url/get_report?report_id=$running" >"$work/wrk.status" 2>&1 &
w1=$!
wrk -t1 -c4 -d"${SECS}s" --latency "$url/reports/$complete.csv" >"$work/wrk.csv" 2>&1 &
w2=$!
samples=()
sleep 5
rss_start=$(rss)
samples+=("$rss_start")
for ((t = 10; t <= SECS; t += 5)); do
  sleep 5
  samples+=("$(rss)")
done
wait "$w1" "$w2"
rss_end=$(rss)
rss_max=$(printf '%s\n' "${samples[@]}" "$rss_end" | sort -n | tail -1)

# wrk_field FILE: "req/s errors"
wrk_field() {
  awk '/Requests\/sec/ { rps = $2 }
       /Non-2xx or 3xx/ { err += $NF }
       /Socket errors/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
       END { printf "%.0f %d\n", rps, err }' "$1"
}
read -r st_rps st_err < <(wrk_field "$work/wrk.status")
read -r csv_rps csv_err < <(wrk_field "$work/wrk.csv")
flat=no
awk -v s="$rss_start" -v e="$rss_end" 'BEGIN { d = e - s; if (d < 0) d = -d; exit !(d <= s * 0.10) }' && flat=yes
echo "# RSS samples (kB, every 5 s from 5 s): ${samples[*]} end $rss_end"
echo "# $STORES stores, CSV $csv_bytes bytes; gateway 2 threads; wrk status -t1 -c32, csv -t1 -c4; $SECS s"
printf '| %-6s | %-14s | %-13s | %-13s | %-10s | %-8s | %-8s | %-8s | %-4s |\n' \
  seconds "status req/s" "status errors" "csv req/s" "csv errors" "RSS start" "RSS max" "RSS end" flat
printf '| %-6s | %-14s | %-13s | %-13s | %-10s | %-8s | %-8s | %-8s | %-4s |\n' \
  "$SECS" "$st_rps" "$st_err" "$csv_rps" "$csv_err" "$((rss_start / 1024)) MB" \
  "$((rss_max / 1024)) MB" "$((rss_end / 1024)) MB" "$flat"
