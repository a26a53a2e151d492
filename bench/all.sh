#!/usr/bin/env bash
# Runs every benchmark and writes one markdown table of the figures, each
# beside the baseline measured in the same run (to stdout, and to
# bench/results.md with the date and the machine).
#
# usage: bench/all.sh       (BENCH_RUNS=N for more repetitions)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
  echo "| benchmark | figure | same-run baseline | ratio |"
  echo "|---|---|---|---|"
} >"$out"
for b in batch ingest reporter gateway; do
  echo "bench: $b" >&2
  bash "$here/$b.sh" 2>"$out.$b.err" |
    grep '^| ' | grep -v '^| benchmark |' >>"$out" ||
    { echo "bench: $b failed:" >&2; tail -20 "$out.$b.err" >&2; }
  rm -f "$out.$b.err"
done
{
  echo "# storemon benchmarks"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -m), $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo
  cat "$out"
} | tee "$here/results.md"
