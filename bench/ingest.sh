#!/usr/bin/env bash
# Ingest benchmark: ~2.4M polls made by storemon-gen over the real v1
# business hours and time zones, published by `storemon-ingestor load`
# into a fresh embedded broker; beside it, in the same run, a raw
# librdkafka producer (bench-raw-produce) sends the same number of
# same-size keyed messages with the same producer settings into another
# fresh broker.  Runs alternate (ingestor, raw, ingestor, raw, ...) so
# both see the same machine; the medians are compared.
#
# Both figures are whole-process wall times: the ingestor's includes
# reading and validating the CSV, sorting the polls by time, Avro
# encoding and waiting for every acknowledgement; the raw producer's only
# producing and waiting.  polls/s = polls / ingestor time; msg/s =
# messages / raw time; the ratio is what the ingestor keeps of the raw
# rate (target: at least 0.60).
#
# Two broker shapes: 16 partitions (storemon's default) and 64.  The
# embedded broker keeps only 5 MiB per partition and drops older batches
# silently: with 16 partitions a few thousand of the ~2.4M polls are
# dropped (the ingestor's summary says so), with 64 everything fits.
# Dropping does not matter here: this measures produce throughput, not
# retention, and no consumer reads the data.  The ingestor runs with its
# default pacing (no reporter group exists, so nothing is paced; the cost
# of watching is included).
#
# usage: bench/ingest.sh    (BENCH_RUNS=N repetitions, default 5;
#                            BENCH_PARTITIONS="16 64" broker shapes)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_build

partitions=${BENCH_PARTITIONS:-16 64}
# A poll every 55 minutes over 7 days: ~180 per store, ~2.4M in all.
bench_loop_polls ingest 11 --interval 55
polls=$POLLS
rows=$(($(wc -l <"$polls") - 1))
# The raw messages' shape: as many distinct keys as stores, keys as long
# as the store ids on average (the values follow from the key length).
read -r keys klen < <(tail -n +2 "$polls" | awk -F, '{
    if (!($1 in seen)) { seen[$1] = 1; n++ }
    len += length($1) } END { printf "%d %d\n", n, int(len / NR + 0.5) }')

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-ingest.XXXXXX")
bpid=
cleanup() {
  [ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

start_broker() {
  rm -f "$tmp/addr"
  "$bin/storemon-broker" --partitions "$parts" --bootstrap-file "$tmp/addr" \
    >/dev/null 2>"$tmp/broker.err" &
  bpid=$!
  for _ in $(seq 200); do
    [ -s "$tmp/addr" ] && break
    sleep 0.05
  done
  [ -s "$tmp/addr" ] || { cat "$tmp/broker.err" >&2; exit 1; }
  addr=$(cat "$tmp/addr")
}
stop_broker() {
  kill "$bpid" 2>/dev/null
  wait "$bpid" 2>/dev/null || true
  bpid=
}
# timed CMD...: runs CMD, prints its wall time; fails if CMD fails.
timed() {
  local t0 t1
  t0=$(bench_now)
  if ! "$@" >"$tmp/out" 2>"$tmp/err"; then
    echo "bench: $1 failed:" >&2
    tail -n 20 "$tmp/err" >&2
    exit 1
  fi
  t1=$(bench_now)
  echo "$t1 - $t0" | bc -l
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
fmt3() { printf '%.3f ' "$@"; }

printf '| benchmark | figure | same-run baseline | ratio |\n'
printf '|---|---|---|---|\n'
runs=""
for parts in $partitions; do
  ing_times=()
  raw_times=()
  for _ in $(seq "$BENCH_RUNS"); do
    start_broker
    ing_times+=("$(timed "$bin/storemon-ingestor" load --brokers "$addr" \
      --polls "$polls" --progress off)")
    grep -q 'delivery failures: 0$' "$tmp/err" ||
      { echo "bench: the ingestor lost records" >&2; exit 1; }
    stop_broker
    start_broker
    raw_times+=("$(timed "$bin/bench-raw-produce" "$addr" store-polls "$rows" \
      "$keys" "$klen")")
    stop_broker
  done
  ing_s=$(median "${ing_times[@]}")
  raw_s=$(median "${raw_times[@]}")
  printf '| ingest load, %d polls, %d partitions | %.3f s = %.0f polls/s | raw producer, same messages: %.3f s = %.0f msg/s | %.2f |\n' \
    "$rows" "$parts" "$ing_s" "$(echo "$rows / $ing_s" | bc -l)" "$raw_s" \
    "$(echo "$rows / $raw_s" | bc -l)" "$(echo "$raw_s / $ing_s" | bc -l)"
  runs+="$parts partitions: ingestor $(fmt3 "${ing_times[@]}")| raw $(fmt3 "${raw_times[@]}")"$'\n'
done
printf '\nruns (s):\n%s' "$runs"
