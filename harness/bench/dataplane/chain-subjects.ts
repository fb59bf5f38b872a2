import { join } from 'node:path'
import { exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { engineWith, type BenchCredentials, type BenchSubject } from './dataplane-subjects.js'

/** Fresh credentials for one bench (tokens valid for a day: longer than any bench). */
export async function benchCredentials(): Promise<BenchCredentials> {
  const hsSecret = 'layerbench-bench-secret-of-32-characters-at-least'
  const es = await generateKeyPair('ES256')
  const claims = { sub: 'bench-user', iss: 'layerbench-bench', exp: Math.floor(Date.now() / 1000) + 86_400 }
  return {
    hsSecret,
    hsToken: await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(hsSecret)),
    esPublicKey: await exportSPKI(es.publicKey),
    esToken: await new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).sign(es.privateKey),
  }
}

/** The reference of every filter row: the same listener with no filter at all. */
export const EMPTY_CHAIN = 'engine-l7-bare'

/** An engine row with one configured filter after an empty chain (no forwarded headers, no request id). */
const withFilter = (name: string, description: string, filter: (ctx: Parameters<BenchSubject['start']>[0]) => Record<string, unknown>, headers?: BenchSubject['requestHeaders']): BenchSubject => ({
  name: `engine-l7+${name}`,
  layer: 7,
  tls: false,
  description: `the empty chain plus ${description}`,
  relativeTo: EMPTY_CHAIN,
  start: engineWith((ctx) => ({ ...BARE, filters: [filter(ctx)] })),
  ...(headers === undefined ? {} : { requestHeaders: headers }),
})

const BARE = { routes: [{ pool: 'backend' }], headers: { forwarded: false, requestId: false } }
const bearer = (token: string) => `Authorization: Bearer ${token}\r\n`

/**
 * The filter chain's own cost: the engine with no filter at all (against the Node floor), and with
 * one filter each against that empty chain, every ratio taken within one repeat. The rate limit is
 * set so high that it refuses nothing: what is measured is its accounting. Auth verifies a token on
 * every request (nothing is cached).
 */
export const CHAIN_SUBJECTS: readonly BenchSubject[] = [
  { name: EMPTY_CHAIN, layer: 7, tls: false, description: 'layerbench engine, http listener, an empty filter chain (no forwarded headers)', relativeTo: 'floor-http', start: engineWith(() => BARE) },
  withFilter('security-headers', 'security-headers (the default preset)', () => ({ type: 'security-headers' })),
  withFilter('rate-limit', 'rate-limit by source address (a rate that refuses nothing)', () => ({ type: 'rate-limit', ratePerS: 1_000_000, burst: 10_000_000 })),
  withFilter('auth-hs256', 'auth: a JWT verified with HS256 on every request', (ctx) => ({ type: 'auth', jwt: { keys: [{ alg: 'HS256', secret: ctx.credentials.hsSecret }] } }), (ctx) => bearer(ctx.credentials.hsToken)),
  withFilter('auth-es256', 'auth: a JWT verified with ES256 on every request', (ctx) => ({ type: 'auth', jwt: { keys: [{ alg: 'ES256', publicKey: ctx.credentials.esPublicKey }] } }), (ctx) => bearer(ctx.credentials.esToken)),
  withFilter('access-log', 'access-log, JSON lines to a file', (ctx) => ({ type: 'access-log', destination: { file: join(ctx.dir, 'bench-access.log') } })),
]
