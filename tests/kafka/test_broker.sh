#!/usr/bin/env bash
# test_broker.sh BIN_DIR: storemon-broker end to end, with kcat as client.
#
# Starts the embedded broker with its bootstrap file in a temporary
# directory, checks every topic and its partition count with kcat -L,
# produces keyed messages and consumes them back, stops it with SIGTERM
# (exit 0, process gone, files removed).  Then: usage errors exit 2,
# a three-broker cluster, a stale bootstrap file, SIGINT (once and twice)
# and the refusal to start where the loopback interface is down (a fresh
# network namespace, when unshare(1) can make one).
#
# Every wait is bounded (WAIT_S, KCAT_S) and a trap kills any broker still
# running, whatever fails.  The last line is "N passed, N failed".

BIN=${1:?usage: test_broker.sh BIN_DIR}
BROKER=$BIN/storemon-broker
WAIT_S=15 # seconds to wait for a bootstrap file or an exit
KCAT_S=20 # seconds any one kcat call may take
ADDR_RE='^127\.0\.0\.1:[0-9]+(,127\.0\.0\.1:[0-9]+)*$'

source "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

# start_broker NAME ARGS...: the broker in the background, stdout and
# stderr in $TMP/NAME.out and $TMP/NAME.err; sets BPID.
start_broker() {
    local name=$1
    shift
    "$BROKER" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    BPID=$!
    STACK_PIDS+=("$BPID")
}

# wait_addr FILE [STALE]: until FILE holds a whole bootstrap address other
# than STALE (at most WAIT_S, and only while the broker lives); sets ADDR.
wait_addr() {
    local deadline=$((SECONDS + WAIT_S))
    ADDR=
    while :; do
        if [ -e "$1" ]; then
            ADDR=$(cat "$1" 2>/dev/null)
            [[ $ADDR =~ $ADDR_RE ]] && [ "$ADDR" != "${2:-}" ] && return 0
        fi
        [ "$SECONDS" -ge "$deadline" ] && return 1
        kill -0 "$BPID" 2>/dev/null || return 1
        sleep 0.05
    done
}

# wait_exit PID: until PID has exited (at most WAIT_S); sets RC to its
# exit status, or "timeout".
wait_exit() {
    local deadline=$((SECONDS + WAIT_S))
    while kill -0 "$1" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            RC=timeout
            return 1
        fi
        sleep 0.05
    done
    wait "$1"
    RC=$?
    return 0
}

gone() {
    ! kill -0 "$1" 2>/dev/null
}
absent() {
    [ ! -e "$1" ]
}
# no_abort NAME: stderr shows no assertion, sanitizer report or crash.
no_abort() {
    ! grep -qE 'Assertion|AddressSanitizer|LeakSanitizer|runtime error|Aborted' \
        "$TMP/$1.err"
}
# has_topic METADATA TOPIC N: kcat -L output lists TOPIC with N partitions.
has_topic() {
    grep -qF "topic \"$2\" with $3 partitions:" "$1"
}

if [ ! -x "$BROKER" ]; then
    echo "FAIL - $BROKER not built"
    echo "0 passed, 1 failed"
    exit 1
fi
if ! command -v kcat >/dev/null; then
    echo "FAIL - kcat not found (Debian package kcat)"
    echo "0 passed, 1 failed"
    exit 1
fi

# --- 1. the acceptance command line, topics, produce/consume, SIGTERM ----
BS=$TMP/bootstrap
start_broker main --partitions 16 --bootstrap-file "$BS" \
    --pid-file "$TMP/broker.pid"
if wait_addr "$BS"; then
    ok "bootstrap file holds an address: $ADDR"
    check "stdout is the same address, one line" \
        test "$(cat "$TMP/main.out")" = "$ADDR"
    check "pid file holds the broker's pid" \
        test "$(cat "$TMP/broker.pid" 2>/dev/null)" = "$BPID"

    timeout "$KCAT_S" kcat -L -m 10 -b "$ADDR" >"$TMP/meta" 2>"$TMP/meta.err"
    check "kcat -L works" test -s "$TMP/meta"
    for t in store-polls store-hours store-timezones report-requests \
        report-results; do
        check "$t has 16 partitions" has_topic "$TMP/meta" "$t" 16
    done
    for t in report-ready ingest-rejects reporter-progress; do
        check "$t has 4 partitions" has_topic "$TMP/meta" "$t" 4
    done

    printf '%s\n' s1:a s2:b s1:c s3:d s2:e |
        timeout "$KCAT_S" kcat -P -b "$ADDR" -t store-polls -K: \
            -X partitioner=murmur2_random 2>"$TMP/produce.err"
    check "kcat produces 5 keyed messages" test $? -eq 0
    timeout "$KCAT_S" kcat -C -b "$ADDR" -t store-polls -o beginning -e -q \
        -f '%k %s %p\n' >"$TMP/consumed" 2>"$TMP/consume.err"
    check "kcat consumes them back" test "$(cut -d' ' -f1,2 "$TMP/consumed" |
        sort | tr '\n' ,)" = "s1 a,s1 c,s2 b,s2 e,s3 d,"
    check "one key keeps one partition and its order" \
        test "$(awk '$1 == "s1" { printf "%s%s,", $2, $3 }' \
            "$TMP/consumed")" = "$(awk '$1 == "s1" { p = $3 } END {
                printf "a%s,c%s,", p, p }' "$TMP/consumed")"
else
    fail "bootstrap file within ${WAIT_S}s (got '$ADDR')"
    cat "$TMP/main.err"
fi

kill -TERM "$BPID" 2>/dev/null
wait_exit "$BPID"
check "SIGTERM: exit 0 (got $RC)" test "$RC" = 0
check "SIGTERM: process gone" gone "$BPID"
check "SIGTERM: bootstrap file removed" absent "$BS"
check "SIGTERM: pid file removed" absent "$TMP/broker.pid"
check "SIGTERM: no assertion or sanitizer report" no_abort main

# --- 2. usage errors: exit 2, one line on stderr, nothing started -------
for args in "--partitions 0" "--partitions abc" "--partitions 16x" \
    "--brokers 2 --replication 3" "--no-such-option"; do
    # shellcheck disable=SC2086 # split on purpose
    timeout -s KILL 5 "$BROKER" $args --bootstrap-file "$TMP/usage" \
        >/dev/null 2>"$TMP/usage.err"
    rc=$?
    check "$args: exit 2 (got $rc)" test "$rc" -eq 2
    check "$args: one line on stderr" \
        test "$(wc -l <"$TMP/usage.err")" -eq 1
    check "$args: no bootstrap file" absent "$TMP/usage"
done

# --- 3. three brokers, other partition counts, a stale file, SIGINT -----
BS3=$TMP/bootstrap3
echo "127.0.0.1:1" >"$BS3" # a stale address from a crashed run
start_broker three --brokers 3 --partitions 4 --aux-partitions 2 \
    --results-partitions 8 --bootstrap-file "$BS3"
if wait_addr "$BS3" 127.0.0.1:1; then
    ok "3 brokers: the stale file is replaced by $ADDR"
    check "3 brokers: three addresses" \
        test "$(tr ',' '\n' <"$BS3" | grep -c .)" -eq 3
    timeout "$KCAT_S" kcat -L -m 10 -b "$ADDR" >"$TMP/meta3" 2>/dev/null
    check "3 brokers: metadata lists them" grep -q '^ 3 brokers:' "$TMP/meta3"
    check "3 brokers: store-polls has 4 partitions" \
        has_topic "$TMP/meta3" store-polls 4
    check "3 brokers: report-results has 8 partitions" \
        has_topic "$TMP/meta3" report-results 8
    check "3 brokers: ingest-rejects has 2 partitions" \
        has_topic "$TMP/meta3" ingest-rejects 2
else
    fail "3 brokers: bootstrap file within ${WAIT_S}s (got '$ADDR')"
    cat "$TMP/three.err"
fi
kill -INT "$BPID" 2>/dev/null
wait_exit "$BPID"
check "SIGINT: exit 0 (got $RC)" test "$RC" = 0
check "SIGINT: bootstrap file removed" absent "$BS3"
check "SIGINT: no assertion or sanitizer report" no_abort three

# --- 4. a second SIGINT exits at once (0 if the first one won) ----------
BS4=$TMP/bootstrap4
start_broker twice --bootstrap-file "$BS4"
if wait_addr "$BS4"; then
    kill -INT "$BPID"
    kill -INT "$BPID" 2>/dev/null
    wait_exit "$BPID"
    check "double SIGINT: exit 130 or 0 (got $RC)" \
        test "$RC" = 130 -o "$RC" = 0
    check "double SIGINT: bootstrap file removed" absent "$BS4"
else
    fail "double SIGINT: broker did not start"
fi

# --- 5. no usable loopback: refuse with exit 1 instead of aborting -----
if unshare -n true 2>/dev/null; then
    timeout -s KILL 5 unshare -n "$BROKER" --bootstrap-file "$TMP/ns" \
        >/dev/null 2>"$TMP/ns.err"
    rc=$?
    check "loopback down: exit 1 (got $rc)" test "$rc" -eq 1
    check "loopback down: says why" grep -q 'refusing to start' "$TMP/ns.err"
    check "loopback down: no bootstrap file" absent "$TMP/ns"
else
    skip "loopback down: unshare -n not permitted here"
fi

finish
