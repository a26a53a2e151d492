# lib.sh: helpers for the HTTP tests (sourced by tests/http/test_*.sh).
#
# Sources tests/kafka/stack.sh (BIN, TMP, the cleanup trap, start_broker,
# start_reporter, stop, wait_for, ok/fail/check/finish, batch,
# same_report) and adds:
#   gen_data DIR ARGS...        storemon-gen into DIR (quiet)
#   load_data DIR               storemon-ingestor load of DIR's three files
#   start_gateway NAME [ARGS]   storemon-gateway in the background, logs in
#                               $TMP/NAME.log, PID_<NAME>, PORT_<NAME> and
#                               URL_<NAME>; --port 0 (any free port)
#                               unless ARGS give --port; waits for /healthz
#   req METHOD URL [CURL ARGS]  one request: prints the status code; the
#                               body is in $TMP/body, headers in $TMP/hdr
#   expect WHAT CODE METHOD URL [CURL ARGS]   req, then ok/fail on CODE
#   jfield NAME [FILE]          a top-level field of a JSON body
#   trigger URL [CURL ARGS]     POST /trigger_report, prints the report id
#   wait_status URL ID STATUS   polls get_report until STATUS (bounded)
#   halt PID                    SIGTERM, then a bounded wait: true when the
#                               process exited with 0 (HALT_RC: its status)
#   crash PID                   SIGKILL and reap it
#   PY                          /usr/bin/python3 (Debian's, with
#                               confluent_kafka and avro)
HTTP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HTTP_DIR/../kafka/stack.sh"
PY=/usr/bin/python3
SCHEMAS=$HTTP_DIR/../../schemas

gen_data() {
  local dir=$1
  shift
  "$BIN/storemon-gen" --out-dir "$dir" --quiet "$@"
}

load_data() {
  local dir=$1
  "$BIN/storemon-ingestor" load --brokers "$ADDR" --polls "$dir/polls.csv" \
    --hours "$dir/menu_hours.csv" --zones "$dir/timezones.csv" \
    --log-level warn >>"$TMP/ingest.log" 2>&1
}

# halt PID: stop (stack.sh), with the status in HALT_RC.
halt() {
  stop "$1"
  HALT_RC=$STOP_RC
  [ "$HALT_RC" -eq 0 ]
}

crash() {
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}

start_gateway() {
  local name=$1 port_args=(--port 0) a
  shift
  for a in "$@"; do [ "$a" = --port ] && port_args=(); done
  rm -f "$TMP/$name.port"
  "$BIN/storemon-gateway" --brokers "$ADDR" --db "$TMP/$name.db" \
    --port-file "$TMP/$name.port" "${port_args[@]}" "$@" \
    >>"$TMP/$name.log" 2>&1 &
  STACK_PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
  if ! wait_for test -s "$TMP/$name.port"; then
    echo "gateway $name did not start:"
    tail -20 "$TMP/$name.log"
    return 1
  fi
  printf -v "PORT_$name" '%s' "$(cat "$TMP/$name.port")"
  printf -v "URL_$name" 'http://127.0.0.1:%s' "$(cat "$TMP/$name.port")"
  wait_for curl -sf "http://127.0.0.1:$(cat "$TMP/$name.port")/healthz"
}

req() {
  local method=$1 url=$2
  shift 2
  curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' -X "$method" \
    --max-time 30 "$@" "$url"
}

expect() {
  local what=$1 code=$2 got
  shift 2
  got=$(req "$@")
  if [ "$got" = "$code" ]; then
    ok "$what ($code)"
  else
    fail "$what: expected $code, got $got: $(head -c 300 "$TMP/body")"
  fi
}

jfield() {
  "$PY" -c 'import json, sys
v = json.load(open(sys.argv[2])).get(sys.argv[1])
print("" if v is None else v)' "$1" "${2:-$TMP/body}"
}

trigger() {
  local url=$1
  shift
  curl -s --max-time 30 -X POST "$@" "$url/trigger_report" |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["report_id"])'
}

wait_status() {
  local url=$1 id=$2 want=$3 i
  for ((i = 0; i < WAIT_S * 10; i++)); do
    if [ "$(curl -s --max-time 10 "$url/get_report/$id" |
      "$PY" -c 'import json, sys; print(json.load(sys.stdin).get("status"))' \
        2>/dev/null)" = "$want" ]; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# header NAME: the value of a response header of the last req.
header() {
  tr -d '\r' <"$TMP/hdr" | awk -v n="$1" 'BEGIN { IGNORECASE = 1 }
    tolower($0) ~ "^" tolower(n) ":" { sub(/^[^:]*: */, ""); print; exit }'
}
