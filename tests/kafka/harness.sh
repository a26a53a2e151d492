# harness.sh: what every shell test shares (sourced by tests/kafka/stack.sh
# and by the tests that run without it, not run).
#
#   $TMP            a fresh directory, removed at exit (KEEP_TMP=1 keeps it)
#   STACK_PIDS      processes killed (SIGKILL) at exit, whatever failed
#   ok / fail / skip WHAT         one result, counted and printed
#   check WHAT CMD...             ok or fail from CMD's status
#   finish          prints "N passed, N failed" (", N skipped" when some
#                   were) and exits non-zero when a check failed
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/storemon-test.XXXXXX") || exit 1
STACK_PIDS=()
passed=0
failed=0
skipped=0

stack_cleanup() {
  local p
  for p in "${STACK_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap stack_cleanup EXIT
trap 'echo "interrupted"; exit 1' INT TERM HUP

ok() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
skip() { skipped=$((skipped + 1)); echo "skip - $*"; }
check() {
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
finish() {
  if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
  [ "$failed" -eq 0 ]
  exit $?
}
