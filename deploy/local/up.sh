#!/usr/bin/env bash
# The main job on one machine: installs what is missing, builds, makes a
# realistic data set with storemon-gen (or takes the three CSVs in
# DATA_DIR), computes the uptime report and prints where it is.
#
# usage: deploy/local/up.sh [DATA_DIR]
#   DATA_DIR holds store_status.csv (or polls.csv), menu_hours.csv and
#   timezones.csv, e.g. ../shared/data/loop/v1.
# Environment: BUILD_DIR (default build), RUN_DIR (default run/).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

data_dir=${1:-}
build=${BUILD_DIR:-build}
run=${RUN_DIR:-$top/run}

deploy/install-deps.sh
cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
bin=$build/bin
mkdir -p "$run"

if [ -z "$data_dir" ]; then
  data_dir=$run/data
  mkdir -p "$data_dir"
  echo "up: generating a data set of 2000 synthetic stores in $data_dir"
  "$bin/storemon-gen" --stores 2000 --seed 1 --out-dir "$data_dir"
fi
polls=$data_dir/store_status.csv
[ -f "$polls" ] || polls=$data_dir/polls.csv
for f in "$polls" "$data_dir/menu_hours.csv" "$data_dir/timezones.csv"; do
  [ -f "$f" ] || { echo "up: missing $f" >&2; exit 1; }
done

report=$run/report.csv
"$bin/storemon-reporter" batch --polls "$polls" \
  --hours "$data_dir/menu_hours.csv" --zones "$data_dir/timezones.csv" \
  --out "$report" --rejects "$run/rejects.txt"
echo
echo "report: $report ($(($(wc -l < "$report") - 1)) stores)"
echo "rejected rows: $run/rejects.txt ($(wc -l < "$run/rejects.txt"))"
echo
head -n 6 "$report"
