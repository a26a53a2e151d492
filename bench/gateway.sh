#!/usr/bin/env bash
# Gateway benchmark, on the embedded broker, everything on this machine:
# the 13,584 stores of the real v1 business hours and zones with ~2.2M
# generated polls (the data set of bench/batch.sh) loaded through the
# ingestor into a running reporter, then storemon-gateway (2 HTTP
# threads) in front:
#
#   - get_report status: wrk on get_report?report_id=ID of a Running
#     report (the reporter paused with SIGSTOP so it stays Running): a
#     202 with a small JSON body, the hot path;
#     at saturation (64 connections, as fast as they go) and at the
#     target load (~10,000 requests/s or more: 50 connections pausing 4 ms);
#   - the CSV download of a complete 13,584-store report
#     (/reports/ID.csv, ~0.7 MB), 4 connections;
#   - trigger to Complete: TRIGGERS triggers one after the other on the
#     loaded state, each polled every 2 ms until Complete; the server's
#     own figure (completed_at - requested_at) and the client's.
#
# Baselines measured in the same run: wrk on /healthz (the raw server:
# routing and a constant 15-byte answer) with the same connections and
# threads, and `storemon-reporter report` (the same trigger and assembly
# straight on Kafka, no HTTP, no SQLite) for the latency.
#
# usage: bench/gateway.sh   (WRK_S=seconds per wrk run, TRIGGERS=N)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_build

WRK_S=${WRK_S:-10}
TRIGGERS=${TRIGGERS:-21}
bench_loop_polls batch 7
polls=$POLLS
hours=$LOOP/menu_hours.csv
zones=$LOOP/timezones.csv
rows=$(($(wc -l <"$polls") - 1))

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-gateway.XXXXXX")
cleanup() {
  bench_cleanup
  rm -rf "$work"
}
trap cleanup EXIT

bench_stack "$work" 16 "$polls" "$hours" "$zones"
addr=$ADDR
reporter=$REPORTER_PID
url=$URL

# Trigger-to-Complete, server and client side; the first (warm-up) report
# also waits for the reporter to have applied everything.
/usr/bin/python3 - "$url" "$TRIGGERS" >"$work/latency" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
def call(method, path):
    conn.request(method, path)
    r = conn.getresponse()
    return r.status, json.loads(r.read())
def ts(s):
    from datetime import datetime
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
def one(deadline_s):
    t0 = time.perf_counter()
    _, b = call("POST", "/trigger_report")
    rid = b["report_id"]
    while True:
        st, b = call("GET", "/get_report/" + rid + "?format=json")
        if st == 200:
            break
        if st != 202 or time.perf_counter() - t0 > deadline_s:
            sys.exit("report %s: %d %s" % (rid, st, b))
        time.sleep(0.002)
    return (time.perf_counter() - t0,
            ts(b["completed_at"]) - ts(b["requested_at"]), rid)
one(600)  # warm-up: the reporter catches up first
client, server = [], []
for _ in range(int(sys.argv[2])):
    c, s, rid = one(60)
    client.append(c)
    server.append(s)
    time.sleep(0.05)
q = lambda v, p: sorted(v)[min(len(v) - 1, int(p * len(v)))]
print("%.0f %.0f %.0f %.0f %s" % (statistics.median(server) * 1e3,
      q(server, 0.9) * 1e3, statistics.median(client) * 1e3,
      q(client, 0.9) * 1e3, rid))
PY
read -r srv_med srv_p90 cli_med cli_p90 complete <"$work/latency"

cli_s=$(bench_median "$bin/storemon-reporter" report --brokers "$addr" \
  --out /dev/null --log-level err)
csv_bytes=$(curl -s "$url/reports/$complete.csv" | wc -c)

# wrk URL CONNS [LUA]: "req/s p99_ms MB/s"
bench_wrk() {
  wrk -t2 -c"$2" -d"${WRK_S}s" --latency ${3:+-s "$3"} "$1" | awk '
    /Requests\/sec/ { rps = $2 }
    /Transfer\/sec/ { v = $2; if (v ~ /GB/) m = v * 1024; else if (v ~ /MB/) m = v + 0; else if (v ~ /KB/) m = v / 1024; else m = v / 1048576 }
    $1 == "99%" { v = $2; if (v ~ /us$/) p = v / 1000; else if (v ~ /ms$/) p = v + 0; else p = v * 1000 }
    END { printf "%.0f %.2f %.1f\n", rps, p, m }'
}
# At the target load: 50 connections each waiting 4 ms between requests
# (wrk's delay(); wrk leaves the delay out of the latency) is at most
# ~12,000 requests/s.
printf 'function delay()\n  return 4\nend\n' >"$work/paced.lua"

read -r health_rps health_p99 _ <<<"$(bench_wrk "$url/healthz" 64)"
read -r hpace_rps hpace_p99 _ <<<"$(bench_wrk "$url/healthz" 50 "$work/paced.lua")"
read -r csvb_rps csvb_p99 _ <<<"$(bench_wrk "$url/healthz" 4)"
read -r csv_rps csv_p99 csv_mbs <<<"$(bench_wrk "$url/reports/$complete.csv" 4)"
kill -STOP "$reporter"
running=$(curl -s -X POST "$url/trigger_report" | /usr/bin/python3 -c \
  'import json, sys; print(json.load(sys.stdin)["report_id"])')
read -r st_rps st_p99 _ <<<"$(bench_wrk "$url/get_report?report_id=$running" 64)"
read -r pace_rps pace_p99 _ <<<"$(bench_wrk "$url/get_report?report_id=$running" 50 "$work/paced.lua")"
kill -CONT "$reporter"
csv_stores=$(($(curl -s "$url/reports/$complete.csv" | wc -l) - 1))

printf '| benchmark | figure | same-run baseline | ratio |\n'
printf '|---|---|---|---|\n'
printf '| get_report status (202, Running), wrk -t2 -c64, saturated | %s req/s, p99 %s ms | /healthz: %s req/s, p99 %s ms | %.2fx |\n' \
  "$st_rps" "$st_p99" "$health_rps" "$health_p99" "$(echo "$st_rps / $health_rps" | bc -l)"
printf '| get_report status at the target load (wrk -t2 -c50, 4 ms pause per connection) | %s req/s, p99 %s ms | /healthz: %s req/s, p99 %s ms | %.2fx |\n' \
  "$pace_rps" "$pace_p99" "$hpace_rps" "$hpace_p99" "$(echo "$pace_p99 / $hpace_p99" | bc -l)"
printf '| CSV download, %d stores (%d bytes), wrk -t2 -c4 | %s req/s (%s MB/s), p99 %s ms | /healthz: %s req/s, p99 %s ms | %.2fx |\n' \
  "$csv_stores" "$csv_bytes" "$csv_rps" "$csv_mbs" "$csv_p99" "$csvb_rps" "$csvb_p99" \
  "$(echo "$csv_rps / $csvb_rps" | bc -l)"
printf '| trigger to Complete, %d polls loaded, median (p90) of %d | server %s ms (%s), client %s ms (%s) | storemon-reporter report: %.0f ms | %.2fx |\n' \
  "$rows" "$TRIGGERS" "$srv_med" "$srv_p90" "$cli_med" "$cli_p90" \
  "$(echo "$cli_s * 1000" | bc -l)" "$(echo "$cli_med / ($cli_s * 1000)" | bc -l)"
