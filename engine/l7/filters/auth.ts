import { createHash, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import type { HttpHeader } from '../../http/http-head.js'
import { queryParam } from '../../routing/request-target.js'
import type { AuthConfig } from './filter-config.js'
import type { Filter, FilterAnswer, FilterContext, FilterEnv } from './filter.js'

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64')

/** Digests of the configured API keys: a lookup compares digests, so its timing says nothing about the keys themselves. */
function apiKeyDigests(c: NonNullable<AuthConfig['apiKeys']>): Set<string> {
  const keys = [...(c.keys ?? [])]
  if (c.keysFile !== undefined) {
    for (const line of readFileSync(c.keysFile, 'utf8').split('\n')) {
      const k = line.trim()
      if (k !== '' && !k.startsWith('#')) keys.push(k)
    }
  }
  return new Set(keys.map(sha256))
}

/** The key lookup jose verifies with: a JWKS file, or local keys chosen by kid, then alg. */
function keyResolver(c: NonNullable<AuthConfig['jwt']>): JWTVerifyGetKey {
  if (c.jwksFile !== undefined) return createLocalJWKSet(JSON.parse(readFileSync(c.jwksFile, 'utf8')) as JSONWebKeySet)
  const keys = c.keys!.map((k) => ({
    alg: k.alg,
    kid: k.kid,
    key: k.alg === 'HS256' ? createSecretKey(Buffer.from(k.secret, 'utf8')) : createPublicKey('publicKey' in k ? k.publicKey : readFileSync(k.publicKeyFile, 'utf8')),
  }))
  return (header) => {
    const found = keys.find((k) => k.alg === header.alg && (header.kid === undefined || k.kid === undefined || k.kid === header.kid))
    if (found === undefined) throw new joseErrors.JWKSNoMatchingKey()
    return found.key as KeyObject
  }
}

/** The bearer token of an Authorization header, if any. */
function bearer(value: string | undefined): string | undefined {
  if (value === undefined || value.length < 8 || value.slice(0, 7).toLowerCase() !== 'bearer ') return undefined
  return value.slice(7).trim()
}

function claimMatches(value: unknown, wanted: string): boolean {
  if (typeof value === 'string') return value === wanted || value.split(' ').includes(wanted)
  if (Array.isArray(value)) return value.includes(wanted)
  return value !== undefined && String(value) === wanted
}

/**
 * Authentication offload: a request passes with a valid API key (header or query) or a valid JWT
 * bearer token (signature by local keys or a local JWKS, exp/nbf with leeway, iss, aud), else it is
 * answered 401 with `WWW-Authenticate` (RFC 6750) — or 403 when a valid token lacks a required
 * claim — and never reaches a backend. Chosen claims go to the backend as headers. The request's
 * identity (the token's `sub`, or a digest of the API key) is recorded on its context for the
 * filters after it (a rate limit keyed by `identity`, the access log). Counters:
 * accepted by key and by token, missing, invalid, forbidden.
 */
export function authFilter(config: AuthConfig, env: FilterEnv): Filter {
  const digests = config.apiKeys === undefined ? undefined : apiKeyDigests(config.apiKeys)
  const jwt = config.jwt
  const getKey = jwt === undefined ? undefined : keyResolver(jwt)
  const keyHeader = config.apiKeys?.header.toLowerCase()
  const keyQuery = config.apiKeys?.query
  const claimHeaders = Object.entries(config.claimsToHeaders)
  const stripped = new Set(claimHeaders.map(([, h]) => h.toLowerCase()))
  const required = Object.entries(config.requireClaims)
  const passed = new WeakMap<FilterContext, HttpHeader[]>()
  const counts = { acceptedKey: 0, acceptedToken: 0, missing: 0, invalid: 0, forbidden: 0 }
  const realm = `realm="${config.realm}"`
  const refuse = (status: 401 | 403, challenge: string, what: string): FilterAnswer => ({
    status,
    headers: [
      { name: 'content-type', value: 'text/plain; charset=utf-8' },
      { name: 'WWW-Authenticate', value: challenge },
    ],
    body: `${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}: ${what}\n`,
  })
  const noCredentials = refuse(401, `Bearer ${realm}`, 'credentials required')

  const verify = async (ctx: FilterContext, token: string): Promise<FilterAnswer | undefined> => {
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, getKey!, {
        algorithms: jwt!.algorithms,
        clockTolerance: jwt!.leewayS,
        currentDate: new Date(env.wallMs()),
        ...(jwt!.issuer === undefined ? {} : { issuer: jwt!.issuer }),
        ...(jwt!.audience === undefined ? {} : { audience: jwt!.audience }),
      }))
    } catch (e) {
      counts.invalid++
      ;(ctx.decisions ??= {}).auth = 'invalid'
      const why = e instanceof joseErrors.JWTExpired ? 'the token has expired' : 'the token is invalid'
      return refuse(401, `Bearer ${realm}, error="invalid_token", error_description="${why}"`, why)
    }
    for (const [claim, wanted] of required) {
      if (!claimMatches(payload[claim], wanted)) {
        counts.forbidden++
        ;(ctx.decisions ??= {}).auth = 'forbidden'
        return refuse(403, `Bearer ${realm}, error="insufficient_scope"`, `the token lacks ${claim}=${wanted}`)
      }
    }
    counts.acceptedToken++
    ;(ctx.decisions ??= {}).auth = 'token'
    if (typeof payload.sub === 'string') ctx.identity = `sub:${payload.sub}`
    if (claimHeaders.length > 0) {
      const out: HttpHeader[] = []
      for (const [claim, header] of claimHeaders) {
        const v = payload[claim]
        if (v === undefined) continue
        const text = typeof v === 'string' ? v : JSON.stringify(v)
        // A claim is the issuer's text: one that could split a header line is not passed on.
        if (!/[\r\n\0]/.test(text)) out.push({ name: header, value: text })
      }
      passed.set(ctx, out)
    }
    return undefined
  }

  return {
    name: 'auth',
    onRequest(ctx) {
      if (digests !== undefined) {
        const key = ctx.request.get(keyHeader!) ?? (keyQuery === undefined ? undefined : queryParam(ctx.request.target, keyQuery))
        if (key !== undefined) {
          // Hashed whether or not it is known: accepting and refusing cost the same.
          const digest = sha256(key)
          if (digests.has(digest)) {
            counts.acceptedKey++
            ;(ctx.decisions ??= {}).auth = 'key'
            // A digest's prefix names the key for rate limits and logs without revealing it.
            ctx.identity = `key:${digest.slice(0, 16)}`
            return undefined
          }
          if (getKey === undefined) {
            counts.invalid++
            ;(ctx.decisions ??= {}).auth = 'invalid'
            return refuse(401, `ApiKey ${realm}, error="invalid_key"`, 'the API key is not valid')
          }
        }
      }
      const token = getKey === undefined ? undefined : bearer(ctx.request.get('authorization'))
      if (token === undefined) {
        counts.missing++
        ;(ctx.decisions ??= {}).auth = 'missing'
        return noCredentials
      }
      return verify(ctx, token)
    },
    onUpstreamRequest(ctx, headers) {
      if (stripped.size > 0) {
        let w = 0
        for (let r = 0; r < headers.length; r++) if (!stripped.has(headers[r]!.name.toLowerCase())) headers[w++] = headers[r]!
        headers.length = w
      }
      const add = passed.get(ctx)
      if (add !== undefined) for (const h of add) headers.push(h)
    },
    stats: () => ({ counters: { ...counts } }),
  }
}
