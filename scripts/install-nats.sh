#!/usr/bin/env bash
# Installs the NATS server (`nats-server`) from the distribution's own package, for the scale-out
# tests that start a real three-node JetStream cluster (scripts/nats-cluster.mjs,
# tests/nats/cluster.test.ts). Does nothing when it is installed already. Debian and Ubuntu put
# the binary in /usr/sbin, which is not on every user's PATH, so that counts as installed too
# (scripts/nats-cluster.mjs looks there).
set -euo pipefail

if command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-nats: no apt-get here; install nats-server (https://nats.io/download/) and put it on PATH" >&2
  exit 1
fi
# Root in CI containers; elsewhere through sudo when there is one.
run_as_root=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then run_as_root=(sudo env DEBIAN_FRONTEND=noninteractive); fi
export DEBIAN_FRONTEND=noninteractive
${run_as_root[@]+"${run_as_root[@]}"} apt-get update -qq
${run_as_root[@]+"${run_as_root[@]}"} apt-get install -y -qq --no-install-recommends nats-server >/dev/null
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
  echo "install-nats: the nats-server package did not provide nats-server" >&2
  exit 1
fi
