/**
 * The reference engine on a node of its own (`run --balancer-node NAME`, swarm lab): the engine
 * process started inside that node's network namespace, its listeners and admin API bound to the
 * node's address, so the load, the balancer and the backends no longer share a network stack.
 */
import { parseEndpoint, type LbConfig } from '../../engine/config/lb-config.js'
import { startEngineProcess, type RunningBalancer } from './balancer-process.js'

/** Where the balancer runs. */
export interface BalancerNode {
  readonly name: string
  /** `/run/netns/…` of the node. */
  readonly netns: string
  /** The node's own address, which its listeners bind. */
  readonly address: string
}

/** `config` with every listener and the admin API bound to `address` (ports kept). */
export function bindTo(config: LbConfig, address: string): LbConfig {
  const moved = (endpoint: string) => `${address}:${parseEndpoint(endpoint)?.port ?? 0}`
  return {
    ...config,
    admin: { listen: moved(config.admin?.listen ?? '127.0.0.1:0') },
    listeners: config.listeners.map((l) => ({ ...l, bind: moved(l.bind) })),
  }
}

/** Starts the engine on `node`: `nsenter --net=<netns>` runs it there, this process still owns it. */
export function startEngineOnNode(node: BalancerNode, config: LbConfig, dir: string, version: string): Promise<RunningBalancer> {
  return startEngineProcess(bindTo(config, node.address), dir, version, { wrap: { command: 'nsenter', args: [`--net=${node.netns}`] } })
}
