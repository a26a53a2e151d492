#!/usr/bin/env bash
# test_kill_more_seeds.sh BIN_DIR: test_kill_services.sh on two more seeds
# (47 and 83; SM_KILL_MORE_SEEDS overrides them).  A CTest test of its own,
# so that the four seeds run two by two (in parallel under ctest -j) and
# each test stays well under its timeout.
BIN=${1:?usage: test_kill_more_seeds.sh BIN_DIR}
SM_KILL_SEEDS=${SM_KILL_MORE_SEEDS:-47 83} \
  exec bash "$(dirname "$0")/test_kill_services.sh" "$BIN"
