#!/usr/bin/env bash
# test_hostile.sh BIN_DIR: storemon-gateway against hostile clients, on a
# running stack (embedded broker, reporter, one complete report), loopback
# only, every loop bounded:
#
#  - over-long request line and headers (100 KB path, 100 KB query, one
#    100 KB header, 200 headers of 200 bytes): a 4xx (MHD's 414/431);
#  - huge bodies (10 MiB with Content-Length, chunked, HTTP/1.0 without a
#    length): 413 (400 for the unframed one), answered before the body is
#    read (hostile.py counts what the client got into the socket);
#  - slow clients (hostile.py): headers one byte every 3 s are closed by
#    --connection-timeout 2s; headers and a body one byte a second (which
#    restart MHD's idle timer with every byte) get a 408 and are closed by
#    --request-timeout 4s, while other clients are answered;
#  - path traversal and odd ids (.., %2e%2e%2f, %00, 5000-byte ids):
#    400/404, never a file's content; non-UTF-8 bytes in the path, query
#    and JSON body: 400 (404 for an unknown route), every error body valid
#    JSON;
#  - 2000 sockets at once against --connection-limit 100: the extra ones
#    refused or queued, /healthz answered afterwards;
#  - the gateway's RSS stays below 2x its RSS after startup + 50 MB, the
#    report is still served byte for byte, SIGTERM exits 0.
BIN=${1:?usage: test_hostile.sh BIN_DIR}
source "$(dirname "$0")/lib.sh"
H=$HTTP_DIR/hostile.py

gen_data "$TMP/data" --stores 60 --days 8 --seed 5
start_broker --partitions 4
check "load the data set" load_data "$TMP/data"
start_reporter r1 --state-dir "$TMP/state"
start_gateway g --connection-timeout 2s --request-timeout 4s \
  --connection-limit 100 --threads 2 || exit 1
U=$URL_g
P=$PORT_g
G=$PID_g
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$G/status"; }
alive() { [ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$U/healthz")" = 200 ]; }

C=$(trigger "$U")
check "a complete report" wait_status "$U" "$C" Complete
curl -s --max-time 30 -o "$TMP/ref.csv" "$U/reports/$C.csv"
RSS0=$(rss)
echo "# gateway RSS after startup: $RSS0 kB"

# is_4xx WHAT CODE
is_4xx() {
  case $2 in
  4??) ok "$1 ($2)" ;;
  *) fail "$1: expected a 4xx, got $2" ;;
  esac
}

# ---- over-long request lines and headers
long=$(head -c 102400 /dev/zero | tr '\0' a)
is_4xx "100 KB path" "$(req GET "$U/$long")"
is_4xx "100 KB query" "$(req GET "$U/get_report?report_id=$long")"
is_4xx "100 KB header" "$(req GET "$U/healthz" -H "X-Big: $long")"
hv=$(head -c 200 /dev/zero | tr '\0' v)
hdrs=()
for i in $(seq 200); do hdrs+=(-H "X-H$i: $hv"); done
is_4xx "200 headers of 200 bytes" "$(req GET "$U/healthz" "${hdrs[@]}")"
hdrs=()
for i in $(seq 200); do hdrs+=(-H "X-H$i: v$i"); done
expect "200 small headers (within MHD's buffer) are served" 200 GET "$U/healthz" "${hdrs[@]}"
check "still serving after the long requests" alive

# ---- huge bodies: answered before they are read
read -r code sent < <(timeout 90 "$PY" "$H" "$P" body cl)
check "10 MiB with Content-Length: 413 ($code) before the body (client sent $sent bytes)" \
  test "$code" = 413 -a "$sent" -lt $((2 << 20))
read -r code sent < <(timeout 90 "$PY" "$H" "$P" body chunked)
check "10 MiB chunked: 413 ($code) before the body (client sent $sent bytes)" \
  test "$code" = 413 -a "$sent" -lt $((2 << 20))
read -r code sent < <(timeout 90 "$PY" "$H" "$P" body nocl)
check "10 MiB after an HTTP/1.0 POST without a length: a 4xx ($code), not read (client sent $sent bytes)" \
  test "${code:0:1}" = 4 -a "$sent" -lt $((2 << 20))
head -c $((10 << 20)) /dev/zero | tr '\0' ' ' >"$TMP/big"
expect "curl, 10 MiB chunked" 413 POST "$U/get_report" -H 'Content-Type: application/json' \
  -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big"
expect "curl, 10 MiB with Content-Length" 413 POST "$U/trigger_report" \
  -H 'Content-Type: application/json' --data-binary @"$TMP/big"
check "still serving after the huge bodies" alive

# ---- slow clients
out=$(timeout 30 "$PY" "$H" "$P" slowloris 3 20)
check "headers one byte every 3 s: closed by the 2 s timeout ($out)" \
  grep -q '^closed [0-9]' <<<"$out"
timeout 30 "$PY" "$H" "$P" slowloris 1 12 >"$TMP/loris.out" &
lpid=$!
timeout 30 "$PY" "$H" "$P" slowbody 1 12 >"$TMP/slowbody.out" &
bpid=$!
sleep 1
served=0
for i in $(seq 10); do
  [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$U/get_report/$C")" = 200 ] &&
    served=$((served + 1))
  sleep 0.3
done
check "other clients answered during a slowloris and a slow body ($served of 10)" \
  test "$served" -eq 10
wait "$lpid" "$bpid"
# cut_in_time FILE: hostile.py saw a 408 (or a close) 3.5 to 6.5 s in.
cut_in_time() {
  awk '($1 == "answered" && $2 == 408 && $3 >= 3.5 && $3 <= 6.5) ||
       ($1 == "closed" && $2 >= 3.5 && $2 <= 6.5) { ok = 1 } END { exit !ok }' "$1"
}
check "headers at 1 byte/s: 408 at the 4 s request deadline ($(cat "$TMP/loris.out"))" \
  cut_in_time "$TMP/loris.out"
check "a body at 1 byte/s: 408 at the 4 s request deadline ($(cat "$TMP/slowbody.out"))" \
  cut_in_time "$TMP/slowbody.out"
check "the cut connections are counted as 408 in /metrics" \
  grep -q 'code="408"} [1-9]' <(curl -s --max-time 5 "$U/metrics")

# ---- path traversal, odd ids, non-UTF-8
for p in '/reports/../../etc/passwd' '/reports/%2e%2e%2fetc%2fpasswd.csv' \
  '/reports/..%2f..%2f..%2fetc%2fpasswd' '/get_report/..%2f..' '/get_report/../../etc/passwd' \
  "/get_report?report_id=..%2f..%2fetc%2fpasswd" '/get_report/%00' "/get_report/$C%00.csv" \
  "/reports/$C%00.csv" "/reports/$C.csv%00" "/get_report?report_id=$C%00x" \
  "/get_report/$(head -c 5000 /dev/zero | tr '\0' 1)" \
  "/reports/$(head -c 5000 /dev/zero | tr '\0' a).csv" \
  '/get_report/%ff%fe' '/get_report?report_id=%c3%28' '/reports/%ed%a0%80.csv' '/healthz%ff'; do
  code=$(req GET "$U$p" --path-as-is)
  case $code in
  400 | 404)
    if grep -q 'root:' "$TMP/body"; then
      fail "GET ${p:0:60}: a file's content"
    elif ! "$PY" -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' \
      "$TMP/body" 2>/dev/null; then
      fail "GET ${p:0:60} ($code): the body is not valid UTF-8 JSON: $(head -c 120 "$TMP/body" | od -c | head -3)"
    else
      ok "GET ${p:0:60} ($code)"
    fi
    ;;
  *) fail "GET ${p:0:60}: expected 400/404, got $code" ;;
  esac
done
for body in '{"report_id":"\xff\xfe"}' '{"report_id":"\xc3\x28"}' '{"as_of":"\xed\xa0\x80"}' \
  '{"report_id":"a\x00b"}'; do
  route=/get_report
  case $body in *as_of*) route=/trigger_report ;; esac
  printf "$body" >"$TMP/in"
  expect "JSON body $body on $route" 400 POST "$U$route" \
    -H 'Content-Type: application/json' --data-binary @"$TMP/in"
done
printf 'report_id=%%ff%%fe' >"$TMP/in"
expect "form body with non-UTF-8 bytes" 400 POST "$U/get_report" --data-binary @"$TMP/in"
check "the form error body is valid UTF-8 JSON" "$PY" -c \
  'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$TMP/body"
check "still serving after the odd paths" alive

# ---- many connections
read -r _ opened _ answered _ refused _ waiting < <(timeout 60 "$PY" "$H" "$P" conns 2000 8)
echo "# 2000 sockets, limit 100: opened $opened answered $answered refused $refused waiting $waiting"
check "2000 sockets: not all answered at once (answered $answered, refused or queued $((refused + waiting)))" \
  test "$((refused + waiting))" -gt 0 -a "$((answered + refused + waiting))" -eq 2000
check "/healthz answered after the 2000 sockets" wait_for alive

# ---- memory, the report, shutdown
RSS1=$(rss)
echo "# gateway RSS: $RSS0 kB after startup, $RSS1 kB at the end"
check "RSS at the end ($RSS1 kB) below 2 x $RSS0 kB + 50 MB" \
  test "$RSS1" -lt $((2 * RSS0 + 51200))
curl -s --max-time 30 -o "$TMP/end.csv" "$U/reports/$C.csv"
check "the report is still served byte for byte" cmp -s "$TMP/ref.csv" "$TMP/end.csv"
check "gateway stops cleanly on SIGTERM (exit 0)" halt "$G"
check "reporter stops cleanly on SIGTERM" stop "$PID_r1"
finish
