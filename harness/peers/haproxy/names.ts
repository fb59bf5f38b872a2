import { murmur3 } from '../../../engine/balancing/hash.js'

/**
 * Names in the generated HAProxy configuration, derived from the engine's pool and backend names
 * alone, so runtime commands find what the configuration declared.
 */

/** The HAProxy backend serving `pool` in `mode` (a pool reached from both layers has two). */
export function haproxyBackendName(pool: string, mode: 'http' | 'tcp'): string {
  // Pool names have no '.', so these never collide.
  return `${mode === 'http' ? 'l7' : 'l4'}.${pool}`
}

/** The HAProxy frontend of a listener. */
export function haproxyFrontendName(listener: string): string {
  return `listener.${listener}`
}

/** The HAProxy server name of a backend id: the id itself when HAProxy allows it, else a cleaned id with a hash of the original. */
export function haproxyServerName(id: string): string {
  if (/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) return id
  const clean = id.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 48)
  return `${clean}_${murmur3(id).toString(16).padStart(8, '0')}`
}

/** The variable holding a pool's hash key (pools are numbered in configuration order). */
export function haproxyKeyVariable(poolIndex: number): string {
  return `txn.lbkey${poolIndex}`
}

/** The map from server name to `host:port`, for the Host header of HTTP health checks. */
export function haproxyCheckHostMap(dir: string, backend: string): string {
  return `${dir}/check-host.${backend}.map`
}

/** The engine's default Host for an HTTP health check: the backend's `host:port`, IPv6 bracketed. */
export function checkHostHeader(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`
}
