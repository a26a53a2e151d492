#!/usr/bin/env bash
# Runs one golden case (tests/cases/<name>/) against the batch reporter.
#
#   run_case.sh BIN_DIR CASE_DIR
#
# A case directory holds polls.csv, hours.csv, tz.csv, and optionally:
#   as_of                     one line 'YYYY-MM-DD HH:MM:SS', given as --as-of
#   expected.csv              the report, worked out by hand (see NOTES)
#   expected_rejects          one 'FILE:LINE' per bad row (FILE is polls.csv,
#                             hours.csv or tz.csv); absent = no bad rows
#   expected_exit             the exit code (default 0)
#   expected_stderr_contains  a substring stderr must contain (fatal cases)
#   NOTES                     the rule under test and the arithmetic
#
# The command runs inside CASE_DIR with the input paths given as plain
# file names, so every reject line starts with 'polls.csv:', 'hours.csv:'
# or 'tz.csv:'.  Exits 0 when the case passes, 1 when it fails, 2 on a
# usage error.
set -euo pipefail

if [ "$#" -ne 2 ]; then
        echo "usage: run_case.sh BIN_DIR CASE_DIR" >&2
        exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
compare="$here/../tools/compare_reports.py"
python=/usr/bin/python3
bin_dir="$(cd "$1" 2>/dev/null && pwd)" || {
        echo "FAIL: no such directory: $1" >&2
        exit 1
}
case_dir="$(cd "$2" 2>/dev/null && pwd)" || {
        echo "FAIL: no such directory: $2" >&2
        exit 1
}
name="$(basename "$case_dir")"
bin="$bin_dir/storemon-reporter"

fail() {
        echo "FAIL [$name]: $*" >&2
        exit 1
}

[ -x "$bin" ] || fail "$bin is missing or not executable"
for f in polls.csv hours.csv tz.csv; do
        [ -f "$case_dir/$f" ] || fail "case has no $f"
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/storemon-case.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

args=(batch --polls polls.csv --hours hours.csv --zones tz.csv
      --out "$tmp/report.csv" --rejects "$tmp/rejects.txt")
if [ -f "$case_dir/as_of" ]; then
        as_of="$(head -n 1 "$case_dir/as_of" | tr -d '\r')"
        args+=(--as-of "$as_of")
fi

want_exit=0
if [ -f "$case_dir/expected_exit" ]; then
        want_exit="$(tr -d ' \r\n' <"$case_dir/expected_exit")"
fi

set +e
(cd "$case_dir" && "$bin" "${args[@]}") >"$tmp/stdout" 2>"$tmp/stderr"
got_exit=$?
set -e

show_stderr() {
        if [ -s "$tmp/stderr" ]; then
                echo "--- stderr of storemon-reporter (last 40 lines):" >&2
                tail -n 40 "$tmp/stderr" >&2
        fi
}

echo "case $name: storemon-reporter ${args[*]} (in $case_dir) -> exit $got_exit"
if [ "$got_exit" != "$want_exit" ]; then
        show_stderr
        fail "exit code $got_exit, expected $want_exit"
fi

if [ "$want_exit" != 0 ]; then
        if [ -f "$case_dir/expected_stderr_contains" ]; then
                needle="$(head -n 1 "$case_dir/expected_stderr_contains" |
                          tr -d '\r')"
                if ! grep -qF -- "$needle" "$tmp/stderr"; then
                        show_stderr
                        fail "stderr does not mention '$needle'"
                fi
        fi
        echo "PASS [$name] (exit $got_exit as expected)"
        exit 0
fi

[ -f "$case_dir/expected.csv" ] || fail "case has no expected.csv"
[ -f "$tmp/report.csv" ] || { show_stderr; fail "no report was written"; }

status=0
if ! "$python" "$compare" "$case_dir/expected.csv" "$tmp/report.csv" \
        >"$tmp/compare.out" 2>&1; then
        cat "$tmp/compare.out" >&2
        echo "--- expected.csv:" >&2
        cat "$case_dir/expected.csv" >&2
        echo "--- actual report:" >&2
        cat "$tmp/report.csv" >&2
        status=1
else
        cat "$tmp/compare.out"
fi

# Rejects: the set of 'FILE:LINE' must equal expected_rejects exactly.
: >"$tmp/rejects.got"
bad_lines=0
if [ -f "$tmp/rejects.txt" ]; then
        while IFS= read -r line || [ -n "$line" ]; do
                line="${line%$'\r'}"
                [ -n "$line" ] || continue
                if [[ "$line" =~ ^(polls\.csv|hours\.csv|tz\.csv):([0-9]+):\ ?(.*)$ ]]; then
                        echo "${BASH_REMATCH[1]}:${BASH_REMATCH[2]}" \
                                >>"$tmp/rejects.got"
                        if [ -z "${BASH_REMATCH[3]}" ]; then
                                echo "reject without a reason: $line" >&2
                                bad_lines=1
                        fi
                else
                        echo "reject line not in 'FILE:LINE: reason' form: $line" >&2
                        bad_lines=1
                fi
        done <"$tmp/rejects.txt"
fi
sort -u "$tmp/rejects.got" -o "$tmp/rejects.got"
: >"$tmp/rejects.want"
if [ -f "$case_dir/expected_rejects" ]; then
        grep -v '^[[:space:]]*$' "$case_dir/expected_rejects" | tr -d '\r ' |
                sort -u >"$tmp/rejects.want" || true
fi
if ! diff -u --label expected_rejects --label actual_rejects \
        "$tmp/rejects.want" "$tmp/rejects.got" >"$tmp/rejects.diff"; then
        echo "REJECTED ROWS DIFFER (- expected, + got):" >&2
        tail -n +3 "$tmp/rejects.diff" >&2
        if [ -f "$tmp/rejects.txt" ]; then
                echo "--- rejects written by storemon-reporter:" >&2
                cat "$tmp/rejects.txt" >&2
        fi
        status=1
elif [ "$bad_lines" != 0 ]; then
        status=1
else
        echo "rejects match: $(wc -l <"$tmp/rejects.got") row(s)"
fi

if [ "$status" != 0 ]; then
        show_stderr
        fail "see above"
fi
echo "PASS [$name]"
