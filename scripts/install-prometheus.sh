#!/usr/bin/env bash
# Installs Prometheus (`prometheus` and `promtool`) from the distribution's own package, for
# the test that has a real Prometheus scrape `logstream --metrics` (tests/cli/prometheus.test.ts).
# Does nothing when both are on PATH already. Debian and Ubuntu package both binaries in
# `prometheus`; its recommendation (the node exporter) is not needed.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-prometheus: no apt-get here; install prometheus and promtool (https://prometheus.io/download/) and put them on PATH" >&2
  exit 1
fi
# Root in CI containers; elsewhere through sudo when there is one.
run_as_root=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then run_as_root=(sudo env DEBIAN_FRONTEND=noninteractive); fi
export DEBIAN_FRONTEND=noninteractive
${run_as_root[@]+"${run_as_root[@]}"} apt-get update -qq
${run_as_root[@]+"${run_as_root[@]}"} apt-get install -y -qq --no-install-recommends prometheus >/dev/null
for binary in prometheus promtool; do
  if ! command -v "$binary" >/dev/null 2>&1; then
    echo "install-prometheus: the prometheus package did not provide $binary" >&2
    exit 1
  fi
done
