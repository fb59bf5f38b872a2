import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../../engine/runtime/event-log.js'
import { admin, engineFrom, stopEngines } from '../../helpers/engine.js'

afterEach(stopEngines)

const TOKEN = 'a-token-of-sixteen-or-more'
const config = (adminSection: unknown) => ({
  ...(adminSection === undefined ? {} : { admin: adminSection }),
  listeners: [{ name: 'db', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'p' }],
  pools: { p: { backends: [{ id: 'b1', host: '127.0.0.1', port: 9 }] } },
})

async function call(base: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const r = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
  return { status: r.status, body: (await r.json().catch(() => undefined)) as { code?: string } | undefined, headers: r.headers }
}

describe('admin API access', () => {
  it('is off unless the configuration has an admin section', async () => {
    const engine = await engineFrom(config(undefined))
    expect(engine.admin).toBeUndefined()
  })

  it('answers 400, not 500, to a path with a bad percent-escape', async () => {
    const engine = await engineFrom(config({ listen: '127.0.0.1:0' }))
    for (const path of ['/pools/%E0%A4%A/backends', '/pools/p/backends/%zz/drain', '/%']) {
      const r = await admin<{ code: string }>(engine, path, { method: 'POST', body: {} })
      expect(r.status, path).toBe(400)
      expect(r.body.code, path).toBe('LB_ERR_ADMIN_BAD_PATH')
    }
  })

  it('with a token, refuses every mutating request without it (401) and lets reads through', async () => {
    const engine = await engineFrom(config({ listen: '127.0.0.1:0', token: TOKEN }))
    const base = `http://${engine.admin!.host}:${engine.admin!.port}`
    const mutations = [
      { method: 'POST', path: '/pools/p/backends/b1/drain', body: {} },
      { method: 'POST', path: '/pools/p/backends', body: { host: '127.0.0.1', port: 10 } },
      { method: 'DELETE', path: '/pools/p/backends/b1' },
      { method: 'POST', path: '/listeners/db/routes/r/split', body: { weights: {} } },
      { method: 'PUT', path: '/nowhere' },
    ]
    for (const m of mutations) {
      for (const token of [undefined, 'wrong', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
        const r = await call(base, m.path, { ...m, ...(token === undefined ? {} : { token }) })
        expect(r.status, `${m.method} ${m.path} token=${token}`).toBe(401)
        expect(r.body?.code).toBe('LB_ERR_ADMIN_UNAUTHORIZED')
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/)
      }
    }
    // Nothing changed: b1 is not draining and is still there.
    const stats = await call(base, '/stats')
    expect(stats.status).toBe(200)
    const drained = await call(base, '/pools/p/backends/b1/drain', { method: 'POST', token: TOKEN, body: {} })
    expect(drained.status).toBe(200)
    expect(drained.body).toMatchObject({ id: 'b1', draining: true })
    // The token is never shown back.
    const shown = await (await fetch(`${base}/config`)).text()
    expect(shown).not.toContain(TOKEN)
  })

  it('warns, as an engine event, when the admin API binds beyond loopback', async () => {
    const seen: EngineEvent[] = []
    await engineFrom(config({ listen: '0.0.0.0:0' }), { onEvent: (e) => seen.push(e) })
    expect(seen.find((e) => e.type === 'admin-exposed')?.detail).toMatch(/0\.0\.0\.0.*token/)
    const quiet: EngineEvent[] = []
    await engineFrom(config({ listen: '127.0.0.1:0' }), { onEvent: (e) => quiet.push(e) })
    expect(quiet.some((e) => e.type === 'admin-exposed')).toBe(false)
  })
})
