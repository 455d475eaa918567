#!/usr/bin/env bash
# Quick start on a fresh Debian 12 machine, as root: install what berth needs,
# build it, start berthd on its default socket, make a demo image offline
# (from Debian's busybox-static), load it, and run a container from it.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

if ! command -v busybox >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq busybox-static
fi
npm ci --no-audit --no-fund --silent

mkdir -p /run/berth
if ! ./bin/berth version >/dev/null 2>&1; then
  nohup ./bin/berthd >/run/berth/berthd.log 2>&1 &
  for _ in $(seq 1 50); do ./bin/berth version >/dev/null 2>&1 && break; sleep 0.1; done
fi
echo "berthd is running (log: /run/berth/berthd.log)"

out=$(mktemp -d)
npx tsx scripts/make-fixtures.ts "$out" >/dev/null
./bin/berth load -i "$out/busybox.tar"
rm -rf "$out"
./bin/berth images
./bin/berth run --rm berth-test/busybox sh -c 'echo "hello from a berth container: $(hostname), pid $$"; ls /'
echo
echo "Stop the daemon with: kill \$(cat /run/berth/berthd.pid)"
