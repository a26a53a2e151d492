#!/usr/bin/env bash
# ThreadSanitizer run of the gateway (and of every service the tests
# start): builds an SM_TSAN tree, runs the HTTP tests and the fault tests
# that start the gateway with TSAN_OPTIONS set, sorts the reports into
# "our code" and "third-party libraries", and prints a summary.
#
# Exit status: 0 no TSan report in our code and every test passed; 1 a
# TSan report in our code (api-gateway/, common/, any file of this tree),
# or a TSan runtime error (a crash, "FATAL: ThreadSanitizer"), or the
# canary race below was not detected; 2 build or usage error; 3 no report
# in our code but a test (or the soak) failed.
#
# How it is made trustworthy (see also cmake/tsan_c11threads.c):
# - librdkafka is built from the Debian source of the installed version
#   with -fsanitize=thread (about 20 s, cached in $TSAN_BUILD/rdkafka-tsan)
#   and the TSan binaries find it through their RUNPATH; Python clients
#   and kcat keep the system library.  The system library is not
#   instrumented: its reference counts are atomics TSan cannot see, so it
#   yields false races (a fetch buffer freed by a broker thread "racing"
#   with our read of a message payload, an rwlock destroyed "racing" with
#   its last reader).  TSAN_RDKAFKA=system uses it anyway, for comparison.
# - every executable of an SM_TSAN build carries a C11-threads shim:
#   without it any process that starts librdkafka crashes (SIGSEGV in the
#   TSan allocator, thread "rdk:main"), whether built with gcc or clang,
#   with ASLR or without.
# - a canary (a known race between two C11 threads) must be reported
#   through the same TSAN_OPTIONS and log files before the run counts.
# - ASLR: the TSan runtimes here (gcc 12, clang 14) do not support
#   vm.mmap_rnd_bits above 28 ("FATAL: ThreadSanitizer: unexpected memory
#   mapping").  When the kernel's value is higher, each test runs under
#   `setarch -R` (the personality is inherited by every process the test
#   starts; nothing in tests/ changes).  TSAN_NO_ASLR=1 forces it, 0
#   never.
#
# usage: bench/tsan.sh
#   TSAN_BUILD   build directory (default build-tsan; relative to the tree)
#   TSAN_TESTS   test scripts, relative to tests/ (default: every
#                http/test_*.sh, faults/test_broker_down.sh and
#                faults/test_state_dir.sh); TSAN_ALL=1: the HTTP tests
#                and every tests/faults script that starts the gateway
#                (the kill tests take minutes each under TSan)
#   TSAN_SOAK    seconds of bench/soak.sh on the TSan binaries after the
#                tests (wrk at saturation on get_report status, -c32, and
#                the CSV download, -c4, at once; default 20, 0 = none)
#   TSAN_RDKAFKA build (default) or system
#   TSAN_TIMEOUT seconds per test (default 900)
#   TSAN_KEEP=1  keep the tests' temporary directories
#   CC           compiler (default cc; clang works too)
#   TSAN_OPTIONS appended to ours (later flags win)
# Output: $TSAN_BUILD/tsan-run/{summary.txt,reports/,tests/}.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${TSAN_BUILD:-build-tsan}
case $build in /*) ;; *) build=$top/$build ;; esac
cc=${CC:-cc}
rdk_mode=${TSAN_RDKAFKA:-build}
timeout_s=${TSAN_TIMEOUT:-900}
work=$build/tsan-run
supp=$top/bench/tsan.supp

case $rdk_mode in build | system) ;; *)
  echo "TSAN_RDKAFKA must be build or system" >&2
  exit 2
  ;;
esac

if [ -n "${TSAN_TESTS:-}" ]; then
  read -r -a tests <<<"$TSAN_TESTS"
else
  tests=()
  for t in "$top"/tests/http/test_*.sh; do tests+=("http/$(basename "$t")"); done
  if [ "${TSAN_ALL:-0}" = 1 ]; then
    # Every fault test that starts the gateway, or runs one that does.
    for t in "$top"/tests/faults/test_*.sh; do
      if grep -qE 'start_gateway|storemon-gateway|test_kill_services' "$t"; then
        tests+=("faults/$(basename "$t")")
      fi
    done
  else
    tests+=(faults/test_broker_down.sh faults/test_state_dir.sh)
  fi
fi

"$top/deploy/install-deps.sh"
mkdir -p "$build"
rm -rf "$work"
mkdir -p "$work/reports" "$work/tests" "$work/tmp" "$work/bin"

# ---- librdkafka with -fsanitize=thread --------------------------------
# rdk_source DIR VERSION: the Debian source package of librdkafka VERSION
# into DIR, through apt with a temporary list of deb-src entries made from
# the Debian archive entries this machine already uses.
rdk_source() {
  local dir=$1 ver=$2 apt=$1/apt f
  mkdir -p "$apt/parts" "$apt/lists/partial"
  : >"$apt/sources.list"
  if [ -f /etc/apt/sources.list ]; then
    grep -E '^deb[[:space:]].*/debian(-security)?/?[[:space:]]' \
      /etc/apt/sources.list | sed 's/^deb/deb-src/' >>"$apt/sources.list" || true
  fi
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v RS= -v ORS='\n\n' '/debian-archive-keyring/ && /Types:.*deb/ {
      sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" \
      >"$apt/parts/$(basename "$f")"
  done
  local opts=(-o "Dir::Etc::sourcelist=$apt/sources.list"
    -o "Dir::Etc::sourceparts=$apt/parts" -o "Dir::State::Lists=$apt/lists"
    -o APT::Sandbox::User=root -qq)
  apt-get "${opts[@]}" update >"$dir/apt.log" 2>&1 || true
  (cd "$dir" && apt-get "${opts[@]}" source --download-only \
    "librdkafka=$ver") >>"$dir/apt.log" 2>&1
}

rdk_dir=$build/rdkafka-tsan
rdk_note="system librdkafka (not instrumented: expect false reports)"
if [ "$rdk_mode" = build ]; then
  ver=$(dpkg-query -W -f='${Version}' librdkafka1)
  stamp="$ver $("$cc" --version | head -n 1)"
  if [ ! -f "$rdk_dir/librdkafka.so.1" ] ||
    [ "$(cat "$rdk_dir/stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "== librdkafka $ver with -fsanitize=thread ($rdk_dir)"
    rm -rf "$rdk_dir"
    mkdir -p "$rdk_dir/src"
    if ! rdk_source "$rdk_dir/src" "$ver"; then
      tail -n 20 "$rdk_dir/src/apt.log" >&2
      echo "could not fetch the librdkafka $ver source (TSAN_RDKAFKA=system" \
        "runs with the uninstrumented library)" >&2
      exit 2
    fi
    tar -xzf "$rdk_dir"/src/librdkafka_*.orig.tar.gz -C "$rdk_dir/src"
    src=$(find "$rdk_dir/src" -mindepth 1 -maxdepth 1 -type d -name 'librdkafka-*')
    # Only what the tests use: no TLS, SASL/GSSAPI, zstd or libcurl; the
    # built-in LZ4 (the producers' codec).
    if ! (cd "$src" && CC=$cc ./configure --CFLAGS="-fsanitize=thread -g -O1 -fno-omit-frame-pointer" \
      --LDFLAGS=-fsanitize=thread --disable-ssl --disable-gssapi \
      --disable-zstd --disable-curl --disable-lz4-ext &&
      make -C src -j"$(nproc)" librdkafka.so.1) >"$rdk_dir/build.log" 2>&1; then
      tail -n 30 "$rdk_dir/build.log" >&2
      exit 2
    fi
    cp "$src/src/librdkafka.so.1" "$rdk_dir/"
    echo "$stamp" >"$rdk_dir/stamp"
  fi
  rdk_note="librdkafka $(cut -d' ' -f1 "$rdk_dir/stamp") built with -fsanitize=thread"
  rpath=$rdk_dir
else
  rpath=
fi

# ---- the storemon TSan tree ---------------------------------------------
echo "== storemon with SM_TSAN=ON ($build)"
if ! CC=$cc cmake -S "$top" -B "$build" -DSM_TSAN=ON -DSM_ASAN=OFF \
  -DSM_UBSAN=OFF -DCMAKE_BUILD_TYPE=Debug -DCMAKE_BUILD_RPATH="$rpath" \
  >"$work/cmake.log" 2>&1; then
  cat "$work/cmake.log" >&2
  exit 2
fi
if ! cmake --build "$build" -j"$(nproc)" --target storemon-broker \
  storemon-gateway storemon-reporter storemon-ingestor storemon-gen \
  >"$work/build.log" 2>&1; then
  tail -n 50 "$work/build.log" >&2
  exit 2
fi
bin=$build/bin
if [ "$rdk_mode" = build ] &&
  ! ldd "$bin/storemon-gateway" | grep -q "$rdk_dir/librdkafka.so.1"; then
  echo "storemon-gateway does not load $rdk_dir/librdkafka.so.1" >&2
  exit 2
fi

# ---- TSan settings --------------------------------------------------------
# halt_on_error=0 so that one run collects every report; exitcode=66 makes
# a service with a report exit non-zero, which its test notices too.
tsan_opts="halt_on_error=0 exitcode=66 history_size=4 second_deadlock_stack=1"
tsan_opts+=" print_suppressions=1 suppressions=$supp"
user_opts=${TSAN_OPTIONS:-}
# tsan_env NAME: TSAN_OPTIONS for one test, its reports in reports/NAME/.
tsan_env() { echo "$tsan_opts log_path=$work/reports/$1/tsan $user_opts"; }

wrap=()
rnd=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0)
case ${TSAN_NO_ASLR:-auto} in
1) wrap=(setarch "$(uname -m)" -R) ;;
auto) [ "$rnd" -gt 28 ] && wrap=(setarch "$(uname -m)" -R) ;;
esac
aslr_note="ASLR on (vm.mmap_rnd_bits=$rnd)"
[ ${#wrap[@]} -gt 0 ] && aslr_note="ASLR off per test (setarch -R; vm.mmap_rnd_bits=$rnd)"

# The canary: a race between the main thread and a C11 thread, built like
# the services (same compiler, same shim).  It must be reported.
cat >"$work/canary.c" <<'EOF'
#include <threads.h>
static int shared;
static int bump(void *arg) {
        (void)arg;
        shared++;
        return 0;
}
int main(void) {
        thrd_t t;
        if (thrd_create(&t, bump, NULL) != thrd_success)
                return 1;
        shared++;
        thrd_join(t, NULL);
        return 0;
}
EOF
canary=missed
if "$cc" -fsanitize=thread -g -O1 -o "$work/canary" "$work/canary.c" \
  "$top/cmake/tsan_c11threads.c" 2>"$work/canary.log"; then
  TSAN_OPTIONS="$tsan_opts log_path=$work/canary-report" "${wrap[@]}" \
    "$work/canary" >>"$work/canary.log" 2>&1 || true
  if cat "$work"/canary-report.* 2>/dev/null |
    grep -q 'WARNING: ThreadSanitizer: data race'; then
    canary=detected
  fi
fi

# HTTP requests are counted by a curl in front of the real one (requests
# made by the Python clients, hostile.py and openapi_check.py, are not).
real_curl=$(command -v curl)
cat >"$work/bin/curl" <<EOF
#!/bin/sh
"$real_curl" "\$@"
rc=\$?
case \$rc in 0 | 22) echo >>"$work/curl.count" ;; esac
exit \$rc
EOF
chmod +x "$work/bin/curl"
: >"$work/curl.count"

# ---- the tests ------------------------------------------------------------
echo "== ${#tests[@]} tests under ThreadSanitizer ($rdk_note; $aslr_note)"
t_start=$(date +%s)
: >"$work/tests.tsv"
for t in "${tests[@]}"; do
  name=${t//\//_}
  name=${name%.sh}
  mkdir -p "$work/tmp/$name" "$work/reports/$name"
  s=$(date +%s)
  rc=0
  (cd "$top/tests/$(dirname "$t")" &&
    TSAN_OPTIONS=$(tsan_env "$name") PATH=$work/bin:$PATH \
      TMPDIR=$work/tmp/$name KEEP_TMP=1 \
      timeout "$timeout_s" "${wrap[@]}" bash "$(basename "$t")" "$bin") \
    >"$work/tests/$name.out" 2>&1 || rc=$?
  d=$(($(date +%s) - s))
  last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/tests/$name.out" | tail -n 1)
  printf '%s\t%s\t%s\t%s\n' "$t" "$rc" "$d" "${last:-no totals}" >>"$work/tests.tsv"
  printf '  %-34s %s  %4ss  %s\n' "$t" "$([ "$rc" = 0 ] && echo ok || echo "FAIL($rc)")" "$d" "${last:-no totals}"
done

# Concurrency the tests do not make: both MHD pool threads and the results
# thread busy at once on the cache and the metrics.
soak_s=${TSAN_SOAK:-20}
: >"$work/soak.txt"
if [ "$soak_s" -gt 0 ]; then
  mkdir -p "$work/tmp/soak" "$work/reports/bench_soak"
  s=$(date +%s)
  rc=0
  TSAN_OPTIONS=$(tsan_env bench_soak) SOAK_BIN=$bin TMPDIR=$work/tmp/soak timeout "$timeout_s" "${wrap[@]}" \
    bash "$top/bench/soak.sh" "$soak_s" >"$work/tests/bench_soak.out" 2>&1 || rc=$?
  row=$(grep -E '^\| *[0-9]+ *\|' "$work/tests/bench_soak.out" | tail -n 1 | tr -d ' ')
  printf '%s\t%s\t%s\n' "$rc" "$(($(date +%s) - s))" "$row" >"$work/soak.txt"
  printf '  %-34s %s  %4ss  %s\n' "bench/soak.sh $soak_s" \
    "$([ "$rc" = 0 ] && echo ok || echo "FAIL($rc)")" "$(($(date +%s) - s))" "$row"
fi
elapsed=$(($(date +%s) - t_start))

# ---- the reports ------------------------------------------------------------
set +e
python3 - "$work" "$top" "$elapsed" "$canary" "$rdk_note" "$aslr_note" <<'EOF'
import glob, os, re, sys

work, top, elapsed, canary, rdk_note, aslr_note = sys.argv[1:7]
frame_re = re.compile(r'^\s+#\d+ (\S+) (.*) \(([^()]*)\)\s*$')
ours_exe = re.compile(r'^storemon-')


def parse_frame(line):
    m = frame_re.match(line)
    if not m:
        return None
    func, loc, mod = m.groups()
    f = re.match(r'^(.*?):\d+', loc)
    return {'func': func, 'file': f.group(1) if f else loc,
            'loc': loc, 'module': mod.split('+')[0]}


def is_runtime(fr):
    """A frame of the TSan runtime (an interceptor, the allocator)."""
    return (fr['module'].startswith('libtsan') or 'sanitizer' in fr['file']
            or 'compiler-rt' in fr['file']
            or fr['func'].startswith(('__interceptor_', '__tsan', '__sanitizer'))
            # clang links the runtime statically: its frames carry the
            # executable's name but no source file, unlike our own code.
            or (fr['file'] == '<null>' and ours_exe.match(fr['module'])))


def is_ours(fr):
    return fr['file'].startswith(top + '/')


def parse_reports(text):
    reps = []
    for block in re.split(r'^==================$', text, flags=re.M):
        w = re.search(r'WARNING: ThreadSanitizer: (.+?) \(pid=(\d+)\)', block)
        if not w:
            continue
        stacks, header = [], None
        cur = None
        for line in block.splitlines():
            fr = parse_frame(line)
            if fr:
                if cur is None:
                    cur = {'header': header or '', 'frames': []}
                    stacks.append(cur)
                cur['frames'].append(fr)
                continue
            cur = None
            if line.startswith('  ') and line.strip():
                header = line.strip()
        acts = [s for s in stacks if not re.search(
            r'created (by|at)|allocated by|Location is', s['header'])] or stacks
        tops = []
        for s in acts:
            first = next((f for f in s['frames'] if not is_runtime(f)), None)
            if first:
                tops.append(first)
        ours = any(is_ours(f) for f in tops)
        key = (w.group(1), tuple(sorted('%s %s' % (f['func'], f['loc'])
                                        for f in tops)))
        reps.append({'kind': w.group(1), 'ours': ours, 'key': key,
                     'text': '==================' + block.rstrip()})
    return reps


reports, supp, fatal = [], {}, []
for path in sorted(glob.glob(os.path.join(work, 'reports', '*', 'tsan.*'))):
    text = open(path, errors='replace').read()
    reports += [dict(r, file=path) for r in parse_reports(text)]
    for m in re.finditer(r'^(\d+) (\w+:\S+)$', text, flags=re.M):
        supp[m.group(2)] = supp.get(m.group(2), 0) + int(m.group(1))
    for m in re.finditer(r'^.*(FATAL: ThreadSanitizer|ERROR: ThreadSanitizer'
                         r'|ThreadSanitizer:DEADLYSIGNAL).*$', text, flags=re.M):
        fatal.append('%s: %s' % (os.path.basename(path), m.group(0).strip()))
# A runtime error before log_path applies lands in the services' logs.
for path in glob.glob(os.path.join(work, 'tmp', '*', '*', '*.log')):
    for line in open(path, errors='replace'):
        if 'ThreadSanitizer' in line:
            fatal.append('%s: %s' % (os.path.relpath(path, work), line.strip()))

gw_starts = reports_done = 0
for path in glob.glob(os.path.join(work, 'tmp', '*', '*', '*.log')):
    for line in open(path, errors='replace'):
        if ' gateway main: listening on port ' in line:
            gw_starts += 1
        elif re.search(r' gateway report: report \S+ complete', line):
            reports_done += 1
curl = sum(1 for _ in open(os.path.join(work, 'curl.count')))
soak = open(os.path.join(work, 'soak.txt')).read().split('\t')
soak_line, soak_ok = None, True
if len(soak) == 3:
    cells = soak[2].strip().strip('|').split('|')
    soak_ok = soak[0] == '0' and len(cells) >= 5
    if len(cells) >= 5:
        secs, st, st_err, csv, csv_err = (int(float(c)) for c in cells[:5])
        soak_line = ('soak: %d s of wrk on get_report status (-c32) and the CSV '
                     '(-c4) at once: %d + %d requests, %d + %d errors'
                     % (secs, st * secs, csv * secs, st_err, csv_err))
    else:
        soak_line = 'soak: FAILED (exit %s), see tests/bench_soak.out' % soak[0]

tests = [l.rstrip('\n').split('\t') for l in open(os.path.join(work, 'tests.tsv'))]
n_pass = sum(1 for t in tests if t[1] == '0')
checks = sum(int(re.match(r'(\d+) passed', t[3]).group(1))
             for t in tests if re.match(r'\d+ passed', t[3]))

uniq_ours, uniq_lib = {}, {}
for r in reports:
    (uniq_ours if r['ours'] else uniq_lib).setdefault(r['key'], []).append(r)

out = []
out.append('== ThreadSanitizer summary')
out.append('tests: %d run, %d passed, %d failed; %s s under TSan'
           % (len(tests), n_pass, len(tests) - n_pass, elapsed))
out.append('exercised: %d checks passed, %d gateway processes, %d reports '
           'completed, %d HTTP requests by curl (plus the Python clients\')'
           % (checks, gw_starts, reports_done, curl))
if soak_line:
    out.append(soak_line)
out.append('%s; %s' % (rdk_note, aslr_note))
out.append('canary race: %s' % canary)
out.append('TSan reports in our code: %d (%d distinct)'
           % (sum(len(v) for v in uniq_ours.values()), len(uniq_ours)))
out.append('TSan reports in third-party libraries: %d (%d distinct)'
           % (sum(len(v) for v in uniq_lib.values()), len(uniq_lib)))
out.append('suppressed (bench/tsan.supp): %s'
           % (', '.join('%s x%d' % kv for kv in sorted(supp.items())) or 'none'))
out.append('TSan runtime errors: %d' % len(fatal))
for line in fatal[:20]:
    out.append('  ' + line)
for title, group in (('in our code', uniq_ours), ('in libraries', uniq_lib)):
    for key, rs in group.items():
        out.append('')
        out.append('-- %s, %s, seen %d times (first: %s)'
                   % (key[0], title, len(rs), os.path.relpath(rs[0]['file'], work)))
        out.append(rs[0]['text'])
text = '\n'.join(out) + '\n'
open(os.path.join(work, 'summary.txt'), 'w').write(text)
sys.stdout.write(text)
if uniq_ours or fatal or canary != 'detected':
    sys.exit(1)
sys.exit(3 if n_pass != len(tests) or not soak_ok else 0)
EOF
status=$?
set -e

if [ "${TSAN_KEEP:-0}" != 1 ]; then rm -rf "$work/tmp"; fi
echo "(summary: $work/summary.txt; reports: $work/reports/)"
exit "$status"
