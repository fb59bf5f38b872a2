/**
 * What a crashed owner left on a swarm: layerbench services whose owner process is dead, removed on
 * the manager, and their containers force-removed on every node whose Engine is labelled.
 */
import { LABELS, ownerFromLabels, pingProblem } from '../docker-engine.js'
import { ownerAlive } from '../run-state.js'
import { dockerAt, parseEndpoint } from './swarm-engines.js'
import { NODE_LABELS, type SwarmNodeInfo } from './swarm-nodes.js'

/** Removes the services (and their containers) of dead owners on the swarm managed at `endpoint`; 0 when it does not answer. */
export async function reapSwarm(endpoint: string, log: (line: string) => void): Promise<number> {
  if (parseEndpoint(endpoint) === undefined) return 0
  const manager = dockerAt(endpoint)
  if ((await pingProblem(manager, 2000)) !== undefined) return 0
  const services = (await manager.listServices({ filters: { label: [`${LABELS.marker}=1`] } }).catch(() => [])) as { ID: string; Spec?: { Name?: string; Labels?: Record<string, string> } }[]
  const dead = services.filter((s) => {
    const owner = ownerFromLabels(s.Spec?.Labels)
    return owner !== undefined && !ownerAlive(owner)
  })
  if (dead.length === 0) return 0
  let removed = 0
  for (const s of dead) {
    try {
      await manager.getService(s.ID).remove()
      removed++
      log(`removed swarm service ${s.Spec?.Name ?? s.ID} left by dead process ${s.Spec?.Labels?.[LABELS.owner] ?? '?'}`)
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) log(`cannot remove swarm service ${s.ID}: ${(e as Error).message}`)
    }
  }
  const ids = new Set(dead.map((s) => s.ID))
  const nodes = (await manager.listNodes().catch(() => [])) as SwarmNodeInfo[]
  await Promise.allSettled(
    nodes.map(async (n) => {
      const engine = n.Spec?.Labels?.[NODE_LABELS.engine]
      if (engine === undefined || parseEndpoint(engine) === undefined) return
      const docker = dockerAt(engine)
      for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABELS.marker}=1`] } })) {
        if (ids.has(c.Labels?.['com.docker.swarm.service.id'] ?? '')) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)
      }
    }),
  )
  return removed
}
