#!/usr/bin/env bash
# Batch report benchmark: ~14k stores x ~165 polls (~2.2M polls) made by
# storemon-gen over the real v1 business hours and time zones.  Reports
# the wall time and peak RSS of `storemon-reporter batch`, beside a plain
# pass over the same three files that only reads and splits them
# (bench-csv-split, the same CSV reader), measured in the same run.
#
# usage: bench/batch.sh        (BENCH_RUNS=N for more repetitions)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_build

bench_loop_polls batch 7
polls=$POLLS
hours=$LOOP/menu_hours.csv
zones=$LOOP/timezones.csv
rows=$(($(wc -l < "$polls") - 1))

split_s=$(bench_median "$bin/bench-csv-split" "$polls" "$hours" "$zones")
batch_s=$(bench_median "$bin/storemon-reporter" batch --polls "$polls" \
  --hours "$hours" --zones "$zones" --out /dev/null --quiet)
rss=$(bench_peak_rss_mb "$bin/storemon-reporter" batch --polls "$polls" \
  --hours "$hours" --zones "$zones" --out /dev/null --quiet)
ratio=$(echo "$batch_s / $split_s" | bc -l)

printf '| benchmark | figure | same-run baseline | ratio |\n'
printf '|---|---|---|---|\n'
printf '| batch report, %d polls | %.3f s, peak RSS %d MB | read+split only: %.3f s | %.1fx |\n' \
  "$rows" "$batch_s" "$rss" "$split_s" "$ratio"
