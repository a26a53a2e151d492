#!/usr/bin/env bash
# Fuzzing run: builds the libFuzzer targets (tests/fuzz/, clang,
# -DSM_FUZZ=ON) and runs each one for SECONDS_PER_TARGET (default 60)
# from its committed corpus and regressions, then prints per target the
# executions, the corpus growth and the crashes (crash, leak, timeout and
# OOM artifacts).  The committed corpus is not modified: each target works
# on a copy in $FUZZ_WORK/<target>/corpus, and its artifacts land in
# $FUZZ_WORK/<target>/artifacts (copy a crasher into
# tests/fuzz/regressions/<target>/ once fixed).  Targets run in parallel
# when the machine has a core for each.  Exit status 1 if any target found
# a crash.
#
# usage: bench/fuzz.sh [SECONDS_PER_TARGET]
#   FUZZ_BUILD   build directory (default build-fuzz)
#   FUZZ_WORK    work directory (default $FUZZ_BUILD/fuzz-work, emptied)
#   FUZZ_TARGETS targets to run (default "csv time codec gateway")
#   FUZZ_ARGS    extra libFuzzer flags (e.g. -seed=1)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=${1:-60}
build=${FUZZ_BUILD:-$top/build-fuzz}
work=${FUZZ_WORK:-$build/fuzz-work}
targets=${FUZZ_TARGETS:-csv time codec gateway}
extra=${FUZZ_ARGS:-}

case $secs in
'' | *[!0-9]*)
  echo "usage: $0 [SECONDS_PER_TARGET]" >&2
  exit 2
  ;;
esac

CC=clang cmake -S "$top" -B "$build" -DSM_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.cmake.log" 2>&1 ||
  { cat "$build.cmake.log" >&2; exit 1; }
fuzzers=()
for t in $targets; do fuzzers+=("fuzz_$t"); done
cmake --build "$build" -j"$(nproc)" --target "${fuzzers[@]}" >"$build.build.log" 2>&1 ||
  { tail -n 50 "$build.build.log" >&2; exit 1; }

rm -rf "$work"
run_one() {
  local t=$1 dir=$work/$1 dirs
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp "$top/tests/fuzz/corpus/$t"/* "$dir/corpus/"
  dirs=("$dir/corpus")
  if [ -d "$top/tests/fuzz/regressions/$t" ]; then
    dirs+=("$top/tests/fuzz/regressions/$t")
  fi
  # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 \
    -max_len=8192 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" $extra "${dirs[@]}" \
    >"$dir/log" 2>&1 || true
}

njobs=0
for t in $targets; do
  if [ "$(nproc)" -gt 4 ]; then
    run_one "$t" &
    njobs=$((njobs + 1))
  else
    run_one "$t"
  fi
done
[ "$njobs" -eq 0 ] || wait

found=0
printf '%-8s %12s %9s %8s %8s  %s\n' target executions exec/s corpus crashes artifacts
for t in $targets; do
  dir=$work/$t
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n 1)
  ncorp=$(find "$dir/corpus" -type f | wc -l)
  ncrash=$(find "$dir/artifacts" -type f | wc -l)
  [ "$ncrash" -eq 0 ] || found=1
  printf '%-8s %12s %9s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" \
    "$ncorp" "$ncrash" "$([ "$ncrash" -eq 0 ] || echo "$dir/artifacts (log: $dir/log)")"
done
exit $found
