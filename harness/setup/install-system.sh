#!/usr/bin/env bash
# Installs the Debian packages layerbench needs on a test machine (Docker Engine, HAProxy, nginx
# with its stream module, Caddy, Chromium for report checks, promtool from prometheus for the
# metrics check, h2load from nghttp2-client, curl), then starts the Docker daemon.
# Idempotent and non-interactive; run as root: harness/setup/install-system.sh
# LAYERBENCH_PACKAGES overrides the package list (a CI runner that already has Docker, or needs
# no Chromium, names only what it lacks).
set -euo pipefail

read -r -a packages <<<"${LAYERBENCH_PACKAGES:-docker.io haproxy nginx libnginx-mod-stream caddy chromium prometheus nghttp2-client curl}"

if [[ $(id -u) -ne 0 ]]; then
  echo "install-system.sh: must run as root (apt-get install)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  # Captured, not piped into grep -q: under pipefail an early-exiting reader can kill the writer
  # with SIGPIPE and fail the script.
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ $status != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "packages already installed: ${packages[*]}"
fi

exec "$(dirname "$(readlink -f "$0")")/start-dockerd.sh"
