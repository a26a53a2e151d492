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

# The real v1 Loop store set (business hours and zones) the benchmarks use.
LOOP=${LOOP_DATA:-$top/../shared/data/loop/v1}

# bench_loop_polls NAME SEED [STOREMON-GEN ARGS]: generated polls for the
# stores of $LOOP in $BENCH_DATA/NAME/polls.csv (made once, then kept);
# sets POLLS.
bench_loop_polls() {
  local dir=$BENCH_DATA/$1 seed=$2
  shift 2
  if [ ! -f "$dir/polls.csv" ]; then
    mkdir -p "$dir"
    "$bin/storemon-gen" --hours "$LOOP/menu_hours.csv" --zones "$LOOP/timezones.csv" \
      --out-dir "$dir" --seed "$seed" --quiet "$@"
  fi
  POLLS=$dir/polls.csv
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

# bench_broker DIR PARTITIONS: starts storemon-broker, sets ADDR and
# BROKER_PID (stopped by bench_cleanup, which also wakes processes left
# stopped with SIGSTOP).
BENCH_PIDS=()
bench_cleanup() {
  local p
  for p in "${BENCH_PIDS[@]}"; do
    kill -CONT "$p" 2>/dev/null
    kill -TERM "$p" 2>/dev/null
  done
  wait 2>/dev/null
}
trap bench_cleanup EXIT

bench_broker() {
  local dir=$1 parts=$2
  rm -f "$dir/bootstrap"
  "$bin/storemon-broker" --partitions "$parts" --bootstrap-file "$dir/bootstrap" \
    >/dev/null 2>"$dir/broker.log" &
  BROKER_PID=$!
  BENCH_PIDS+=("$BROKER_PID")
  bench_wait_file "$dir/bootstrap"
  ADDR=$(cat "$dir/bootstrap")
}

# bench_stack DIR PARTITIONS POLLS HOURS ZONES: a broker, a reporter, a
# load of the three files, then the gateway (2 HTTP threads) in front;
# sets ADDR, REPORTER_PID, GATEWAY_PID and URL.  Logs and state in DIR.
bench_stack() {
  local dir=$1
  bench_broker "$dir" "$2"
  "$bin/storemon-reporter" run --brokers "$ADDR" --state-dir "$dir/state" \
    --log-level warn 2>"$dir/reporter.log" &
  REPORTER_PID=$!
  BENCH_PIDS+=("$REPORTER_PID")
  "$bin/storemon-ingestor" load --brokers "$ADDR" --polls "$3" --hours "$4" \
    --zones "$5" --log-level warn 2>"$dir/ingest.log"
  "$bin/storemon-gateway" --brokers "$ADDR" --port 0 --port-file "$dir/port" \
    --db "$dir/gateway.db" --threads 2 --log-level warn 2>"$dir/gateway.log" &
  GATEWAY_PID=$!
  BENCH_PIDS+=("$GATEWAY_PID")
  bench_wait_file "$dir/port"
  URL=http://127.0.0.1:$(cat "$dir/port")
}

bench_ms() { date +%s%3N; }

# bench_median_of NUMBERS...: the median.
bench_median_of() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# bench_wait_file FILE: until FILE exists and is not empty (30 s at most).
bench_wait_file() {
  local i
  for ((i = 0; i < 300; i++)); do
    [ -s "$1" ] && return 0
    sleep 0.1
  done
  echo "bench: $1 did not appear" >&2
  return 1
}
