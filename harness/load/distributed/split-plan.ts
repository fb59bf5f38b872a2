/**
 * A plan's share for each of N agents: connections, rate and request cap divided as evenly as whole
 * numbers allow (the first agents take the remainder), so the agents together send what one
 * generator would have.
 */

/** What is divided among agents. */
export interface Divisible {
  readonly connections: number
  readonly rate?: number
  readonly maxRequests?: number
}

/** `total` split into `n` whole parts differing by at most one, larger first. */
export function evenParts(total: number, n: number): number[] {
  const base = Math.floor(total / n)
  return Array.from({ length: n }, (_, i) => base + (i < total - base * n ? 1 : 0))
}

/** Each agent's share of `plan`; throws when there are more agents than connections or capped requests. */
export function splitPlan<P extends Divisible>(plan: P, agents: number): P[] {
  if (!Number.isInteger(agents) || agents < 1) throw new Error(`agents: expected a positive integer, got ${agents}`)
  if (agents > plan.connections) throw new Error(`${agents} agents need at least as many connections (the plan has ${plan.connections})`)
  if (plan.maxRequests !== undefined && plan.maxRequests < agents) throw new Error(`${agents} agents need a request cap of at least ${agents} (the plan has ${plan.maxRequests})`)
  const connections = evenParts(plan.connections, agents)
  const caps = plan.maxRequests === undefined ? undefined : evenParts(plan.maxRequests, agents)
  return connections.map((c, i) => ({
    ...plan,
    connections: c,
    // The rate follows the connections, so each agent's pool carries its share.
    ...(plan.rate === undefined ? {} : { rate: (plan.rate * c) / plan.connections }),
    ...(caps === undefined ? {} : { maxRequests: caps[i]! }),
  }))
}
