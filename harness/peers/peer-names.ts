/**
 * The names of the peers, in the order reports list them. `registry.ts` maps each to its driver and
 * the compiler holds the two together; this list stays free of imports so that anything (the
 * runner's types, schemas, reports) can read it without loading a driver.
 */
export const PEER_NAMES = ['haproxy', 'nginx', 'caddy'] as const

/** A production balancer the testbed runs in place of the engine. */
export type PeerName = (typeof PEER_NAMES)[number]

/** Every implementation a scenario's balancer can name: the engine, each peer, the user's own (`external`), none. */
export const BALANCER_IMPLEMENTATIONS = ['engine', ...PEER_NAMES, 'external', 'direct'] as const

/** A balancer implementation. */
export type BalancerImplementation = (typeof BALANCER_IMPLEMENTATIONS)[number]

/** Whether a name is a registered peer. */
export function isPeerName(name: string): name is PeerName {
  return (PEER_NAMES as readonly string[]).includes(name)
}
