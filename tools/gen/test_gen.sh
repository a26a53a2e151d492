#!/usr/bin/env bash
# Tests of storemon-gen: determinism, the shape of every file it writes,
# and the realism properties the other tests rely on (duplicates present,
# rows not in time order, every store of the input set polled, bad rows of
# every kind when asked for).
#
# usage: test_gen.sh path/to/storemon-gen
# Prints "ok - ..." / "not ok - ..." per check, then "N passed, M failed";
# exits 1 when a check failed.
set -u

GEN=${1:?usage: test_gen.sh path/to/storemon-gen}
T=$(mktemp -d "${TMPDIR:-/tmp}/test_gen.XXXXXX")
trap 'rm -rf "$T"' EXIT
export LC_ALL=C

pass=0
fail=0
check() { # check NAME COMMAND...
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then
        echo "ok - $name"
        pass=$((pass + 1))
    else
        echo "not ok - $name"
        fail=$((fail + 1))
    fi
}

POLL_HEADER='store_id,status,timestamp_utc'
TS_REAL='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})? UTC'
TS_ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z'
INT_ID='[0-9]{1,19}'
UUID_ID='[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'

# rows of FILE (without the header) not matching ERE
nonmatching() { tail -n +2 "$1" | grep -cvE "^$2\$"; }
all_match() { [ "$(nonmatching "$1" "$2")" -eq 0 ]; }
some_nonmatching() { [ "$(nonmatching "$1" "$2")" -gt 0 ]; }
header_is() { [ "$(head -n 1 "$1")" = "$2" ]; }
rows() { echo $(($(wc -l <"$1") - 1)); }
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
has_dups() { [ "$(tail -n +2 "$1" | sort | uniq -d | wc -l)" -gt 0 ]; }
time_sorted() { tail -n +2 "$1" | cut -d, -f3 | sort -c; }
not_time_sorted() { ! time_sorted "$1"; }
# every store of the hours/zones files has a poll
all_polled() {
    local polls=$1
    shift
    for f in "$@"; do tail -n +2 "$f" | tr -d '\r' | sed 's/^\xef\xbb\xbf//' |
        cut -d, -f1; done | grep -v '^$' | sort -u >"$T/want"
    tail -n +2 "$polls" | cut -d, -f1 | sort -u >"$T/have"
    [ -s "$T/want" ] && [ -z "$(comm -23 "$T/want" "$T/have")" ]
}
same() { cmp -s "$1" "$2"; }
differ() { ! cmp -s "$1" "$2"; }
usage_error() { # exit status 2 and exactly one line on stderr
    "$GEN" "$@" 2>"$T/err" >/dev/null
    [ $? -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ]
}

# --- synthetic mode --------------------------------------------------------
"$GEN" --stores 300 --seed 11 --out-dir "$T/s1" --quiet
"$GEN" --stores 300 --seed 11 --out-dir "$T/s2" --quiet
"$GEN" --stores 300 --seed 12 --out-dir "$T/s3" --quiet
for f in polls.csv menu_hours.csv timezones.csv; do
    check "synthetic: writes $f" test -s "$T/s1/$f"
    check "synthetic: same seed, same $f" same "$T/s1/$f" "$T/s2/$f"
    check "synthetic: other seed, other $f" differ "$T/s1/$f" "$T/s3/$f"
done
check "synthetic: polls header" header_is "$T/s1/polls.csv" "$POLL_HEADER"
check "synthetic: hours header (int ids: day)" header_is \
    "$T/s1/menu_hours.csv" 'store_id,day,start_time_local,end_time_local'
check "synthetic: zones header" header_is "$T/s1/timezones.csv" \
    'store_id,timezone_str'
check "synthetic: poll rows match the real form" all_match \
    "$T/s1/polls.csv" "$INT_ID,(active|inactive),$TS_REAL"
check "synthetic: hours rows well formed" all_match "$T/s1/menu_hours.csv" \
    "$INT_ID,[0-6],[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?,[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?"
check "synthetic: zone rows well formed" all_match "$T/s1/timezones.csv" \
    "$INT_ID,((America|Pacific)/[A-Za-z_/]+)?"
# 300 stores x 170 slots, a few % missed, about 1% redelivered
check "synthetic: poll row count in range" in_range "$(rows "$T/s1/polls.csv")" \
    45000 52000
check "synthetic: 300 stores polled" \
    test "$(tail -n +2 "$T/s1/polls.csv" | cut -d, -f1 | sort -u | wc -l)" -eq 300
check "synthetic: duplicates present" has_dups "$T/s1/polls.csv"
check "synthetic: not in time order" not_time_sorted "$T/s1/polls.csv"
check "synthetic: some inactive polls" grep -q ',inactive,' "$T/s1/polls.csv"
check "synthetic: mostly active" test \
    "$(grep -c ',active,' "$T/s1/polls.csv")" -gt \
    "$(($(rows "$T/s1/polls.csv") * 85 / 100))"
check "synthetic: overnight hours rows" awk -F, \
    'NR > 1 && $4 < $3 && $4 != "00:00:00" { f = 1 } END { exit !f }' \
    "$T/s1/menu_hours.csv"
check "synthetic: full-day hours rows" grep -q ',00:00:00,00:00:00$' \
    "$T/s1/menu_hours.csv"
check "synthetic: split shifts (two rows a day)" test "$(tail -n +2 \
    "$T/s1/menu_hours.csv" | cut -d, -f1,2 | sort | uniq -d | wc -l)" -gt 0
check "synthetic: some stores without hours" test "$(tail -n +2 \
    "$T/s1/menu_hours.csv" | cut -d, -f1 | sort -u | wc -l)" -lt 300
check "synthetic: several zones" test "$(tail -n +2 "$T/s1/timezones.csv" |
    cut -d, -f2 | sort -u | wc -l)" -ge 5

"$GEN" --stores 200 --id-style uuid --format iso --out-dir "$T/u" --quiet
check "uuid: hours header (dayOfWeek)" header_is "$T/u/menu_hours.csv" \
    'store_id,dayOfWeek,start_time_local,end_time_local'
check "uuid + iso: poll rows" all_match "$T/u/polls.csv" \
    "$UUID_ID,(active|inactive),$TS_ISO"

# --- real store set (inputs with a BOM, CRLF and stores in one file only) --
mkdir -p "$T/in"
{
    printf '\xef\xbb\xbfstore_id,day,start_time_local,end_time_local\r\n'
    tail -n +2 "$T/s1/menu_hours.csv" | sed 's/$/\r/'
    printf '9000000000000000001,0,09:00:00,17:00:00\r\n'
} >"$T/in/hours.csv"
{
    echo 'timezone_str,store_id'
    tail -n +2 "$T/s1/timezones.csv" | awk -F, '{ print $2 "," $1 }'
    echo 'America/Denver,9000000000000000002'
    echo 'America/Denver'
} >"$T/in/tz.csv"
"$GEN" --hours "$T/in/hours.csv" --zones "$T/in/tz.csv" --seed 5 \
    --out-dir "$T/r1" --quiet
"$GEN" --hours "$T/in/hours.csv" --zones "$T/in/tz.csv" --seed 5 \
    --out-dir "$T/r2" --quiet --copy-inputs
"$GEN" --hours "$T/in/hours.csv" --zones "$T/in/tz.csv" --seed 6 \
    --out-dir "$T/r3" --quiet
check "real: only polls.csv" test "$(ls "$T/r1")" = polls.csv
check "real: same seed, same polls" same "$T/r1/polls.csv" "$T/r2/polls.csv"
check "real: other seed, other polls" differ "$T/r1/polls.csv" \
    "$T/r3/polls.csv"
check "real: header" header_is "$T/r1/polls.csv" "$POLL_HEADER"
check "real: every input store polled" all_polled "$T/r1/polls.csv" \
    "$T/in/hours.csv" "$T/s1/timezones.csv"
check "real: store only in hours polled" grep -q '^9000000000000000001,' \
    "$T/r1/polls.csv"
check "real: store only in zones polled" grep -q '^9000000000000000002,' \
    "$T/r1/polls.csv"
check "real: 302 stores" test "$(tail -n +2 "$T/r1/polls.csv" | cut -d, -f1 |
    sort -u | wc -l)" -eq 302
check "real: timestamps in the real form" all_match "$T/r1/polls.csv" \
    "$INT_ID,(active|inactive),$TS_REAL"
check "real: --copy-inputs copies hours" same "$T/in/hours.csv" \
    "$T/r2/hours.csv"
check "real: --copy-inputs copies zones" same "$T/in/tz.csv" \
    "$T/r2/timezones.csv"

# --- bad rows ----------------------------------------------------------------
"$GEN" --stores 300 --bad-rows 0.05 --out-dir "$T/b" --quiet
P=$T/b/polls.csv
check "bad: poll file has bad rows" some_nonmatching "$P" \
    "$INT_ID,(active|inactive),$TS_REAL"
check "bad: hours file has bad rows" some_nonmatching "$T/b/menu_hours.csv" \
    "$INT_ID,[0-6],[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?,[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?"
check "bad: zones file has bad rows" some_nonmatching "$T/b/timezones.csv" \
    "$INT_ID,((America|Pacific)/[A-Za-z_/]+)?"
check "bad polls: missing field" grep -qE '^,|,,|,$' "$P"
check "bad polls: unknown status" grep -qE '^[0-9]+,(unknown|up|actve|1),' "$P"
check "bad polls: quoted comma" grep -q ',"active,inactive",' "$P"
check "bad polls: unparsable timestamp" grep -qE ',(n/a|[0-9]{4}/[0-9]{2}/)' "$P"
check "bad polls: timestamp without zone" grep -qE \
    ',(active|inactive),[0-9-]{10} [0-9:]{8}(\.[0-9]+)?$' "$P"
check "bad polls: wrong column count" awk -F, \
    'NR > 1 && NF == 2 { a = 1 } NR > 1 && NF == 1 { b = 1 } END { exit !(a && b) }' "$P"
check "bad hours: day outside 0..6" grep -qE '^[0-9]+,(7|8|-1|Mon),' \
    "$T/b/menu_hours.csv"
check "bad hours: bad time" grep -qE ',(9am|24:30:00|12:60:00|25:00|11\.00|-1:00:00|7:5)(,|$)' \
    "$T/b/menu_hours.csv"
check "bad zones: invalid zone name" grep -qE \
    ',(America/Atlantis|Mars/Olympus_Mons|New York|America/New York|Central Time|\+05:00|\.\./\.\./etc/passwd|America//Chicago|UTC\+3)$' \
    "$T/b/timezones.csv"
"$GEN" --stores 300 --out-dir "$T/b0" --quiet
# (a stricter form: some bad timestamps have hour 24+ or day 32)
TS_STRICT='[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})? UTC'
grep -E "^$INT_ID,(active|inactive),$TS_STRICT\$" "$P" >"$T/b.good"
tail -n +2 "$T/b0/polls.csv" >"$T/b0.good"
check "bad: the good rows are those of a run without --bad-rows" same \
    "$T/b.good" "$T/b0.good"

# --- options -----------------------------------------------------------------
"$GEN" --stores 20 --interval 90s --days 1 --order time --out-dir "$T/o" \
    --quiet
# 20 stores x (960 + 80) slots
check "--interval 90s: row count" in_range "$(rows "$T/o/polls.csv")" \
    19000 21200
check "--order time: time-sorted" time_sorted "$T/o/polls.csv"
"$GEN" --stores 10 --polls-per-store 50 --miss-rate 0 --dup-rate 0 \
    --out-dir "$T/p" --quiet
check "--polls-per-store 50, no misses or dups: 500 rows" \
    test "$(rows "$T/p/polls.csv")" -eq 500
"$GEN" --stores 5 --end '2024-03-10 12:00:00' --days 1 --interval 2h \
    --out-dir "$T/e" --quiet
check "--end: last poll before it" test "$(tail -n +2 "$T/e/polls.csv" |
    cut -d, -f3 | sort | tail -n 1 | cut -c1-13)" '<' '2024-03-10 12'
check "usage: --interval 5x" usage_error --stores 5 --interval 5x --out-dir "$T/x"
check "usage: --stores 12abc" usage_error --stores 12abc --out-dir "$T/x"
check "usage: --seed -1" usage_error --stores 5 --seed -1 --out-dir "$T/x"
check "usage: no --out-dir" usage_error --stores 5
check "usage: both modes" usage_error --stores 5 --hours "$T/in/hours.csv" \
    --out-dir "$T/x"
check "usage: bad --end" usage_error --stores 5 --end yesterday --out-dir "$T/x"
check "--help" "$GEN" --help

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
