#!/usr/bin/env bash
# The main job on one machine: installs what is missing, builds, starts
# the embedded broker, the reporter and the gateway in the background,
# loads a data set, triggers a report, waits for it, prints where it is,
# and leaves the stack serving (until deploy/local/down.sh).
#
# usage: deploy/local/up.sh [--once] [--port N] [DATA_DIR]
#   DATA_DIR  three CSV files: store_status.csv (or polls.csv),
#             menu_hours.csv, timezones.csv (e.g. ../shared/data/loop/v1);
#             default: a realistic data set of 2000 synthetic stores made
#             by storemon-gen.
#   --once    stop the stack once the report is printed.
#   --port N  the gateway's port (default 8080; 0 = any free port).
# Environment: RUN_DIR (default run/: logs, pids, state, data, report),
# BUILD_DIR (default build/), STOREMON_PARTITIONS (default 16).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

once=0
port=${STOREMON_PORT:-8080}
data_dir=""
while [ $# -gt 0 ]; do
  case $1 in
    --once) once=1 ;;
    --port) port=${2:?--port needs a number}; shift ;;
    --port=*) port=${1#--port=} ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "up: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) data_dir=$1 ;;
  esac
  shift
done
run=${RUN_DIR:-$top/run}
build=${BUILD_DIR:-$top/build}
parts=${STOREMON_PARTITIONS:-16}
mkdir -p "$run/logs"
run=$(cd "$run" && pwd)

# One copy at a time.
if [ -f "$run/pids" ]; then
  while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "up: storemon is already running from $run ($name, pid $pid)." >&2
      echo "up: its gateway: $(cat "$run/url" 2>/dev/null || echo '?'); deploy/local/down.sh stops it." >&2
      exit 1
    fi
  done <"$run/pids"
  rm -f "$run/pids"
fi

echo "up: checking dependencies and building (first time: a few minutes)"
deploy/install-deps.sh
# A new build directory is configured for Release; an existing one keeps
# its own settings.
if [ -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" >"$run/logs/build.log" 2>&1
else
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >"$run/logs/build.log" 2>&1
fi
cmake --build "$build" -j"$(nproc)" >>"$run/logs/build.log" 2>&1 ||
  { tail -20 "$run/logs/build.log"; exit 1; }
bin=$(cd "$build/bin" && pwd)

fail() {
  echo "up: $*" >&2
  "$top/deploy/local/down.sh" >/dev/null 2>&1 || true
  exit 1
}
# start NAME ARGS...: a service in its own session, logs in logs/NAME.log.
start() {
  local name=$1
  shift
  setsid "$@" >"$run/logs/$name.log" 2>&1 </dev/null &
  echo "$name $!" >>"$run/pids"
}
wait_for() {
  local what=$1 i
  shift
  for ((i = 0; i < 300; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "$what did not come up; see $run/logs"
}

# The embedded broker starts empty every time, so state kept for an
# earlier one (reporter checkpoints, the gateway's reports and offsets)
# would point into logs that no longer exist: start clean.
rm -rf "$run/bootstrap" "$run/port" "$run/url" "$run/reporter" "$run"/gateway.db*
start broker "$bin/storemon-broker" --partitions "$parts" --bootstrap-file "$run/bootstrap"
wait_for "the embedded broker" test -s "$run/bootstrap"
brokers=$(cat "$run/bootstrap")
start reporter "$bin/storemon-reporter" run --brokers "$brokers" --state-dir "$run/reporter" --instance local
start gateway "$bin/storemon-gateway" --brokers "$brokers" --port "$port" \
  --db "$run/gateway.db" --port-file "$run/port"
wait_for "the gateway (is port $port free?)" test -s "$run/port"
url="http://127.0.0.1:$(cat "$run/port")"
echo "$url" >"$run/url"
wait_for "the gateway" curl -sf "$url/healthz"
echo "up: broker $brokers, gateway $url, logs and pids in $run"

if [ -z "$data_dir" ]; then
  data_dir=$run/data
  if [ ! -f "$data_dir/polls.csv" ]; then
    echo "up: generating 2000 synthetic stores with a week of polls in $data_dir"
    "$bin/storemon-gen" --stores 2000 --seed 1 --out-dir "$data_dir" --quiet
  fi
fi
polls=$data_dir/store_status.csv
[ -f "$polls" ] || polls=$data_dir/polls.csv
for f in "$polls" "$data_dir/menu_hours.csv" "$data_dir/timezones.csv"; do
  [ -f "$f" ] || fail "missing $f"
done
echo "up: loading $data_dir"
"$bin/storemon-ingestor" load --brokers "$brokers" --polls "$polls" \
  --hours "$data_dir/menu_hours.csv" --zones "$data_dir/timezones.csv" \
  --rejects "$run/rejects.txt" 2>"$run/logs/load.log" ||
  { cat "$run/logs/load.log" >&2; fail "the load failed"; }
grep -E '^ *(accepted|rejected):' "$run/logs/load.log" | sed 's/^ */up:   /' || true

report_id=$(curl -sf -X POST "$url/trigger_report" |
  sed -n 's/.*"report_id" *: *"\([^"]*\)".*/\1/p')
[ -n "$report_id" ] || fail "trigger_report failed"
echo "up: report $report_id triggered"
for ((i = 0; i < 1200; i++)); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url/get_report?report_id=$report_id")
  [ "$code" = 200 ] && break
  [ "$code" = 202 ] || fail "get_report answered $code"
  sleep 0.1
done
[ "$code" = 200 ] || fail "the report did not complete in 2 minutes"
curl -sf "$url/reports/$report_id.csv" -o "$run/report.csv"
echo
echo "report: $run/report.csv ($(($(wc -l <"$run/report.csv") - 1)) stores), also at $url/reports/$report_id.csv"
echo "rejected rows: $run/rejects.txt ($(wc -l <"$run/rejects.txt"))"
echo
head -n 6 "$run/report.csv"
echo

if [ "$once" = 1 ]; then
  "$top/deploy/local/down.sh"
  exit 0
fi
cat <<EOT
storemon is serving on $url:
  curl -X POST $url/trigger_report
  curl '$url/get_report?report_id=$report_id'
Stream live polls (CSV with a header, or NDJSON lines):
  printf 'store_id,status,timestamp_utc\n42,active,2023-01-25 18:30:00 UTC\n' |
    $bin/storemon-ingestor stream --brokers $brokers
Stop everything: deploy/local/down.sh
EOT
