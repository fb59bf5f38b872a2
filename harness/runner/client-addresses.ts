import type { LoadPlan } from '../load/load-types.js'

/**
 * Where the load's clients come from. Measured clients (with `load.clients` ≥ 2) connect from
 * 127.0.1.x — apart from the balancer's own 127.0.0.1, so a backend can tell a client's address
 * from the balancer's. A UDP warm-up sends from 127.0.2.x (see `warmupPlan`).
 */
export function clientAddresses(count: number, block: 1 | 2 = 1): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.${block}.${i + 1}`)
}

/**
 * The warm-up's load plan: the measured plan for `durationMs`. For UDP its datagrams come from
 * addresses of their own. A UDP balancer keeps a flow per client address and port after the
 * client's socket is gone (the engine until 60 s idle, nginx until `proxy_timeout`); a measured
 * socket that the kernel hands a port the warm-up just used would ride the warm-up's flow and skip
 * the pick, and one round-robin pick short gives backends 3/4/5 of 12 flows instead of 4/4/4
 * (12 sockets after 12 share a port in about 1 run in 150 here).
 */
export function warmupPlan(plan: LoadPlan, durationMs: number): LoadPlan {
  const warmup: LoadPlan = { ...plan, durationMs, warmupMs: 0 }
  if (plan.protocol !== 'udp') return warmup
  return { ...warmup, localAddresses: clientAddresses(plan.localAddresses?.length ?? 1, 2) }
}
