#!/usr/bin/env bash
# test_routes.sh BIN_DIR: every route of storemon-gateway and every status
# code it answers, with curl, against a running stack on the embedded
# broker.
#
#  - no reporter yet: a trigger is accepted (202) and, its parts never
#    coming, fails after --report-timeout (500 with the reason);
#  - with the reporter: a report in progress (202, partitions_done and
#    partitions_total; the reporter is paused with SIGSTOP), a complete
#    one through every way of asking (query, path, trailing slash, JSON
#    and form bodies on GET and POST, multipart, upper-case id, Accept:
#    text/csv, format=csv, /reports/ID.csv, HEAD), identical to the
#    batch report;
#  - each error: unknown id 404, malformed id 400, missing id 400, the id
#    twice with different values 400, bad format 400, unknown route 404,
#    wrong method 405 with Allow, body too large 413 (Content-Length and
#    chunked), invalid JSON 400, JSON not an object 400, report_id not a
#    string 400, bad as_of 400, bad form encoding 400, unsupported media
#    type 415; every error is a JSON object with an `error` text;
#  - /healthz, /readyz, /metrics (Prometheus text), SIGTERM exits 0.
BIN=${1:?usage: test_routes.sh BIN_DIR}
source "$(dirname "$0")/lib.sh"

gen_data "$TMP/data" --stores 120 --days 8 --seed 3
start_broker --partitions 4
check "load the data set" load_data "$TMP/data"

# ---- no reporter: the report fails after the timeout
start_gateway g1 --report-timeout 3s --trigger-wait 300ms || exit 1
U=$URL_g1
expect "POST /trigger_report without a reporter" 202 POST "$U/trigger_report"
F=$(jfield report_id)
check "202 has status Running" test "$(jfield status)" = Running
check "202 has a Location header" \
  test "$(header Location)" = "/get_report/$F"
expect "GET /get_report/F while it waits" 202 GET "$U/get_report/$F"
sleep 4
expect "a report whose parts never came is Failed" 500 GET "$U/get_report/$F"
check "Failed has status Failed and a reason" \
  grep -q '"status":"Failed","reason":"timed out after 3 s: 0 of 4 partitions answered"' "$TMP/body"
expect "GET /trigger_report (older clients) with as_of in the query" 202 \
  GET "$U/trigger_report?as_of=2023-01-25+12:00:00"
check "the given as_of is echoed" \
  test "$(jfield as_of)" = "2023-01-25T12:00:00.000000Z"
expect "POST /trigger_report/ with a JSON as_of" 202 POST "$U/trigger_report/" \
  -H 'Content-Type: application/json' -d '{"as_of": "2023-01-25T12:00:00Z", "extra": [1]}'
expect "POST /trigger_report with a form as_of" 202 POST "$U/trigger_report" \
  -d 'as_of=2023-01-25%2012%3A00%3A00'
check "gateway stops cleanly on SIGTERM" halt "$PID_g1"

# ---- with the reporter
start_reporter r1 --state-dir "$TMP/state"
start_gateway g2 || exit 1
U=$URL_g2
C=$(trigger "$U")
check "a complete report" wait_status "$U" "$C" Complete
batch "$TMP/batch.csv" "$TMP/data/polls.csv" "$TMP/data/menu_hours.csv" \
  "$TMP/data/timezones.csv"

expect "GET /get_report?report_id=ID" 200 GET "$U/get_report?report_id=$C"
check "Complete JSON: status, as_of, store_count, csv_url, data" \
  "$PY" - "$TMP/body" "$C" "$U" "$TMP/batch.csv" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
csv = open(sys.argv[4]).read()
assert b["report_id"] == sys.argv[2] and b["status"] == "Complete", b
assert b["csv_url"] == sys.argv[3] + "/reports/" + sys.argv[2] + ".csv"
assert b["store_count"] == csv.count("\n") - 1
assert b["data"] == csv
assert b["as_of"].endswith("Z")
PY
check "content type application/json" test "$(header Content-Type)" = application/json
for form in "get_report/$C" "get_report/$C/" "get_report/?report_id=$C" \
  "get_report/${C^^}"; do
  expect "GET /$form" 200 GET "$U/$form"
done
for m in GET POST; do
  expect "$m /get_report with a JSON body" 200 $m "$U/get_report" \
    -H 'Content-Type: application/json' -d "{\"report_id\": \"$C\", \"x\": 1}"
  expect "$m /get_report with a JSON body sent as a form (curl -d)" 200 $m \
    "$U/get_report" -d "{\"report_id\": \"$C\"}"
  expect "$m /get_report with a form body" 200 $m "$U/get_report" \
    -d "report_id=$C"
done
expect "POST /get_report/ with multipart/form-data" 200 POST "$U/get_report/" \
  -F "report_id=$C"
expect "POST /get_report with the same id in query and body" 200 POST \
  "$U/get_report?report_id=$C" -d "report_id=$C"

expect "Accept: text/csv" 200 GET "$U/get_report/$C" -H 'Accept: text/csv'
same_report "Accept: text/csv gives the batch report" "$TMP/batch.csv" "$TMP/body"
check "text/csv content type" test "$(header Content-Type)" = text/csv
check "Content-Disposition names the file" \
  test "$(header Content-Disposition)" = "attachment; filename=report-$C.csv"
expect "Accept: application/json, text/csv;q=0.5 prefers JSON" 200 GET \
  "$U/get_report/$C" -H 'Accept: application/json, text/csv;q=0.5'
check "  (JSON)" test "$(header Content-Type)" = application/json
expect "?format=csv" 200 GET "$U/get_report?report_id=$C&format=csv"
same_report "format=csv gives the batch report" "$TMP/batch.csv" "$TMP/body"
expect "GET /reports/ID.csv" 200 GET "$U/reports/$C.csv"
same_report "/reports/ID.csv is the batch report" "$TMP/batch.csv" "$TMP/body"
expect "HEAD /reports/ID.csv" 200 HEAD "$U/reports/$C.csv" -I
check "HEAD gives the length, no body" test "$(header Content-Length)" = \
  "$(stat -c %s "$TMP/batch.csv")"

# In progress: the reporter paused.
kill -STOP "$PID_r1"
R=$(trigger "$U")
expect "a report in progress" 202 GET "$U/get_report?report_id=$R"
check "Running: partitions_done 0 of partitions_total 4" \
  "$PY" -c 'import json, sys
b = json.load(open(sys.argv[1]))
assert b["status"] == "Running" and b["partitions_done"] == 0 and b["partitions_total"] == 4, b' "$TMP/body"
expect "/reports/ID.csv of a report in progress" 202 GET "$U/reports/$R.csv"
kill -CONT "$PID_r1"
check "it completes once the reporter goes on" wait_status "$U" "$R" Complete

# ---- errors
Z=00000000-0000-4000-8000-000000000000
expect "unknown id" 404 GET "$U/get_report/$Z"
check "404 body: No such report" \
  grep -q "{\"status\":\"No such report\",\"report_id\":\"$Z\"}" "$TMP/body"
expect "unknown id, /reports/ID.csv" 404 GET "$U/reports/$Z.csv"
expect "malformed id (query)" 400 GET "$U/get_report?report_id=12345"
check "400 names the field" test "$(jfield field)" = report_id
expect "malformed id (path)" 400 GET "$U/get_report/not-a-uuid"
expect "malformed id (/reports/x.csv)" 400 GET "$U/reports/x.csv"
expect "no path tricks (/reports/..%2F..%2Fetc%2Fpasswd.csv)" 404 GET \
  "$U/reports/..%2F..%2Fetc%2Fpasswd.csv"
expect "no path tricks (/reports/%2E%2E.csv)" 400 GET "$U/reports/%2E%2E.csv"
expect "malformed id (JSON body)" 400 POST "$U/get_report" -d '{"report_id": "x"}'
expect "missing id" 400 GET "$U/get_report"
expect "empty id" 400 GET "$U/get_report?report_id="
expect "id twice, different values" 400 POST "$U/get_report?report_id=$C" \
  -d "report_id=$R"
expect "id in the path and a different one in the query" 400 GET \
  "$U/get_report/$C?report_id=$R"
expect "bad format" 400 GET "$U/get_report/$C?format=xml"
expect "unknown route" 404 GET "$U/get_reports"
expect "unknown route under /reports" 404 GET "$U/reports/$C.txt"
expect "unknown route (nested)" 404 GET "$U/get_report/$C/x"
for route in trigger_report get_report "get_report/$C" "reports/$C.csv" \
  healthz readyz metrics; do
  expect "DELETE /$route" 405 DELETE "$U/$route"
  check "  Allow header" test -n "$(header Allow)"
done
expect "PUT /trigger_report/" 405 PUT "$U/trigger_report/" -d x
check "  Allow: GET, POST" test "$(header Allow)" = "GET, POST"
expect "POST /get_report/ID" 405 POST "$U/get_report/$C"
check "  Allow: GET, HEAD" test "$(header Allow)" = "GET, HEAD"
head -c 70000 /dev/zero | tr '\0' ' ' >"$TMP/big"
expect "body over max-body (Content-Length)" 413 POST "$U/trigger_report" \
  -H 'Content-Type: application/json' --data-binary @"$TMP/big"
expect "body over max-body (chunked)" 413 POST "$U/get_report" \
  -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' \
  --data-binary @"$TMP/big"
expect "invalid JSON" 400 POST "$U/get_report" \
  -H 'Content-Type: application/json' -d '{"report_id": '
check "  names the position" grep -q 'invalid JSON body at line 1' "$TMP/body"
expect "JSON not an object" 400 POST "$U/trigger_report" \
  -H 'Content-Type: application/json' -d '"x"'
expect "report_id not a string" 400 POST "$U/get_report" \
  -H 'Content-Type: application/json' -d '{"report_id": 7}'
expect "bad as_of" 400 POST "$U/trigger_report" -d 'as_of=2023-02-30 00:00:00'
check "  names as_of" test "$(jfield field)" = as_of
expect "as_of not a string" 400 POST "$U/trigger_report" \
  -H 'Content-Type: application/json' -d '{"as_of": 1674669600}'
expect "bad form encoding" 400 POST "$U/get_report" -d 'report_id=%zz'
expect "unsupported media type" 415 POST "$U/get_report" \
  -H 'Content-Type: application/xml' -d '<report_id/>'
check "every error above was JSON with an error text" \
  grep -q '"error":"unsupported Content-Type' "$TMP/body"

# ---- health, readiness, metrics
expect "GET /healthz" 200 GET "$U/healthz"
expect "GET /healthz/" 200 GET "$U/healthz/"
expect "GET /readyz" 200 GET "$U/readyz"
check "ready: kafka, database, schemas" \
  grep -q '"status":"ready","kafka":true,"database":true,"schemas":true' "$TMP/body"
expect "GET /metrics" 200 GET "$U/metrics"
check "Prometheus content type" \
  test "$(header Content-Type)" = "text/plain; version=0.0.4; charset=utf-8"
for m in 'storemon_gateway_http_requests_total{route="get_report",code="200"}' \
  'storemon_gateway_http_requests_total{route="other",code="404"}' \
  'storemon_gateway_report_latency_seconds_count 2' \
  'storemon_gateway_reports{status="Complete"} 2' \
  'storemon_gateway_consumer_lag{topic="report-results"}' \
  'storemon_gateway_report_ready_published_total 2'; do
  check "metric $m" grep -qF "$m" "$TMP/body"
done

check "gateway stops cleanly on SIGTERM" halt "$PID_g2"
check "reporter stops cleanly on SIGTERM" halt "$PID_r1"
finish
