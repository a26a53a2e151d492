# Shared helpers for the bench/*.sh scripts (sourced, not run).
#
# bench_build: builds the project (Release) into $BENCH_BUILD (default
# build-bench) and sets $bin.  bench_median CMD...: runs CMD $BENCH_RUNS
# times (default 5) and prints the median wall time in seconds.
# bench_peak_rss_mb CMD...: peak resident set of one run, in MB.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BUILD=${BENCH_BUILD:-$top/build-bench}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_DATA=${BENCH_DATA:-$top/build-bench/data}

bench_build() {
  "$top/deploy/install-deps.sh"
  cmake -S "$top" -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BENCH_BUILD" -j"$(nproc)" >/dev/null
  bin=$BENCH_BUILD/bin
}

bench_now() { date +%s.%N; }

bench_median() {
  local times=() t0 t1
  for _ in $(seq "$BENCH_RUNS"); do
    t0=$(bench_now)
    "$@" >/dev/null 2>&1
    t1=$(bench_now)
    times+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f\n", a[int((NR+1)/2)]}'
}

bench_peak_rss_mb() {
  /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1 | awk '{printf "%.0f\n", $1/1024}'
}
