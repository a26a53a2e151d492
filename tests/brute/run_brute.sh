#!/usr/bin/env bash
# Brute-force cross-check of `storemon-reporter batch` against oracle.py, an
# independent per-second reference for SPEC.md.
#
#   run_brute.sh BIN_DIR [SEED|FIRST-LAST ...]
#
# Seeds: the arguments, else $BRUTE_SEEDS (same syntax, space-separated),
# else $BRUTE_COUNT seeds starting at ${BRUTE_START:-1000}, else a fixed
# list of 30.  KEEP_FAILED=1 keeps every failing set (input CSVs, as_of,
# both reports) in a directory named at the end ($BRUTE_KEEP_DIR, or a new
# one under /tmp).  Ends with 'N passed, N failed'; exit 1 on any failure.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 BIN_DIR [SEED|FIRST-LAST ...]" >&2
  exit 2
fi
BIN_DIR=$1
shift
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN="$BIN_DIR/storemon-reporter"
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

DEFAULT_SEEDS=(1-20 101 202 303 404 505 606 707 808 909 2024)

seed_specs=()
if [[ $# -gt 0 ]]; then
  seed_specs=("$@")
elif [[ -n ${BRUTE_SEEDS:-} ]]; then
  read -r -a seed_specs <<<"$BRUTE_SEEDS"
elif [[ -n ${BRUTE_COUNT:-} ]]; then
  start=${BRUTE_START:-1000}
  seed_specs=("$start-$((start + BRUTE_COUNT - 1))")
else
  seed_specs=("${DEFAULT_SEEDS[@]}")
fi
seeds=()
for spec in "${seed_specs[@]}"; do
  if [[ $spec =~ ^([0-9]+)-([0-9]+)$ ]]; then
    for ((i = BASH_REMATCH[1]; i <= BASH_REMATCH[2]; i++)); do seeds+=("$i"); done
  elif [[ $spec =~ ^[0-9]+$ ]]; then
    seeds+=("$spec")
  else
    echo "bad seed '$spec'" >&2
    exit 2
  fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/storemon-brute.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
KEEP_DIR=""
if [[ ${KEEP_FAILED:-0} == 1 ]]; then
  KEEP_DIR=${BRUTE_KEEP_DIR:-$(mktemp -d /tmp/storemon-brute-failed.XXXXXX)}
  mkdir -p "$KEEP_DIR"
fi

passed=0
failed=0
started=$SECONDS

keep() { # name dir
  if [[ -n $KEEP_DIR ]]; then
    rm -rf "${KEEP_DIR:?}/$1"
    cp -r "$2" "$KEEP_DIR/$1"
  fi
}

# run_set NAME DIR: DIR holds polls.csv hours.csv zones.csv as_of [about];
# leaves there the reporter's command and output and the oracle's.
run_set() {
  local name=$1 d=$2 as_of about label now
  as_of=$(head -n 1 "$d/as_of")
  about=$(cat "$d/about" 2>/dev/null || true)
  local -a asof_arg=()
  [[ -n $as_of ]] && asof_arg=(--as-of "$as_of")
  local -a cmd=("$BIN" batch --polls "$d/polls.csv" --hours "$d/hours.csv"
                --zones "$d/zones.csv" "${asof_arg[@]}" --out "$d/got.csv"
                --rejects "$d/rejects.txt")
  { # the same command, run from inside a kept directory
    printf '%q batch --polls polls.csv --hours hours.csv --zones zones.csv' "$BIN"
    [[ -n $as_of ]] && printf " --as-of '%s'" "$as_of"
    printf ' --out got.csv --rejects rejects.txt\n'
  } >"$d/command"

  if ! "$PY" "$HERE/oracle.py" report --polls "$d/polls.csv" \
      --hours "$d/hours.csv" --zones "$d/zones.csv" "${asof_arg[@]}" \
      --out "$d/oracle.csv" --open-out "$d/oracle_open.csv" \
      --now-out "$d/now" 2>"$d/oracle.err"; then
    echo "FAIL $name as_of=${as_of:-default}: oracle error: $(cat "$d/oracle.err")"
    failed=$((failed + 1)); keep "$name" "$d"; return
  fi
  now=$(head -n 1 "$d/now")
  if [[ -n $as_of ]]; then
    label="$name as_of=$as_of"
  else
    label="$name as_of=default (now $now)"
  fi
  local rc=0
  "${cmd[@]}" >"$d/reporter.log" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "FAIL $label: storemon-reporter exited $rc:"
    sed 's/^/  /' "$d/reporter.log" | head -n 20
    failed=$((failed + 1)); keep "$name" "$d"; return
  fi
  if "$PY" "$HERE/compare.py" --got "$d/got.csv" --want "$d/oracle.csv" \
      --open "$d/oracle_open.csv" --rejects "$d/rejects.txt" \
      --label "$label" >"$d/diff.txt"; then
    echo "ok   $label ($about)"
    passed=$((passed + 1))
  else
    echo "FAIL $label ($about)"
    cat "$d/diff.txt"
    failed=$((failed + 1)); keep "$name" "$d"
  fi
}

echo "storemon brute-force cross-check: $BIN"

# 1. the oracle checks itself (zoneinfo fold=0 on real gaps and overlaps,
#    SPEC's worked example, ties, duplicates, polls at/after now)
if "$PY" "$HERE/oracle.py" selftest; then
  passed=$((passed + 1))
else
  echo "FAIL oracle selftest"
  failed=$((failed + 1))
fi

if [[ ! -x $BIN ]]; then
  echo "FAIL: $BIN not found (build the storemon-reporter target)"
  failed=$((failed + 1))
  echo "$passed passed, $failed failed"
  exit 1
fi

# 2. SPEC's worked example through the reporter, against SPEC's numbers
d="$TMP/spec-example"
mkdir -p "$d"
printf 'store_id,status,timestamp_utc\ns1,active,2023-01-23 10:14:00 UTC\ns1,inactive,2023-01-23 11:15:00 UTC\n' >"$d/polls.csv"
printf 'store_id,dayOfWeek,start_time_local,end_time_local\ns1,0,09:00:00,12:00:00\n' >"$d/hours.csv"
printf 'store_id,timezone_str\ns1,UTC\n' >"$d/zones.csv"
echo "2023-01-23 12:00:00" >"$d/as_of"
echo "SPEC worked example" >"$d/about"
run_set spec-example "$d"
want_line="s1,0.00,1.74,1.74,60.00,1.26,1.26"
if [[ -f $d/got.csv ]] && ! grep -qx "$want_line" "$d/got.csv"; then
  echo "FAIL spec-example: want row '$want_line', got:"
  sed 's/^/  /' "$d/got.csv"
  failed=$((failed + 1)); keep spec-example "$d"
fi

# 3. random sets
for seed in "${seeds[@]}"; do
  d="$TMP/seed-$seed"
  mkdir -p "$d"
  "$PY" "$HERE/gen_random.py" "$seed" "$d"
  run_set "seed-$seed" "$d"
  rm -rf "$d"
done

echo "brute: ${#seeds[@]} random sets in $((SECONDS - started)) s"
if [[ -n $KEEP_DIR && $failed -gt 0 ]]; then
  echo "failing sets kept in $KEEP_DIR"
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
