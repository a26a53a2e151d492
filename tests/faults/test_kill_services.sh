#!/usr/bin/env bash
# test_kill_services.sh BIN_DIR: SIGKILL of every service during a load.
#
# For each seed S (two): a data set from storemon-gen --stores 800 --days 8
# --seed S (~150k polls) is loaded while the reporter and the gateway run.
# The load is slowed to several seconds by bounding the producer's queue
# (-X queue.buffering.max.messages, -X linger.ms), so that every kill below
# lands while records are still being published.  Delays come from
# RANDOM=S.
#
#  1. first load: the reporter is killed (SIGKILL) and restarted, then the
#     ingestor is killed mid-load (it was still running);
#  2. the load is run again from the start (every row published once more,
#     some twice): during it the gateway is killed and restarted on the same
#     port and database; the load finishes with every record acknowledged;
#  3. a report triggered through the gateway (POST /trigger_report, GET
#     /get_report?report_id=ID until 200, then &format=csv) is byte for
#     byte the batch report of the same files: the redelivered records and
#     the restarts changed nothing;
#  4. SIGTERM stops the reporter and the gateway with status 0.
BIN=${1:?usage: test_kill_services.sh BIN_DIR}
source "$(dirname "$0")/../http/lib.sh"

SEEDS=(11 29)
R_ARGS=(-X session.timeout.ms=6000 --checkpoint-interval 300ms)
SLOW=(-X queue.buffering.max.messages=1000 -X linger.ms=50)

# pause: a pseudo-random delay of 0.5 to 2.0 s (from RANDOM).
pause() {
  local t=$((5 + RANDOM % 16))
  sleep "$((t / 10)).$((t % 10))"
}

# start_load NAME DIR: storemon-ingestor load in the background, PID in LOAD.
start_load() {
  "$BIN/storemon-ingestor" load --brokers "$ADDR" --polls "$2/polls.csv" \
    --hours "$2/menu_hours.csv" --zones "$2/timezones.csv" --log-level warn \
    "${SLOW[@]}" >"$TMP/$1.log" 2>&1 &
  LOAD=$!
  STACK_PIDS+=("$LOAD")
}

# kill_now WHAT PID: SIGKILL, checking that PID was still running.
kill_now() {
  check "$1 still running when killed" kill -0 "$2"
  crash "$2"
}

for S in "${SEEDS[@]}"; do
  echo "# seed $S"
  RANDOM=$S
  D=$TMP/data-$S
  gen_data "$D" --stores 800 --days 8 --seed "$S"
  rm -f "$TMP/bootstrap"
  start_broker --partitions 8
  BROKER=${STACK_PIDS[-1]}
  r=r$S
  g=g$S
  start_reporter "$r" --state-dir "$TMP/state-$S" "${R_ARGS[@]}"
  pid_r=PID_$r
  check "seed $S: the reporter joins its group" wait_for grep -q assigned "$TMP/$r.log"
  start_gateway "$g" || exit 1
  pid_g=PID_$g
  port_g=PORT_$g
  U=http://127.0.0.1:${!port_g}

  # 1.
  start_load "load1-$S" "$D"
  pause
  check "seed $S: load 1 still running when the reporter is killed" kill -0 "$LOAD"
  kill_now "seed $S: the reporter" "${!pid_r}"
  start_reporter "$r" --state-dir "$TMP/state-$S" "${R_ARGS[@]}"
  pause
  kill_now "seed $S: the ingestor (mid-load)" "$LOAD"

  # 2.
  start_load "load2-$S" "$D"
  pause
  check "seed $S: load 2 still running when the gateway is killed" kill -0 "$LOAD"
  crash "${!pid_g}"
  start_gateway "$g" --port "${!port_g}" || exit 1
  wait "$LOAD"
  rc=$?
  check "seed $S: the re-run load finishes with every record acknowledged (status $rc)" \
    test "$rc" -eq 0
  grep -v '^$' "$TMP/load2-$S.log" | grep -v rdkafka | tail -3

  # 3.
  batch "$TMP/batch-$S.csv" "$D/polls.csv" "$D/menu_hours.csv" "$D/timezones.csv"
  ID=$(trigger "$U")
  check "seed $S: POST /trigger_report gives a report id" test -n "$ID"
  code=
  for ((i = 0; i < 900; i++)); do
    code=$(req GET "$U/get_report?report_id=$ID")
    [ "$code" = 200 ] && break
    sleep 0.1
  done
  check "seed $S: GET /get_report?report_id=ID answers 200 (last: $code)" test "$code" = 200
  expect "seed $S: the report as CSV" 200 GET "$U/get_report?report_id=$ID&format=csv"
  cp "$TMP/body" "$TMP/gateway-$S.csv"
  same_report "seed $S: after SIGKILLs of reporter, ingestor, gateway: gateway report == batch" \
    "$TMP/batch-$S.csv" "$TMP/gateway-$S.csv"
  check "seed $S: no gaps reported" bash -c "! grep -q GAP '$TMP/$r.log'"

  # 4.
  check "seed $S: SIGTERM stops the gateway with status 0" halt "${!pid_g}"
  check "seed $S: SIGTERM stops the reporter with status 0" halt "${!pid_r}"
  kill -TERM "$BROKER"
  wait "$BROKER" 2>/dev/null
done
finish
