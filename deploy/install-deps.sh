#!/usr/bin/env bash
# Installs what storemon needs to build, test and run, from Debian 12
# packages.  Does nothing when everything is already there; uses sudo when
# not run as root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  librdkafka-dev libavro-dev libsqlite3-dev libmicrohttpd-dev
  libglib2.0-dev libjansson-dev tzdata
  sqlite3 curl bc time kcat python3 python3-confluent-kafka python3-avro
  python3-yaml wrk
  clang clang-format
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    sudo="sudo"
  else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
