#!/usr/bin/env bash
# test_ingest.sh BIN_DIR: storemon-ingestor against the embedded broker,
# read back by clients storemon did not write (kcat, and
# python3-confluent-kafka + python3-avro in verify_topics.py).
#
#  1. load: a storemon-gen data set with bad rows of every kind; exit 0,
#     no delivery failure; kcat counts and keys per topic; the rejects file
#     equals the batch report's (same validation code); verify_topics.py
#     (headers, fingerprints, bodies, murmur2 partitions, every accepted
#     row exactly once, whole schedules, last zone, every bad row).
#     The same polls without quoted rows, which several threads read.
#  2. load: hand-written edge cases (BOM, CRLF, reordered and extra
#     columns, quoted and multi-line fields, offsets, 9-digit fractions,
#     same-instant duplicates, invalid UTF-8, stores with only bad rows,
#     end 00:00, empty zone), polls on stdin; verify_topics.py.
#  3. stream: CSV and NDJSON through pipes; verify_topics.py.  A live
#     stream through a FIFO: records arrive while it is still open; EOF
#     ends it with 0; SIGTERM ends it with 0 and a summary.
#  4. exit codes: missing column -> 1 naming it (load and stream); bad
#     flag, bad number, unknown -X, no broker -> 2; unreachable broker ->
#     1 with delivery failures, in bounded time.  Another partitioner
#     than murmur2 is noticed; STOREMON_BROKERS is read.
#  5. pacing: a slow member of storemon-reporter; the load waits for it
#     and the group's lag (end - committed, measured by the member after
#     each commit) never exceeds --max-lag.
#
# Every process runs under timeout or is killed by the trap; the last line
# is "N passed, N failed".

BIN=${1:?usage: test_ingest.sh BIN_DIR}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCHEMAS=$(cd "$HERE/../../schemas" && pwd)
PY=/usr/bin/python3
ING=$BIN/storemon-ingestor
WAIT_S=15 # seconds to wait for a broker or a record
RUN_S=120 # seconds any one ingestor or verifier run may take

source "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

# start_broker NAME [ARGS]: a fresh embedded broker; sets ADDR and BPID.
start_broker() {
    local name=$1 deadline=$((SECONDS + WAIT_S))
    shift
    rm -f "$TMP/$name.addr"
    "$BIN/storemon-broker" --bootstrap-file "$TMP/$name.addr" "$@" \
        >"$TMP/$name.out" 2>"$TMP/$name.err" &
    BPID=$!
    STACK_PIDS+=("$BPID")
    while [ ! -s "$TMP/$name.addr" ]; do
        if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$BPID" 2>/dev/null; then
            echo "FAIL - broker $name did not start"
            cat "$TMP/$name.err"
            finish
        fi
        sleep 0.05
    done
    ADDR=$(cat "$TMP/$name.addr")
}
stop_broker() {
    kill -TERM "$BPID" 2>/dev/null
    wait "$BPID" 2>/dev/null
}

# ingest NAME ARGS...: the ingestor under timeout; stderr in NAME.err; RC.
ingest() {
    local name=$1
    shift
    timeout -k 5 "$RUN_S" "$ING" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    RC=$?
}
# verify NAME ARGS...: verify_topics.py; its lines are shown indented.
verify() {
    local name=$1
    shift
    timeout -k 5 "$RUN_S" "$PY" "$HERE/verify_topics.py" --brokers "$ADDR" \
        --schemas "$SCHEMAS" "$@" >"$TMP/$name.verify" 2>&1
    local rc=$?
    sed 's/^/    /' "$TMP/$name.verify"
    return $rc
}
# kcount TOPIC: records in TOPIC (kcat).
kcount() {
    timeout 30 kcat -b "$ADDR" -C -t "$1" -e -q -f 'x\n' 2>/dev/null | wc -l
}
# kkeys TOPIC: "partition key" lines (kcat).
kkeys() {
    timeout 30 kcat -b "$ADDR" -C -t "$1" -e -q -f '%p %k\n' 2>/dev/null
}
no_crash() {
    ! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error|Assertion|Aborted' \
        "$TMP/$1.err"
}
# data_rows FILE: non-blank lines after the header (no multi-line fields).
data_rows() {
    tail -n +2 "$1" | grep -cv '^\s*$'
}

for tool in "$ING" "$BIN/storemon-broker"; do
    if [ ! -x "$tool" ]; then
        fail "$tool not built"
        finish
    fi
done
for tool in kcat "$PY"; do
    if ! command -v "$tool" >/dev/null; then
        fail "$tool not installed"
        finish
    fi
done

# ------------------------------------------------ 1. a generated data set
D=$TMP/gen
if [ -x "$BIN/storemon-gen" ]; then
    "$BIN/storemon-gen" --stores 300 --out-dir "$D" --bad-rows 0.02 \
        --seed 7 --quiet 2>"$TMP/gen.err" ||
        fail "storemon-gen: $(cat "$TMP/gen.err")"
else
    # No generator: a small set written here, with bad rows of each kind.
    mkdir -p "$D"
    {
        echo "store_id,status,timestamp_utc"
        for s in $(seq 1 40); do
            for h in $(seq 10 23); do
                st=active
                [ $(((s + h) % 5)) -eq 0 ] && st=inactive
                echo "$((1000 + s)),$st,2023-01-2$((h % 3)) $h:0$((s % 10)):00.5 UTC"
            done
        done
        echo "1001,active,2023-01-22 12:00:00"
        echo "1002,maybe,2023-01-22 12:00:00 UTC"
        echo ",active,2023-01-22 12:00:00 UTC"
        echo "1003,active"
        echo "1004,active,2023-02-30 12:00:00 UTC"
    } >"$D/polls.csv"
    {
        echo "store_id,day,start_time_local,end_time_local"
        for s in $(seq 1 30); do
            echo "$((1000 + s)),$((s % 7)),09:00:00,17:00:00"
            echo "$((1000 + s)),$(((s + 1) % 7)),22:00:00,02:00:00"
        done
        echo "1031,7,09:00:00,17:00:00"
        echo "1032,1,9am,17:00:00"
        echo "1033,1,09:00:00"
    } >"$D/menu_hours.csv"
    {
        echo "store_id,timezone_str"
        for s in $(seq 1 35); do echo "$((1000 + s)),America/Denver"; done
        echo "1036,Mars/Olympus_Mons"
        echo ",America/Denver"
        echo "1037,"
    } >"$D/timezones.csv"
fi
P=$D/polls.csv
H=$D/menu_hours.csv
Z=$D/timezones.csv

start_broker gen --partitions 16
ingest load1 load --brokers "$ADDR" --polls "$P" --hours "$H" --zones "$Z" \
    --rejects "$TMP/rejects1.txt"
check "load: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "load: summary reports no delivery failure" \
    grep -q 'delivery failures: 0$' "$TMP/load1.err"
check "load: no sanitizer report or crash" no_crash load1
# The ingestor predicts each poll's partition with sm_kafka_partition()
# (for pacing) and compares it with where librdkafka's murmur2_random put
# it; a difference would show as a "partitioning:" line.
check "load: every poll where sm_kafka_partition() predicted" \
    bash -c "! grep -q 'partitioning:' '$TMP/load1.err'"

# Counts per topic, with kcat.
nrej_p=$(grep -c "^$P:" "$TMP/rejects1.txt")
nrej_all=$(wc -l <"$TMP/rejects1.txt")
want_polls=$(($(data_rows "$P") - nrej_p))
got_polls=$(kcount store-polls)
check "kcat: store-polls holds $want_polls records (got $got_polls)" \
    [ "$got_polls" -eq "$want_polls" ]
got_rej=$(kcount ingest-rejects)
check "kcat: ingest-rejects holds $nrej_all records (got $got_rej)" \
    [ "$got_rej" -eq "$nrej_all" ]
check "kcat: there are bad rows to test with ($nrej_all)" [ "$nrej_all" -gt 10 ]
for t in store-hours store-timezones; do
    kkeys "$t" >"$TMP/$t.keys"
    n=$(wc -l <"$TMP/$t.keys")
    u=$(cut -d' ' -f2 "$TMP/$t.keys" | sort -u | wc -l)
    check "kcat: $t has one record per store ($n records, $u keys)" \
        [ "$n" -gt 0 -a "$n" -eq "$u" ]
done
kkeys store-polls | sort -u >"$TMP/polls.keys"
check "kcat: each store-polls key on one partition only" \
    [ "$(cut -d' ' -f2 "$TMP/polls.keys" | sort | uniq -d | wc -l)" -eq 0 ]
cut -d' ' -f2 "$TMP/polls.keys" | sort -u >"$TMP/polls.ids"
tail -n +2 "$P" | cut -d, -f1 | sort -u >"$TMP/csv.ids"
check "kcat: every store-polls key is a store_id of the file" \
    [ "$(comm -23 "$TMP/polls.ids" "$TMP/csv.ids" | wc -l)" -eq 0 ]
kkeys ingest-rejects | cut -d' ' -f2- | sort -u >"$TMP/rej.keys"
printf '%s\n' "$H" "$P" "$Z" | sort -u >"$TMP/rej.want"
check "kcat: ingest-rejects keys are the source files" \
    [ "$(comm -23 "$TMP/rej.keys" "$TMP/rej.want" | wc -l)" -eq 0 ]

if [ -x "$BIN/storemon-reporter" ]; then
    timeout "$RUN_S" "$BIN/storemon-reporter" batch --polls "$P" \
        --hours "$H" --zones "$Z" --out /dev/null --quiet \
        --rejects "$TMP/rejects1.batch" 2>/dev/null
    check "the rejects file equals the batch report's" \
        cmp -s <(sort "$TMP/rejects1.txt") <(sort "$TMP/rejects1.batch")
fi
check "verify_topics.py: the generated load" verify gen --polls "$P" \
    --hours "$H" --zones "$Z" --rejects-file "$TMP/rejects1.txt"
# The verifier can fail: a foreign record on store-polls is noticed.
printf 'not an avro frame' | timeout 30 kcat -P -b "$ADDR" -t store-polls \
    -k 1001 2>/dev/null
if verify gen2 --polls "$P" --hours "$H" --zones "$Z" >/dev/null; then
    fail "verify_topics.py notices a foreign record"
else
    check "verify_topics.py notices a foreign record" \
        grep -q 'FAIL - store-polls: .*header' "$TMP/gen2.verify"
fi
stop_broker

# The same polls without the rows that hold a quote: a file several
# threads may read (ingestor_scan.c).  Same checks, and the threads were
# used.
grep -v '"' "$P" >"$TMP/polls_nq.csv"
start_broker nq --partitions 16
ingest load1b load --brokers "$ADDR" --polls "$TMP/polls_nq.csv" \
    --rejects "$TMP/rejects1b.txt" --log-level debug
check "threaded read: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "threaded read: the threads were used" \
    grep -q 'read in .* (threads)' "$TMP/load1b.err"
if [ -x "$BIN/storemon-reporter" ]; then
    timeout "$RUN_S" "$BIN/storemon-reporter" batch --polls "$TMP/polls_nq.csv" \
        --out /dev/null --quiet --rejects "$TMP/rejects1b.batch" 2>/dev/null
    check "threaded read: the rejects file equals the batch report's" \
        cmp -s <(sort "$TMP/rejects1b.txt") <(sort "$TMP/rejects1b.batch")
fi
check "verify_topics.py: the threaded read" verify nq \
    --polls "$TMP/polls_nq.csv" --rejects-file "$TMP/rejects1b.txt"
stop_broker

# ------------------------------------------------ 2. hand-written edge cases
E=$TMP/edge
mkdir -p "$E"
printf '%s' $'\xef\xbb\xbf''status,Store_ID,extra,timestamp_utc'$'\r\n' \
    'active,s1,x,2023-01-22 12:09:39.388884 UTC'$'\r\n' \
    'INACTIVE,s1,x,2023-01-22T12:09:39.388884Z'$'\r\n' \
    'active,s1,x,2023-01-22 14:09:39.388884+02:00'$'\r\n' \
    $'\r\n' \
    'inactive,s2,x,2023-01-22 12:00:00.123456789 UTC'$'\r\n' \
    'active,s2,x,2023-01-22 12:00:00'$'\r\n' \
    'bogus,s3,x,2023-01-22 12:00:00 UTC'$'\r\n' \
    'active,"s4'$'\r\n''still",x,2023-01-22 12:00:00 UTC'$'\r\n' \
    'active,s5,x,2023-01-21 23:00:00 UTC'$'\r\n' \
    'active,'$'\xff\xfe'',x,2023-01-21 23:00:00 UTC'$'\r\n' \
    'active,s6,x'$'\r\n' \
    'active,"s7",x,"2023-01-22 12:00:00 UTC"'$'\r\n' \
    'active,"s8"x,x,2023-01-22 12:00:00 UTC'$'\r\n' \
    'active,s9,x,2023-02-30 12:00:00 UTC'$'\r\n' \
    'active, s10 ,x, 2023-01-22 12:00:01 UTC '$'\r\n' \
    'active,s11,x,2023-01-22 12:00:00 utc'$'\r\n' \
    'active,s12,x,2023-01-22 12:00:00 +0530'$'\r\n' \
    'active,s13,x,2023-01-22 12:00:00-08'$'\r\n' \
    'Active,"s,14",x,2023-01-22 12:00:00 UTC'$'\r\n' \
    'active,s15,x,2023-01-22 12:00:00.1234567890 UTC' >"$E/polls.csv"
cat >"$E/hours.csv" <<'EOF'
store_id,day,start_time_local,end_time_local
h1,0,09:00,17:00
h1,1,22:00:00,00:00:00
h1,1,09:00,09:00
h2,7,09:00,17:00
h2,0,25:00,17:00
h3,0,00:00,00:00
,0,09:00,17:00
h4,0,09:00
"h5",6,"08:00:00","20:00:00"
h6,Mon,09:00,17:00
h6,3,9:00,17:00
EOF
cat >"$E/zones.csv" <<'EOF'
timezone_str,store_id
America/Denver,z1
,z2
Mars/Olympus_Mons,z3
Europe/Paris,z1
Bogus/Zone,z1
UTC,z4
Asia/Kolkata,z5,extra
America/New York,z6
EOF

start_broker edge --partitions 8
ingest load2 load --brokers "$ADDR" --polls - --hours "$E/hours.csv" \
    --zones "$E/zones.csv" --rejects "$TMP/rejects2.txt" <"$E/polls.csv"
check "edge load: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "edge load: no sanitizer report or crash" no_crash load2
check "edge load: stdin rows are named <stdin>" \
    grep -q '^<stdin>:8: ' "$TMP/rejects2.txt"
check "edge load: a multi-line record keeps its first line's number" \
    grep -q '^<stdin>:9: store_id' "$TMP/rejects2.txt"
check "edge load: the line after it is line 11" \
    bash -c "! grep -q '^<stdin>:1[01]: ' '$TMP/rejects2.txt'"
check "edge load: invalid UTF-8 store_id set aside" \
    grep -q '^<stdin>:12: store_id: not valid UTF-8' "$TMP/rejects2.txt"
# verify_topics.py reads '-' from its own stdin, as the ingestor did.
check "verify_topics.py: the edge cases" verify edge --polls - \
    --hours "$E/hours.csv" --zones "$E/zones.csv" \
    --rejects-file "$TMP/rejects2.txt" <"$E/polls.csv"
stop_broker

# ------------------------------------------------ 3. stream
printf '%s\n' '' 'store_id,timestamp_utc,status' \
    'c1,2023-01-22 12:00:00 UTC,active' 'c2,nope,active' '' \
    'c1,2023-01-22 13:00:00 UTC,INACTIVE' 'c4,2023-01-22 13:00:00 UTC' >"$E/stream.csv"
printf 'c3,2023-01-22 13:00:00 UTC,active' >>"$E/stream.csv"
cat >"$E/stream.ndjson" <<'EOF'
{"store_id":"j1","timestamp_utc":"2023-01-22 12:00:00 UTC","status":"active"}
{"store_id":"j2","timestamp_utc":"2023-01-22T12:00:00+01:00","status":"Inactive","poller":"p7"}
{"store_id":"j3","timestamp_utc":"2023-01-22 12:00:00 UTC","status":"paused"}
{"store_id":7,"timestamp_utc":"2023-01-22 12:00:00 UTC","status":"active"}
not json

["j4"]
{"store_id":"j5","timestamp_utc":"2023-01-22 12:00:00 UTC"}
{"store_id":" j6 ","timestamp_utc":"2023-01-22 12:00:00 UTC","status":"active"}
{"store_id":"j\u00e9","timestamp_utc":"2023-01-22 12:00:00 UTC","status":"active"}
{"store_id":"j\u0000","timestamp_utc":"2023-01-22 12:00:00 UTC","status":"active"}
{"store_id":"j8","store_id":"j9","timestamp_utc":"2023-01-22 12:00:00 UTC","status":"active"}
{"store_id":"j10","timestamp_utc":"2023-01-22 12:00:00 UTC","status":"active","x":{"y":[1,2]}}
EOF

start_broker stream --partitions 16
# Through a pipe, as a poller would feed it (not a file on stdin).
cat "$E/stream.csv" | timeout -k 5 "$RUN_S" "$ING" stream --brokers "$ADDR" \
    --source csv-poller --rejects "$TMP/rejects3.txt" \
    >"$TMP/stream1.out" 2>"$TMP/stream1.err"
RC=$?
check "stream csv: exit 0 (got $RC)" [ "$RC" -eq 0 ]
cat "$E/stream.ndjson" | timeout -k 5 "$RUN_S" "$ING" stream --brokers "$ADDR" \
    --source json-poller --rejects "$TMP/rejects4.txt" \
    >"$TMP/stream2.out" 2>"$TMP/stream2.err"
RC=$?
check "stream ndjson: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "stream: no sanitizer report or crash" no_crash stream2
check "verify_topics.py: both streams" verify stream \
    --stream "$E/stream.csv" --source csv-poller \
    --stream "$E/stream.ndjson" --source json-poller \
    --rejects-file "$TMP/rejects3.txt" --rejects-file "$TMP/rejects4.txt"
stop_broker

# A live stream: records arrive while the pipe is still open.
start_broker live --partitions 4
mkfifo "$TMP/fifo"
timeout -k 5 "$RUN_S" "$ING" stream --brokers "$ADDR" --source live \
    <"$TMP/fifo" >"$TMP/live.out" 2>"$TMP/live.err" &
LPID=$!
STACK_PIDS+=("$LPID")
exec 3<>"$TMP/fifo" # read-write: never blocks on open
printf '%s\n' 'store_id,timestamp_utc,status' \
    'l1,2023-01-22 12:00:00 UTC,active' 'l2,2023-01-22 12:00:00 UTC,inactive' >&3
deadline=$((SECONDS + WAIT_S))
while [ "$(kcount store-polls)" -lt 2 ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.2
done
check "live stream: records published while the stream is open" \
    [ "$(kcount store-polls)" -eq 2 ]
check "live stream: still running" kill -0 "$LPID"
exec 3>&-
wait "$LPID"
RC=$?
check "live stream: EOF ends it with 0 (got $RC)" [ "$RC" -eq 0 ]

# SIGTERM ends a stream gracefully: what was accepted is delivered.
timeout -k 5 "$RUN_S" "$ING" stream --brokers "$ADDR" --source live2 \
    <"$TMP/fifo" >"$TMP/live2.out" 2>"$TMP/live2.err" &
LPID=$!
STACK_PIDS+=("$LPID")
exec 3<>"$TMP/fifo" # read-write: never blocks on open
printf '%s\n' '{"store_id":"l3","timestamp_utc":"2023-01-22 12:00:00 UTC","status":"active"}' >&3
deadline=$((SECONDS + WAIT_S))
while [ "$(kcount store-polls)" -lt 3 ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.2
done
kill -TERM "$LPID"
wait "$LPID"
RC=$?
exec 3>&-
check "stream: SIGTERM ends it with 0 (got $RC)" [ "$RC" -eq 0 ]
check "stream: SIGTERM still prints the summary" \
    grep -q 'stream: interrupted' "$TMP/live2.err"
check "stream: the record before SIGTERM was delivered" \
    grep -q 'published: 1 polls' "$TMP/live2.err"

# ------------------------------------------------ 4. exit codes
printf 'store_id,timestamp_utc\ns1,2023-01-22 12:00:00 UTC\n' >"$E/nostatus.csv"
ingest nocol load --brokers "$ADDR" --polls "$E/nostatus.csv" --hours "$E/hours.csv"
check "missing column: exit 1 (got $RC)" [ "$RC" -eq 1 ]
check "missing column: the message names it" \
    grep -q "missing required column 'status'" "$TMP/nocol.err"
check "missing column: nothing was published first" \
    [ "$(kcount store-hours)" -eq 0 ]
timeout -k 5 "$RUN_S" "$ING" stream --brokers "$ADDR" <"$E/nostatus.csv" \
    >/dev/null 2>"$TMP/nocol2.err"
RC=$?
check "stream, missing column: exit 1 (got $RC), the message names it" \
    bash -c "[ $RC -eq 1 ] && grep -q \"missing required column 'status'\" '$TMP/nocol2.err'"
ingest badflag load --brokers "$ADDR" --polls "$P" --frobnicate
check "bad flag: exit 2 (got $RC)" [ "$RC" -eq 2 ]
check "bad flag: one line on stderr" [ "$(wc -l <"$TMP/badflag.err")" -eq 1 ]
ingest badnum load --brokers "$ADDR" --polls "$P" --max-lag 10k
check "bad number: exit 2 (got $RC)" [ "$RC" -eq 2 ]
ingest badx load --brokers "$ADDR" --polls "$P" -X no.such.property=1
check "unknown -X key: exit 2 (got $RC)" [ "$RC" -eq 2 ]
check "unknown -X key: the message names it" \
    grep -q 'no.such.property' "$TMP/badx.err"
ingest nobroker load --polls "$P"
check "no broker given: exit 2 (got $RC)" [ "$RC" -eq 2 ]
ingest otherpart load --brokers "$ADDR" --polls "$P" --max-lag 1000000 \
    -X partitioner=consistent
check "another partitioner is noticed (the reporter needs murmur2)" \
    grep -q 'partitioning: [1-9][0-9]* polls not on their murmur2' \
    "$TMP/otherpart.err"
STOREMON_BROKERS=$ADDR ingest envbroker load --zones "$E/zones.csv"
check "STOREMON_BROKERS is used: exit 0 (got $RC)" [ "$RC" -eq 0 ]
stop_broker

start=$SECONDS
ingest down load --brokers 127.0.0.1:1 -X message.timeout.ms=2000 \
    --polls "$E/stream.csv" --zones "$E/zones.csv"
took=$((SECONDS - start))
check "unreachable broker: exit 1 (got $RC)" [ "$RC" -eq 1 ]
check "unreachable broker: delivery failures reported" \
    grep -qE 'delivery failures: [1-9]' "$TMP/down.err"
check "unreachable broker: done in ${took}s (< 60)" [ "$took" -lt 60 ]

# ------------------------------------------------ 5. pacing
MAXLAG=400
start_broker pace --partitions 16
"$PY" "$HERE/slow_group.py" "$ADDR" storemon-reporter store-polls 20000 \
    "$TMP/pace.stop" >"$TMP/slow.out" 2>"$TMP/slow.err" &
SPID=$!
STACK_PIDS+=("$SPID")
deadline=$((SECONDS + WAIT_S))
until grep -q ready "$TMP/slow.out" || [ "$SECONDS" -ge "$deadline" ]; do
    sleep 0.1
done
ingest pace load --brokers "$ADDR" --polls "$P" --max-lag "$MAXLAG" \
    --lag-interval 100ms
touch "$TMP/pace.stop"
wait "$SPID"
SRC=$?
check "pacing: load exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "pacing: the load waited for the group" \
    grep -q 'pacing: .* waiting for group storemon-reporter' "$TMP/pace.err"
max=$(sed -n 's/^max_lag \([0-9]*\) consumed.*/\1/p' "$TMP/slow.out")
check "pacing: the slow member finished (rc $SRC) and read everything" \
    grep -q "consumed $want_polls\$" "$TMP/slow.out"
check "pacing: group lag never over --max-lag $MAXLAG (max ${max:-?})" \
    test "${max:-999999999}" -le "$MAXLAG"
stop_broker

finish
