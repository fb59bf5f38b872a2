/**
 * What the swarm provider knows of a cluster's nodes, read from their labels, and where each
 * backend goes: pure functions of the node list, so placement and addressing are testable alone.
 *
 * A node can host backends when it carries `layerbench.backend-subnet` (an IPv4 /24 routed to the
 * node, every address of which the node can bind: the lab routes it locally, see
 * harness/setup/swarm-lab.sh) and is `ready` and `active`. `layerbench.engine` says how to reach
 * the node's own Docker Engine, for the faults Swarm has no verb for (kill, pause).
 */

/** Node labels the swarm provider reads. */
export const NODE_LABELS = {
  name: 'layerbench.node',
  engine: 'layerbench.engine',
  subnet: 'layerbench.backend-subnet',
  address: 'layerbench.address',
  netns: 'layerbench.netns',
  role: 'layerbench.role',
} as const

/** The part of a Swarm node (`GET /nodes`) read here. */
export interface SwarmNodeInfo {
  readonly ID: string
  readonly Spec?: { readonly Labels?: Record<string, string>; readonly Availability?: string; readonly Role?: string }
  readonly Status?: { readonly State?: string; readonly Addr?: string }
  readonly Description?: { readonly Hostname?: string }
}

/** A node that can host backends. */
export interface BackendNode {
  readonly id: string
  /** `layerbench.node`, else the host name (which lab nodes share, hence the label). */
  readonly name: string
  /** `unix:///…` or `tcp://host:port` of its own Engine, when labelled. */
  readonly engine?: string
  /** The first three octets of its /24, e.g. `198.18.102`. */
  readonly prefix: string
}

const SUBNET = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/

/** The nodes of `nodes` that can host backends, sorted by name; nodes labelled badly are reported. */
export function backendNodes(nodes: readonly SwarmNodeInfo[]): { nodes: BackendNode[]; problems: string[] } {
  const out: BackendNode[] = []
  const problems: string[] = []
  for (const n of nodes) {
    const labels = n.Spec?.Labels ?? {}
    const subnet = labels[NODE_LABELS.subnet]
    if (subnet === undefined) continue
    const name = labels[NODE_LABELS.name] ?? n.Description?.Hostname ?? n.ID
    const m = SUBNET.exec(subnet)
    if (m === null || m.slice(1).some((o) => Number(o) > 255)) {
      problems.push(`node ${name}: ${NODE_LABELS.subnet}=${subnet} is not an IPv4 /24 such as 198.18.102.0/24`)
      continue
    }
    if (n.Status?.State !== 'ready' || (n.Spec?.Availability ?? 'active') !== 'active') continue
    const engine = labels[NODE_LABELS.engine]
    out.push({ id: n.ID, name, prefix: `${m[1]}.${m[2]}.${m[3]}`, ...(engine === undefined ? {} : { engine }) })
  }
  return { nodes: out.sort((a, b) => a.name.localeCompare(b.name)), problems }
}

/**
 * Spreads `count` new backends over `nodes`: each goes to the node with the fewest backends so far
 * (`load`, by node id), ties broken by name, so a group lands evenly and in a repeatable order.
 */
export function spread(nodes: readonly BackendNode[], count: number, load: ReadonlyMap<string, number> = new Map()): BackendNode[] {
  if (nodes.length === 0) return []
  const counts = new Map(nodes.map((n) => [n.id, load.get(n.id) ?? 0]))
  const out: BackendNode[] = []
  for (let i = 0; i < count; i++) {
    let best = nodes[0]!
    for (const n of nodes) if (counts.get(n.id)! < counts.get(best.id)!) best = n
    counts.set(best.id, counts.get(best.id)! + 1)
    out.push(best)
  }
  return out
}

/** The lowest free address `prefix.2`–`prefix.254` (`.1` is left to the node itself), or undefined. */
export function freeAddress(prefix: string, taken: ReadonlySet<string>): string | undefined {
  for (let i = 2; i <= 254; i++) {
    const a = `${prefix}.${i}`
    if (!taken.has(a)) return a
  }
  return undefined
}
