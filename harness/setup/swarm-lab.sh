#!/usr/bin/env bash
# A multi-node Docker Swarm on this one host, for trying the swarm provider and distributed load:
#
#   harness/setup/swarm-lab.sh up N     N nodes (default 3): node 1 is the manager, the rest workers
#   harness/setup/swarm-lab.sh status   what runs, and how to point layerbench at it
#   harness/setup/swarm-lab.sh down     removes everything `up` made (also after a failed `up`)
#
# Each node is a network namespace `layerbench-lab-K` with its own dockerd (own data root, exec root,
# socket, pidfile; --iptables=false --bridge=none), started with `nsenter --net=` (`ip netns exec`
# remounts /sys and hides the cgroup mounts). The namespaces hang on one bridge `lblab0` by veth pairs
# `lblab-vK`; addresses come from 198.18.0.0/15 (RFC 2544's benchmarking range) and there is no route
# anywhere else:
#   198.18.0.1            this host, on the bridge
#   198.18.0.(10+K)       node K
#   198.18.(100+K).0/24   node K's backend addresses: routed locally in the namespace (every address
#                         of it can be bound), reached from the host and the other nodes via node K
#   198.19.0.0/16         Swarm's own address pool (overlay and ingress networks)
# The nodes share the host name, so each carries node labels: layerbench.node=node-K, the engine
# socket (layerbench.engine), its backend subnet (layerbench.backend-subnet), its network
# namespace (layerbench.netns, where load agents can start) and its role.
# The system dockerd sets the FORWARD policy to DROP and bridged frames pass through iptables, so
# the lab inserts an ACCEPT rule for its own bridge (commented `layerbench-lab`) and removes it.
# Needs root. Everything lives under /run/layerbench-lab and /var/lib/layerbench-lab.
set -euo pipefail

PREFIX=layerbench-lab
BRIDGE=lblab0
RUN_DIR=/run/$PREFIX
DATA_DIR=/var/lib/$PREFIX
HOST_ADDR=198.18.0.1
SWARM_POOL=198.19.0.0/16
LOCAL_POOL=198.18.128.0/17
COMMENT=$PREFIX
READY_S=60

die() { echo "swarm-lab.sh: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
node_addr() { echo "198.18.0.$((10 + $1))"; }
node_subnet() { echo "198.18.$((100 + $1)).0/24"; }
node_sock() { echo "$RUN_DIR/node-$1/docker.sock"; }
ndocker() { local k=$1; shift; docker -H "unix://$(node_sock "$k")" "$@"; }
nodes_made() {
  ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^$PREFIX-\([0-9]\+\)$/\1/p" | sort -n
}

forward_rule() { # add|del
  local op=$1
  if [[ $op == add ]]; then
    iptables -C FORWARD -i $BRIDGE -o $BRIDGE -m comment --comment $COMMENT -j ACCEPT 2>/dev/null ||
      iptables -I FORWARD 1 -i $BRIDGE -o $BRIDGE -m comment --comment $COMMENT -j ACCEPT
  else
    while iptables -D FORWARD -i $BRIDGE -o $BRIDGE -m comment --comment $COMMENT -j ACCEPT 2>/dev/null; do :; done
  fi
}

start_node() {
  local k=$1 ns=$PREFIX-$1 dir=$RUN_DIR/node-$1 addr subnet
  addr=$(node_addr "$k")
  subnet=$(node_subnet "$k")
  mkdir -p "$dir/exec" "$DATA_DIR/node-$k"
  ip netns add "$ns"
  ip link add "lblab-v$k" type veth peer name "lblab-n$k"
  ip link set "lblab-n$k" netns "$ns"
  ip link set "lblab-v$k" master $BRIDGE up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "lblab-n$k" name eth0
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  # Every address of the node's backend subnet is local to it: a backend task binds its own.
  ip -n "$ns" route add local "$subnet" dev lo
  ip route add "$subnet" via "$addr" dev $BRIDGE
  # The pull an orchestrated task would try first cannot succeed: there is no route out.
  nsenter --net="/run/netns/$ns" env DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid dockerd \
    --host "unix://$dir/docker.sock" \
    --data-root "$DATA_DIR/node-$k" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/docker.pid" \
    --iptables=false --ip-masq=false --ip-forward=false --bridge=none \
    --default-address-pool "base=$LOCAL_POOL,size=24" \
    >>"$dir/dockerd.log" 2>&1 </dev/null &
}

wait_node() {
  local k=$1 i
  for ((i = 0; i < READY_S * 4; i++)); do
    ndocker "$k" info >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  tail -n 20 "$RUN_DIR/node-$k/dockerd.log" >&2 || true
  die "the dockerd of node $k did not answer within $READY_S s"
}

cmd_up() {
  local n=${1:-3} k j t0 token
  [[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 50 ]] || die "usage: swarm-lab.sh up N (1 ≤ N ≤ 50)"
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  command -v dockerd >/dev/null || die "dockerd is not installed (harness/setup/install-system.sh)"
  [[ -z $(nodes_made) ]] && ! ip link show $BRIDGE >/dev/null 2>&1 || die "a lab exists already: swarm-lab.sh down first"
  t0=$(now_ms)
  trap 'echo "swarm-lab.sh: up failed; removing what it made" >&2; cmd_down >&2' ERR
  mkdir -p "$RUN_DIR" "$DATA_DIR"
  ip link add $BRIDGE type bridge
  ip addr add "$HOST_ADDR/24" dev $BRIDGE
  ip link set $BRIDGE up
  forward_rule add
  for ((k = 1; k <= n; k++)); do start_node "$k"; done
  for ((k = 1; k <= n; k++)); do
    # Each node reaches the other nodes' backend subnets through them.
    for ((j = 1; j <= n; j++)); do
      [[ $j -eq $k ]] || ip -n "$PREFIX-$k" route add "$(node_subnet "$j")" via "$(node_addr "$j")" dev eth0
    done
  done
  for ((k = 1; k <= n; k++)); do wait_node "$k"; done
  ndocker 1 swarm init --advertise-addr "$(node_addr 1)" --listen-addr "$(node_addr 1):2377" \
    --default-addr-pool "$SWARM_POOL" --default-addr-pool-mask-length 24 >/dev/null
  token=$(ndocker 1 swarm join-token -q worker)
  for ((k = 2; k <= n; k++)); do
    ndocker "$k" swarm join --token "$token" --advertise-addr "$(node_addr "$k")" --listen-addr "$(node_addr "$k"):2377" "$(node_addr 1):2377" >/dev/null
  done
  for ((k = 1; k <= n; k++)); do
    local id role=worker
    [[ $k -eq 1 ]] && role=manager
    id=$(ndocker "$k" info --format '{{.Swarm.NodeID}}')
    ndocker 1 node update \
      --label-add "layerbench.node=node-$k" \
      --label-add "layerbench.role=$role" \
      --label-add "layerbench.engine=unix://$(node_sock "$k")" \
      --label-add "layerbench.address=$(node_addr "$k")" \
      --label-add "layerbench.netns=/run/netns/$PREFIX-$k" \
      --label-add "layerbench.backend-subnet=$(node_subnet "$k")" \
      "$id" >/dev/null
  done
  trap - ERR
  echo "lab up: $n node(s) in $(($(now_ms) - t0)) ms"
  cmd_status
}

cmd_status() {
  local ks k
  ks=$(nodes_made)
  if [[ -z $ks ]]; then echo "no lab"; return 0; fi
  for k in $ks; do
    printf 'node-%s  netns %s-%s  %s  backends %s  engine unix://%s\n' "$k" "$PREFIX" "$k" "$(node_addr "$k")" "$(node_subnet "$k")" "$(node_sock "$k")"
  done
  if ndocker 1 node ls >/dev/null 2>&1; then
    ndocker 1 node ls --format '{{.ID}} {{.Status}} {{.Availability}} {{.ManagerStatus}}'
    echo "export LAYERBENCH_SWARM_HOST=unix://$(node_sock 1)"
  fi
}

cmd_down() {
  local t0 k pid i link dir m
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  t0=$(now_ms)
  for k in $(nodes_made); do
    pid=$(cat "$RUN_DIR/node-$k/docker.pid" 2>/dev/null || true)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      # Only a dockerd whose socket is this node's: a reused PID is left alone.
      if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$RUN_DIR/node-$k/docker.sock"; then
        ndocker "$k" ps -aq 2>/dev/null | xargs -r docker -H "unix://$(node_sock "$k")" rm -f >/dev/null 2>&1 || true
        kill -TERM "$pid"
        for ((i = 0; i < 80 && $(kill -0 "$pid" 2>/dev/null && echo 1 || echo 0) == 1; i++)); do sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
      fi
    fi
  done
  # Anything still holding a lab namespace is one of ours (a containerd shim, a container).
  for k in $(nodes_made); do
    for pid in $(ip netns pids "$PREFIX-$k" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$PREFIX-$k" 2>/dev/null || true
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^lblab-v[0-9]+$' || true); do
    ip link del "$link" 2>/dev/null || true
  done
  ip link del $BRIDGE 2>/dev/null || true # its routes go with it
  forward_rule del
  # The data and exec roots may hold mounts (overlays, netns files) that outlived their daemon.
  for dir in "$DATA_DIR" "$RUN_DIR"; do
    [[ -d $dir ]] || continue
    for m in $( (grep -o " $dir/[^ ]*" /proc/mounts || true) | sort -r); do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$dir"
  done
  echo "lab down in $(($(now_ms) - t0)) ms"
}

case ${1:-} in
  up) cmd_up "${2:-3}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) die "usage: swarm-lab.sh up N | down | status" ;;
esac
