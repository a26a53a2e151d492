#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# with CTest.  Extra arguments go to ctest (e.g. `tests/run.sh -L unit`).
#
# Environment: BUILD_DIR (default build), SM_SANITIZE=1 for an ASan+UBSan
# build, CMAKE_ARGS for more cmake options.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

deploy/install-deps.sh

build=${BUILD_DIR:-build}
args=(-DSM_WERROR=ON)
if [ "${SM_SANITIZE:-0}" = 1 ]; then
  args+=(-DSM_ASAN=ON -DSM_UBSAN=ON -DCMAKE_BUILD_TYPE=Debug)
fi
# shellcheck disable=SC2206
args+=(${CMAKE_ARGS:-})
cmake -S . -B "$build" "${args[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
