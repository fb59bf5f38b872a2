/**
 * A backend as a Swarm service, as a pure function of its spec: one service per backend, one
 * replica, pinned to the node chosen for it, on that node's host network.
 *
 * Why host networking on a per-backend address, and not published ports or `dnsrr` on an overlay:
 * - the testbed's contract is one address per backend with fixed ports, kept across restarts; a
 *   host-network task binds its own address of its node's backend subnet, exactly like a process
 *   backend binds its own 127.a.b.c;
 * - Swarm's VIP and ingress routing mesh need IPVS, which this kernel lacks; host-mode published
 *   ports would work but give every backend on a node the same address and its own ports;
 * - an overlay with `dnsrr` answers only inside the overlay: a balancer (or load agent) outside it
 *   could not reach the tasks, and UDP backends would lose their fixed addresses on every restart.
 */
import { CONFIG_ENV } from '../../backend/backend-config.js'
import { backendConfigFor } from '../backend-launch.js'
import { LABELS, ownerLabels } from '../docker-engine.js'
import type { BackendSpec } from '../types.js'
import type { BackendNode } from './swarm-nodes.js'

/** Labels on services (and their containers) beyond the docker provider's. */
export const SWARM_LABELS = {
  address: 'layerbench.address',
  node: 'layerbench.node',
} as const

const STOP_GRACE_NS = 5e9

/** Service names allow `[a-zA-Z0-9][a-zA-Z0-9_.-]*` and at most 63 characters. */
export function serviceName(runId: string, id: string, suffix: string): string {
  const clean = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '_')
  const name = `layerbench-${clean(runId)}-${clean(id)}`
  return `${name.slice(0, 63 - suffix.length - 1)}-${suffix}`
}

/** What `createService` is given for `spec` at `host` on `node`. */
export function serviceSpecFor(input: {
  spec: BackendSpec
  host: string
  node: BackendNode
  image: string
  runId: string
  /** The id of the swarm's `host` network. */
  hostNetwork: string
  name: string
}): Record<string, unknown> {
  const { spec, host, node, image, runId } = input
  const labels = {
    [LABELS.marker]: '1',
    [LABELS.run]: runId,
    [LABELS.backend]: spec.id,
    [LABELS.group]: spec.group,
    [SWARM_LABELS.address]: host,
    [SWARM_LABELS.node]: node.name,
    ...ownerLabels(),
  }
  const limits = spec.limits
  return {
    Name: input.name,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Env: [`${CONFIG_ENV}=${JSON.stringify(backendConfigFor(spec, host))}`],
        Labels: labels,
        Init: true,
        StopGracePeriod: STOP_GRACE_NS,
      },
      Resources: {
        Limits: {
          ...(limits?.cpus === undefined ? {} : { NanoCPUs: Math.round(limits.cpus * 1e9) }),
          ...(limits?.memoryMb === undefined ? {} : { MemoryBytes: limits.memoryMb * 2 ** 20 }),
        },
      },
      // A killed backend stays dead until the timeline restarts it, as with the other providers.
      RestartPolicy: { Condition: 'none' },
      Placement: { Constraints: [`node.id==${node.id}`] },
      Networks: [{ Target: input.hostNetwork }],
      ForceUpdate: 0,
    },
    Mode: { Replicated: { Replicas: 1 } },
    UpdateConfig: { Parallelism: 1, Order: 'stop-first', FailureAction: 'continue' },
  }
}

/** The warnings for limits a service cannot carry. */
export function unappliedLimits(spec: BackendSpec): string[] {
  return spec.limits?.cpuset === undefined ? [] : [`backend ${spec.id}: limits.cpuset is not applied by the swarm provider (Swarm services have no CPU set)`]
}
