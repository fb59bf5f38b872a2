import { requirePeer, JWT_SECRET } from './peer-fixtures.js'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import { peerAvailable, peerSupport, type PeerName } from '../../../harness/peers/registry.js'
import { startPeer } from '../../../harness/peers/start-peer.js'
import type { RunningBalancer } from '../../../harness/runner/balancer-process.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { get } from './peer-e2e.js'

/** The engine's filters as the peers run them: the answers a client sees (429, 401, 403, the headers), not only the configuration text. */

const dir = mkdtempSync(join(tmpdir(), 'layerbench-peer-filters-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(async () => {
  await closeServers()
})

const KEY = 'peer-key-0123456789abc'
const OTHER_KEY = 'peer-key-abcdefghijklm'

async function started(peer: PeerName, listener: Record<string, unknown>, name: string): Promise<{ balancer: RunningBalancer; port: number; backend: Awaited<ReturnType<typeof httpBackend>> }> {
  const backend = await httpBackend('b', (req, res) => {
    if (req.url === '/own-frame') res.setHeader('x-frame-options', 'DENY')
    return false
  })
  const config = parseLbConfig({ listeners: [{ name: 'web', protocol: 'http', bind: '127.0.0.1:0', routes: [{ match: { host: 'app.test' }, pool: 'p' }], ...listener }], pools: { p: { backends: [{ id: 'b', host: '127.0.0.1', port: backend.port }] } } }, name)
  expect(peerSupport(peer, config).unsupported).toEqual([])
  const balancer = await startPeer(peer, config, join(dir, `${peer}-${name}`))
  return { balancer, port: balancer.listeners.get('web')!.port, backend }
}

const host = { host: 'app.test' }

for (const peer of ['haproxy', 'nginx'] as const) {
  const available = await peerAvailable(peer)
  requirePeer(peer, available)
  describe.skipIf(!available.available)(`${peer} runs the engine's filters`, () => {
    it('security headers on backend answers (a backend’s own value kept) and on its own 404; a rate limit per API key answers 429 with Retry-After, other keys served; API keys refuse 401', async () => {
      const { balancer, port, backend } = await started(
        peer,
        {
          filters: [
            { type: 'auth', apiKeys: { keys: [KEY, OTHER_KEY] } },
            // 0.1 per second: no token comes back while the test runs, however slow the host.
            { type: 'rate-limit', ratePerS: 0.1, burst: 3, key: { source: 'header', name: 'x-api-key' } },
            { type: 'security-headers', frameOptions: 'SAMEORIGIN' },
          ],
        },
        'gateway',
      )
      try {
        const key = (k: string) => ({ ...host, 'x-api-key': k })
        const served = await get(port, '/', key(KEY))
        expect(served.status).toBe(200)
        expect(served.headers['x-content-type-options']).toBe('nosniff')
        expect(served.headers['x-frame-options']).toBe('SAMEORIGIN')
        expect(served.headers['referrer-policy']).toBe('strict-origin-when-cross-origin')
        expect(served.headers['strict-transport-security']).toBeUndefined()
        expect((await get(port, '/own-frame', key(KEY))).headers['x-frame-options']).toBe('DENY')
        expect((await get(port, '/', key(KEY))).status).toBe(200)
        const limited = await get(port, '/', key(KEY))
        expect(limited.status).toBe(429)
        expect(limited.headers['retry-after']).toBe('10')
        expect(limited.headers['ratelimit-limit']).toBe('3')
        expect(limited.headers['x-content-type-options']).toBe('nosniff')
        expect((await get(port, '/', key(OTHER_KEY))).status).toBe(200)
        const missing = await get(port, '/', host)
        expect(missing.status).toBe(401)
        expect(missing.headers['www-authenticate']).toBe('Bearer realm="layerbench"')
        expect(missing.headers['x-content-type-options']).toBe('nosniff')
        const wrong = await get(port, '/', key('not-a-key-0123456789'))
        expect(wrong.status).toBe(401)
        expect(wrong.headers['www-authenticate']).toBe('ApiKey realm="layerbench", error="invalid_key"')
        const none = await get(port, '/', { host: 'other.test' })
        expect(none.status).toBe(404)
        expect(none.headers['x-content-type-options']).toBe('nosniff')
        // Three served by KEY (the fourth refused), one by OTHER_KEY: refusals never reach the backend.
        expect(backend.seen.requests).toBe(4)
      } finally {
        await balancer.stop()
      }
    })

    if (peer === 'nginx') {
      it('access log: one line per request, in the file, once stopped', async () => {
        const file = join(dir, 'nginx-access.log')
        const { balancer, port } = await started(peer, { filters: [{ type: 'access-log', destination: { file } }] }, 'log')
        try {
          for (let i = 0; i < 5; i++) await get(port, `/r/${i}`, host)
          await get(port, '/', { host: 'other.test' })
        } finally {
          await balancer.stop()
        }
        const records = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { status: number; target: string; route: string })
        expect(records.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 404])
        expect(records[0]).toMatchObject({ target: '/r/0', route: 'route-0' })
      })
    }

    if (peer === 'haproxy') {
      it('JWT: HS256 (a secret full of configuration metacharacters) and ES256 pass; expired, tampered and unsigned refused 401; a missing scope 403; claims reach the backend; limits per subject', async () => {
        const es = await generateKeyPair('ES256')
        const { balancer, port, backend } = await started(
          peer,
          {
            filters: [
              {
                type: 'auth',
                jwt: { keys: [{ alg: 'HS256', secret: JWT_SECRET }, { alg: 'ES256', publicKey: await exportSPKI(es.publicKey) }], issuer: 'https://issuer.test', leewayS: 5 },
                claimsToHeaders: { sub: 'X-User' },
                requireClaims: { scope: 'read' },
              },
              { type: 'rate-limit', ratePerS: 0.1, burst: 2, key: { source: 'identity' } },
            ],
          },
          'jwt',
        )
        try {
          const now = Math.floor(Date.now() / 1000)
          const claims = (sub: string, extra: JWTPayload = {}): JWTPayload => ({ iss: 'https://issuer.test', sub, scope: 'read write', exp: now + 600, ...extra })
          const hs = (c: JWTPayload) => new SignJWT(c).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JWT_SECRET))
          const bearer = (t: string) => ({ ...host, authorization: `Bearer ${t}`, 'x-user': 'mallory' })
          const ok = await get(port, '/', bearer(await hs(claims('alice'))))
          expect(ok.status).toBe(200)
          expect((JSON.parse(ok.body) as { headers: Record<string, string> }).headers['x-user']).toBe('alice')
          expect((await get(port, '/', bearer(await new SignJWT(claims('erin')).setProtectedHeader({ alg: 'ES256' }).sign(es.privateKey)))).status).toBe(200)
          const expired = await get(port, '/', bearer(await hs(claims('bob', { exp: now - 60 }))))
          expect(expired.status).toBe(401)
          expect(expired.headers['www-authenticate']).toBe('Bearer realm="layerbench", error="invalid_token", error_description="the token has expired"')
          const good = await hs(claims('carol'))
          const tampered = `${good.slice(0, -4)}AAAA`
          expect((await get(port, '/', bearer(tampered))).status).toBe(401)
          expect((await get(port, '/', bearer(await hs(claims('dave', { iss: 'https://evil.test' }))))).status).toBe(401)
          const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims('eve'))).toString('base64url')}.`
          expect((await get(port, '/', bearer(unsigned))).status).toBe(401)
          expect((await get(port, '/', bearer(await hs(claims('frank', { scope: 'write' }))))).status).toBe(403)
          expect((await get(port, '/', host)).headers['www-authenticate']).toBe('Bearer realm="layerbench"')
          // alice has used one of her two; a new token of hers shares her bucket.
          expect((await get(port, '/', bearer(await hs(claims('alice', { jti: 'second' }))))).status).toBe(200)
          expect((await get(port, '/', bearer(await hs(claims('alice', { jti: 'third' }))))).status).toBe(429)
          expect((await get(port, '/', bearer(await hs(claims('carol'))))).status).toBe(200)
          expect(backend.seen.requests).toBe(4)
        } finally {
          await balancer.stop()
        }
      })
    }
  })
}
