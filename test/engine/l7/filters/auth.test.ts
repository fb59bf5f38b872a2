import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { authFilter } from '../../../../engine/l7/filters/auth.js'
import { authSchema } from '../../../../engine/l7/filters/filter-config.js'
import type { FilterAnswer, FilterContext } from '../../../../engine/l7/filters/filter.js'
import type { HttpHeader } from '../../../../engine/http/http-head.js'
import { engineFrom, listenerAddress, stopEngines } from '../../../helpers/engine.js'
import { closeServers, httpBackend } from '../../../helpers/test-servers.js'
import { destroyAgents, httpListener, poolOf, send } from '../clients.js'
import { filterConformance } from './conformance.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

const dir = mkdtempSync(join(tmpdir(), 'layerbench-auth-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const NOW_S = 1_900_000_000
const env = { nowMs: () => 0, wallMs: () => NOW_S * 1000, requestId: () => 'id' }
const SECRET = 'a-shared-secret-of-at-least-32-characters'
const hs = new TextEncoder().encode(SECRET)

const sign = (claims: JWTPayload, key: Parameters<SignJWT['sign']>[0] = hs, alg = 'HS256', kid?: string) =>
  new SignJWT(claims).setProtectedHeader({ alg, ...(kid === undefined ? {} : { kid }) }).sign(key)

function ctx(headers: Record<string, string>, target = '/'): FilterContext {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  return { request: { target, get: (n: string) => lower[n] }, decisions: undefined } as unknown as FilterContext
}
const make = (c: Record<string, unknown>) => authFilter(authSchema.parse({ type: 'auth', ...c }), env)
const bearer = (t: string) => ({ authorization: `Bearer ${t}` })
const header = (a: FilterAnswer | undefined, name: string) => a?.headers?.find((h) => h.name.toLowerCase() === name)?.value

describe('auth: JWT', () => {
  const jwt = { keys: [{ alg: 'HS256', secret: SECRET }], issuer: 'https://issuer.test', audience: 'api', leewayS: 30 }
  const good = { iss: 'https://issuer.test', aud: 'api', sub: 'user-7', exp: NOW_S + 60 }

  it.each([
    ['valid', good, 'pass'],
    ['expired beyond the leeway', { ...good, exp: NOW_S - 31 }, 'the token has expired'],
    ['expired within the leeway', { ...good, exp: NOW_S - 29 }, 'pass'],
    ['not yet valid (nbf) beyond the leeway', { ...good, nbf: NOW_S + 31 }, 'the token is invalid'],
    ['not yet valid within the leeway', { ...good, nbf: NOW_S + 29 }, 'pass'],
    ['another issuer', { ...good, iss: 'https://evil.test' }, 'the token is invalid'],
    ['another audience', { ...good, aud: 'other' }, 'the token is invalid'],
  ] as const)('%s', async (_what, claims, expected) => {
    const f = make({ jwt })
    const r = await f.onRequest!(ctx(bearer(await sign(claims))))
    if (expected === 'pass') expect(r).toBeUndefined()
    else {
      expect(r?.status).toBe(401)
      expect(header(r, 'www-authenticate')).toBe(`Bearer realm="layerbench", error="invalid_token", error_description="${expected}"`)
    }
  })

  it('records the identity for the filters after it: the token’s subject, or a digest of the API key, never the key', async () => {
    const f = make({ jwt: { keys: [{ alg: 'HS256', secret: SECRET }] }, apiKeys: { keys: ['an-api-key-0123456789'] } })
    const withSub = ctx(bearer(await sign({ sub: 'user-7', exp: NOW_S + 60 })))
    expect(await f.onRequest!(withSub)).toBeUndefined()
    expect(withSub.identity).toBe('sub:user-7')
    const noSub = ctx(bearer(await sign({ exp: NOW_S + 60 })))
    expect(await f.onRequest!(noSub)).toBeUndefined()
    expect(noSub.identity).toBeUndefined()
    const key = ctx({ 'x-api-key': 'an-api-key-0123456789' })
    expect(await f.onRequest!(key)).toBeUndefined()
    expect(key.identity).toMatch(/^key:.{16}$/)
    expect(key.identity).not.toContain('an-api-key')
    const again = ctx({ 'x-api-key': 'an-api-key-0123456789' })
    await f.onRequest!(again)
    expect(again.identity).toBe(key.identity)
  })

  it('a token signed with another secret, an unsigned token and garbage are refused', async () => {
    const f = make({ jwt })
    const other = await sign(good, new TextEncoder().encode('another-secret-of-at-least-32-characters!'))
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(good)).toString('base64url')}.`
    for (const t of [other, none, 'not.a.token']) expect((await f.onRequest!(ctx(bearer(t))))?.status).toBe(401)
  })

  it('no credentials: 401 with a Bearer challenge', async () => {
    const r = (await make({ jwt }).onRequest!(ctx({}))) as FilterAnswer
    expect(r.status).toBe(401)
    expect(header(r, 'www-authenticate')).toBe('Bearer realm="layerbench"')
  })

  it.each([
    ['RS256', { modulusLength: 2048 }],
    ['ES256', {}],
    ['EdDSA', { crv: 'Ed25519' }],
  ] as const)('%s with a local public key, and with a JWKS file', async (alg, options) => {
    const { publicKey, privateKey } = await generateKeyPair(alg, { ...options, extractable: true })
    const token = await sign(good, privateKey, alg, 'k1')
    const pem = await exportSPKI(publicKey)
    expect(await make({ jwt: { ...jwt, keys: [{ alg, publicKey: pem }] } }).onRequest!(ctx(bearer(token)))).toBeUndefined()
    const jwks = join(dir, `${alg}.jwks.json`)
    writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg }] }))
    const { keys: _k, ...rest } = jwt
    expect(await make({ jwt: { ...rest, jwksFile: jwks } }).onRequest!(ctx(bearer(token)))).toBeUndefined()
    // An algorithm not allowed is refused even with the right key.
    expect((await make({ jwt: { ...jwt, keys: [{ alg, publicKey: pem }], algorithms: ['HS256'] } }).onRequest!(ctx(bearer(token))))?.status).toBe(401)
  })

  it('a required claim missing → 403 insufficient_scope; claims go upstream as headers, and a client’s own copies are dropped', async () => {
    const f = make({ jwt, requireClaims: { scope: 'read' }, claimsToHeaders: { sub: 'X-User', scope: 'X-Scope' } })
    const denied = (await f.onRequest!(ctx(bearer(await sign({ ...good, scope: 'write' }))))) as FilterAnswer
    expect(denied.status).toBe(403)
    expect(header(denied, 'www-authenticate')).toBe('Bearer realm="layerbench", error="insufficient_scope"')
    const c = ctx(bearer(await sign({ ...good, scope: 'read write' })))
    expect(await f.onRequest!(c)).toBeUndefined()
    const headers: HttpHeader[] = [{ name: 'x-user', value: 'spoofed' }, { name: 'accept', value: '*/*' }]
    f.onUpstreamRequest!(c, headers)
    expect(headers).toEqual([{ name: 'accept', value: '*/*' }, { name: 'X-User', value: 'user-7' }, { name: 'X-Scope', value: 'read write' }])
    expect(f.stats!().counters).toMatchObject({ acceptedToken: 1, forbidden: 1 })
  })
})

describe('auth: API keys', () => {
  const keys = Array.from({ length: 10_000 }, (_, i) => `key-${i.toString().padStart(6, '0')}-${'x'.repeat(16)}`)
  const file = join(dir, 'keys.txt')
  writeFileSync(file, `# issued keys\n\n${keys.join('\n')}\n`)

  it('a key file of 10 000 keys: any of them passes, by header or query; others are refused', async () => {
    const f = make({ apiKeys: { keysFile: file, query: 'api_key' } })
    expect(await f.onRequest!(ctx({ 'x-api-key': keys[0]! }))).toBeUndefined()
    expect(await f.onRequest!(ctx({ 'x-api-key': keys[9999]! }))).toBeUndefined()
    expect(await f.onRequest!(ctx({}, `/x?api_key=${keys[4242]}`))).toBeUndefined()
    const bad = (await f.onRequest!(ctx({ 'x-api-key': `${keys[0]!}!` }))) as FilterAnswer
    expect(bad.status).toBe(401)
    expect(header(bad, 'www-authenticate')).toBe('ApiKey realm="layerbench", error="invalid_key"')
    expect((await f.onRequest!(ctx({ 'x-api-key': '# issued keys' })))?.status).toBe(401)
    expect(f.stats!().counters).toMatchObject({ acceptedKey: 3, invalid: 2 })
  })

  it('configuration is strict: short keys and secrets, no method, unknown keys are refused', () => {
    expect(() => authSchema.parse({ type: 'auth' })).toThrow()
    expect(() => authSchema.parse({ type: 'auth', apiKeys: { keys: ['short'] } })).toThrow()
    expect(() => authSchema.parse({ type: 'auth', jwt: { keys: [{ alg: 'HS256', secret: 'short' }] } })).toThrow()
    expect(() => authSchema.parse({ type: 'auth', jwt: { keys: [{ alg: 'HS256', secret: SECRET }], jwksFile: 'x' } })).toThrow()
    expect(() => authSchema.parse({ type: 'auth', apiKeys: { keys: [keys[0]] }, extra: 1 })).toThrow()
  })
})

filterConformance('auth', () => make({ apiKeys: { keys: ['a-valid-key-0123456789'] } }), {
  passing: { headers: { 'x-api-key': 'a-valid-key-0123456789' } },
  answered: { status: 401 },
})

describe('auth through the engine', () => {
  it('only authenticated requests reach the backend, with the claims as headers; refusals are counted', async () => {
    const backend = await httpBackend('b')
    const engine = await engineFrom({
      listeners: [httpListener([{ pool: 'app' }], { filters: [{ type: 'auth', jwt: { keys: [{ alg: 'HS256', secret: SECRET }] }, apiKeys: { keys: ['engine-key-0123456789'] }, claimsToHeaders: { sub: 'X-User' } }] })],
      pools: { app: poolOf([backend]) },
    })
    const address = listenerAddress(engine, 'web')
    const token = await sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 })
    const ok = await send(address, '/', { headers: { authorization: `Bearer ${token}`, 'x-user': 'mallory' } })
    expect(ok.status).toBe(200)
    expect(ok.echo().headers['x-user']).toBe('alice')
    expect((await send(address, '/', { headers: { 'x-api-key': 'engine-key-0123456789' } })).status).toBe(200)
    const refused = await send(address, '/', { headers: { 'x-user': 'mallory' } })
    expect(refused.status).toBe(401)
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="layerbench"')
    expect((await send(address, '/', { headers: { authorization: 'Bearer nope' } })).status).toBe(401)
    expect(backend.seen.requests).toBe(2)
    expect(engine.stats().listeners[0]!.filters![0]!.counters).toEqual({ acceptedKey: 1, acceptedToken: 1, missing: 1, invalid: 1, forbidden: 0 })
  })
})
