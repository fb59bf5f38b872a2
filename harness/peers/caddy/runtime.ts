import http from 'node:http'
import type { LbConfig } from '../../../engine/config/lb-config.js'
import type { PeerRuntime } from '../peer-driver.js'
import { caddyPoolHandlers, caddyUpstreamIds, upstream } from './config.js'

/** One call to Caddy's admin API; rejects with Caddy's own message on a non-2xx answer. */
export function caddyAdmin(port: number, method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body)
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', ...(data === undefined ? {} : { 'content-length': Buffer.byteLength(data) }) } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve(text) : reject(new Error(`Caddy admin API ${method} ${path}: ${res.statusCode} ${text.trim()}`))))
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`Caddy admin API did not answer ${method} ${path} within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(data)
  })
}

/**
 * Runtime changes through Caddy's admin API: each pool's upstreams are an array in every
 * reverse_proxy that serves it (found by `@id`), so adding appends and removing deletes by index.
 * Caddy has no drain state: a drained backend leaves the arrays (requests in flight finish) and
 * comes back at the end when undrained.
 */
export function caddyRuntime(adminPort: number, config: LbConfig, render: (config: LbConfig) => unknown): PeerRuntime {
  let handlers = new Map<string, string[]>()
  let order = new Map<string, string[]>()
  const drained = new Map<string, { host: string; port: number }>()
  const addresses = new Map<string, { host: string; port: number }>()
  // What the running configuration holds: set at start and by every reload.
  const track = (c: LbConfig) => {
    config = c
    handlers = caddyPoolHandlers(c)
    order = new Map(Object.entries(c.pools).map(([name, p]) => [name, caddyUpstreamIds(p)]))
    drained.clear()
    addresses.clear()
    for (const [name, p] of Object.entries(c.pools)) for (const [k, b] of p.backends.entries()) addresses.set(`${name}/${order.get(name)![k]}`, b)
  }
  track(config)
  // Changes one at a time: indexes shift with every removal.
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const next = queue.catch(() => {}).then(f)
    queue = next
    return next
  }
  const poolOf = (pool: string) => {
    const ids = order.get(pool)
    if (ids === undefined) throw new Error(`no pool named "${pool}"`)
    return { ids, spec: config.pools[pool]!, handlers: handlers.get(pool)! }
  }
  const append = async (pool: string, id: string, host: string, port: number) => {
    const p = poolOf(pool)
    for (const h of p.handlers) await caddyAdmin(adminPort, 'POST', `/id/${h}/upstreams`, upstream(p.spec, host, port))
    p.ids.push(id)
    addresses.set(`${pool}/${id}`, { host, port })
  }
  const remove = async (pool: string, id: string) => {
    const p = poolOf(pool)
    const index = p.ids.indexOf(id)
    if (index < 0) throw new Error(`pool ${pool} has no backend ${id}`)
    for (const h of p.handlers) await caddyAdmin(adminPort, 'DELETE', `/id/${h}/upstreams/${index}`)
    p.ids.splice(index, 1)
  }
  return {
    addBackend: (pool, b) => serial(() => append(pool, b.id, b.host, b.port)),
    removeBackend: (pool, id) => serial(() => remove(pool, id)),
    setDraining: (pool, id, draining) =>
      serial(async () => {
        const key = `${pool}/${id}`
        if (draining) {
          if (drained.has(key)) return
          await remove(pool, id)
          drained.set(key, addresses.get(key)!)
        } else {
          const at = drained.get(key)
          if (at === undefined) return
          drained.delete(key)
          await append(pool, id, at.host, at.port)
        }
      }),
    async metrics() {
      // Requests in flight and recent failures per upstream address. Caddy counts requests and
      // statuses per server only with its `metrics` option on, which costs it CPU on every request:
      // left off, so its figures are those of its defaults and no listener is observed.
      const list = JSON.parse(await caddyAdmin(adminPort, 'GET', '/reverse_proxy/upstreams')) as { address: string; num_requests: number; fails: number }[]
      return { source: 'caddy admin API /reverse_proxy/upstreams', listeners: {}, counters: Object.fromEntries(list.flatMap((u) => [[`${u.address} requests in flight`, u.num_requests], [`${u.address} fails`, u.fails]])) }
    },
    reload: (next) =>
      serial(async () => {
        await caddyAdmin(adminPort, 'POST', '/load', render(next))
        track(next)
      }),
  }
}
