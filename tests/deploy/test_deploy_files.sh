#!/usr/bin/env bash
# test_deploy_files.sh BIN_DIR: keeps the real-cluster deployment files
# (deploy/compose.yaml, deploy/images/, deploy/config/, deploy/systemd/,
# deploy/README.md, .dockerignore) honest against the sources and the
# built binaries.  Needs no container engine and no Kafka: see
# check_deploy.py for every check.  The last line is
# "N passed, N failed" (", N skipped" when a check could not run here).
set -u

BIN=${1:?usage: test_deploy_files.sh BIN_DIR}
here=$(cd "$(dirname "$0")" && pwd)

# Debian's python3-yaml is installed for /usr/bin/python3, not for a
# python3 that may come first on PATH.
if ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
    echo "FAIL - /usr/bin/python3 cannot import yaml (deploy/install-deps.sh installs python3-yaml)"
    echo "0 passed, 1 failed"
    exit 1
fi
exec /usr/bin/python3 "$here/check_deploy.py" "$BIN"
