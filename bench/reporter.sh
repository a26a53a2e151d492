#!/usr/bin/env bash
# Reporter benchmark, on the embedded broker:
#  1. ~2.2M generated polls (13.6k stores, real v1 hours and zones) loaded,
#     then the reporter starts from the beginning: apply rate (polls/s from
#     its group assignment until every poll is applied) beside a raw batch
#     consumer of the same topic in the same run (no decoding, no state);
#  2. report latency: trigger to last part, median of 7, via
#     `storemon-reporter report` (includes the trigger's round trips);
#  3. the reporter's peak RSS;
#  4. density: 2k stores polled every minute for 8 days (~23M polls)
#     against the same stores polled hourly: report latency and the polls
#     the state keeps (it grows with status changes, not with polls).
#
# usage: bench/reporter.sh [--no-density]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_build
work=$BENCH_DATA/reporter
rm -rf "$work"
mkdir -p "$work"

# wait_applied DIR INSTANCE COUNT: until the metrics show COUNT polls
# applied (duplicates counted as applied work too).
wait_applied() {
  local f=$1/metrics-$2.json want=$3 got i
  for ((i = 0; i < 6000; i++)); do
    if [ -f "$f" ]; then
      got=$(grep -o '"polls_applied":[0-9]*,"duplicates":[0-9]*' "$f" |
        awk -F'[:,]' '{print $2 + $4}')
      [ "${got:-0}" -ge "$want" ] && return 0
    fi
    sleep 0.02
  done
  return 1
}

# run_case NAME DATA_DIR HOURS ZONES PARTITIONS: prints
# "apply_s polls raw_rate latency_ms rss_mb kept"
run_case() {
  local name=$1 data=$2 hours=$3 zones=$4 parts=$5 dir=$work/$1
  mkdir -p "$dir"
  bench_broker "$dir" "$parts"
  "$bin/storemon-ingestor" load --brokers "$ADDR" --polls "$data/polls.csv" \
    --hours "$hours" --zones "$zones" --max-lag 0 --log-level warn >/dev/null
  local polls raw t0 t1 pid lat=() i rss kept
  polls=$(($(wc -l <"$data/polls.csv") - 1))
  raw=$("$bin/bench-raw-consume" "$ADDR" store-polls | awk '{print $1, $(NF-1)}')
  [ "${raw%% *}" -eq "$polls" ] || { echo "broker kept ${raw%% *} of $polls polls" >&2; exit 1; }
  "$bin/storemon-reporter" run --brokers "$ADDR" --state-dir "$dir/state" \
    --instance bench --metrics-interval 20ms --log-level notice >"$dir/reporter.log" 2>&1 &
  pid=$!
  BENCH_PIDS+=("$pid")
  for ((i = 0; i < 3000; i++)); do grep -q assigned "$dir/reporter.log" && break; sleep 0.01; done
  t0=$(bench_ms)
  wait_applied "$dir/state" bench "$polls"
  t1=$(bench_ms)
  for i in 1 2 3 4 5 6 7; do
    lat+=("$("$bin/storemon-reporter" report --brokers "$ADDR" --out "$dir/report.csv" \
      --log-level notice 2>&1 | grep -o 'complete [0-9]* ms' | awk '{print $2}')")
  done
  rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
  kept=$(grep -o '"polls_kept":[0-9]*' "$dir/state/metrics-bench.json" | cut -d: -f2)
  kill -TERM "$pid" "$BROKER_PID"
  wait "$pid" "$BROKER_PID" 2>/dev/null || true
  echo "$(echo "($t1 - $t0) / 1000" | bc -l) $polls ${raw#* } $(bench_median_of "${lat[@]}") $rss $kept"
}

bench_loop_polls batch 7
read -r apply_s polls raw lat rss kept < <(run_case v1 "$(dirname "$POLLS")" "$LOOP/menu_hours.csv" "$LOOP/timezones.csv" 16)
rate=$(echo "$polls / $apply_s" | bc -l)
printf '| benchmark | figure | same-run baseline | ratio |\n|---|---|---|---|\n'
printf '| reporter apply, %d polls, 13.6k stores | %.0f polls/s | raw batch consumer: %.0f msg/s | %.2f |\n' \
  "$polls" "$rate" "$raw" "$(echo "$rate / $raw" | bc -l)"
printf '| report latency, 13.6k stores (trigger to last part, median of 7) | %d ms | | |\n' "$lat"
printf '| reporter peak RSS | %d MB | | |\n' "$rss"

if [ "${1:-}" != "--no-density" ]; then
  dh=$BENCH_DATA/density-hourly dm=$BENCH_DATA/density-minute
  [ -f "$dh/polls.csv" ] || "$bin/storemon-gen" --stores 2000 --days 8 --seed 3 --out-dir "$dh" --quiet
  [ -f "$dm/polls.csv" ] || "$bin/storemon-gen" --stores 2000 --days 8 --interval 1m --seed 3 --out-dir "$dm" --quiet
  read -r _ hp _ hlat hrss hkept < <(run_case hourly "$dh" "$dh/menu_hours.csv" "$dh/timezones.csv" 256)
  read -r ms mp mraw mlat mrss mkept < <(run_case minute "$dm" "$dm/menu_hours.csv" "$dm/timezones.csv" 256)
  printf '| density: report latency, 2k stores polled each minute (%d polls) | %d ms | polled hourly (%d polls): %d ms | %.2f |\n' \
    "$mp" "$mlat" "$hp" "$hlat" "$(echo "$mlat / $hlat" | bc -l)"
  printf '| density: polls kept in state | %d (peak RSS %d MB) | hourly: %d (peak RSS %d MB) | %.2f |\n' \
    "$mkept" "$mrss" "$hkept" "$hrss" "$(echo "$mkept / $hkept" | bc -l)"
  printf '| density: apply, minute polls | %.0f polls/s | raw batch consumer: %.0f msg/s | %.2f |\n' \
    "$(echo "$mp / $ms" | bc -l)" "$mraw" "$(echo "$mp / $ms / $mraw" | bc -l)"
fi
