#!/usr/bin/env bash
# Makes sure a Docker Engine answers on this machine: does nothing when `docker info` works,
# otherwise starts dockerd in the background (log: /var/log/layerbench-dockerd.log) and waits
# up to 60 s for it. Needs root to start the daemon.
set -euo pipefail

log=/var/log/layerbench-dockerd.log
timeout_s=60

if docker info >/dev/null 2>&1; then
  echo "docker engine already running: $(docker version --format '{{.Server.Version}}')"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-dockerd.sh: dockerd is not installed; run harness/setup/install-system.sh (or pass --provider process)" >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "start-dockerd.sh: dockerd must be started as root" >&2
  exit 1
fi

echo "starting dockerd (log: $log)"
# setsid: the daemon must outlive this shell and not receive its terminal's signals.
setsid dockerd >>"$log" 2>&1 </dev/null &

for ((i = 0; i < timeout_s * 2; i++)); do
  if docker info >/dev/null 2>&1; then
    echo "docker engine running: $(docker version --format '{{.Server.Version}}')"
    exit 0
  fi
  sleep 0.5
done

echo "start-dockerd.sh: dockerd did not answer within ${timeout_s} s; last lines of $log:" >&2
tail -n 20 "$log" >&2 || true
exit 1
