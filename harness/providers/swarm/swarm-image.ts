/**
 * The backend image on every node, without a registry: made present on the first node that lacks
 * it (an existing image, or built as the docker provider builds it), then streamed from there into
 * every other node's Engine (`GET /images/{name}/get` into `POST /images/load`).
 */
import type Docker from 'dockerode'
import { backendImagePlan, ensureBackendImage, followProgress, imageExists } from '../backend-image.js'

/** Makes the current backend image present on every one of `engines`; returns its name and what it took. */
export async function distributeBackendImage(
  engines: readonly { name: string; docker: Docker }[],
  options: { build?: 'auto' | 'registry' | 'offline'; log?: (line: string) => void } = {},
): Promise<{ name: string; loaded: string[]; seconds: number }> {
  const log = options.log ?? (() => {})
  const started = Date.now()
  const name = backendImagePlan().name
  const present = await Promise.all(engines.map((e) => imageExists(e.docker, name)))
  let source = engines.find((_, i) => present[i])
  if (source === undefined) {
    source = engines[0]
    if (source === undefined) throw new Error('no node engine to put the backend image on')
    await ensureBackendImage(source.docker, { build: options.build ?? 'auto', log })
  }
  const from = source
  const missing = engines.filter((e, i) => !present[i] && e !== from)
  // One at a time: each transfer is a hundred MiB through this host's memory.
  for (const target of missing) {
    const tar = await from.docker.getImage(name).get()
    await followProgress(target.docker, await target.docker.loadImage(tar))
    log(`loaded ${name} into node ${target.name} from node ${from.name}`)
  }
  return { name, loaded: missing.map((m) => m.name), seconds: (Date.now() - started) / 1000 }
}
