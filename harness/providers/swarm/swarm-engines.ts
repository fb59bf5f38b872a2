/**
 * Reaching a swarm's Engines: the manager (`LAYERBENCH_SWARM_HOST`, else `DOCKER_HOST`) and, for
 * faults Swarm has no verb for, each node's own Engine as its `layerbench.engine` label names it.
 * `tcp://` endpoints use TLS as the docker CLI does (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Docker from 'dockerode'

/** Where an endpoint points, parsed. */
export type EngineAddress = { readonly socketPath: string } | { readonly host: string; readonly port: number }

/** `unix:///path` or `tcp://host:port` parsed; `undefined` for anything else. */
export function parseEndpoint(endpoint: string): EngineAddress | undefined {
  if (endpoint.startsWith('unix://')) {
    const socketPath = endpoint.slice('unix://'.length)
    return socketPath.startsWith('/') ? { socketPath } : undefined
  }
  const m = /^tcp:\/\/([^:/]+):(\d{1,5})\/?$/.exec(endpoint)
  if (m === null) return undefined
  const port = Number(m[2])
  return port > 0 && port < 65_536 ? { host: m[1]!, port } : undefined
}

/** The manager endpoint from the environment, if one is set. */
export function managerEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.LAYERBENCH_SWARM_HOST ?? env.DOCKER_HOST
  return value === undefined || value === '' ? undefined : value
}

/** A client of the Engine at `endpoint`; throws for an endpoint it cannot parse. */
export function dockerAt(endpoint: string, env: NodeJS.ProcessEnv = process.env): Docker {
  const address = parseEndpoint(endpoint)
  if (address === undefined) throw new Error(`${endpoint}: expected unix:///path or tcp://host:port`)
  if ('socketPath' in address) return new Docker({ socketPath: address.socketPath })
  const tls = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0'
  if (!tls) return new Docker({ host: address.host, port: address.port, protocol: 'http' })
  const dir = env.DOCKER_CERT_PATH ?? join(env.HOME ?? '', '.docker')
  const read = (f: string) => readFileSync(join(dir, f))
  return new Docker({ host: address.host, port: address.port, protocol: 'https', ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') })
}
