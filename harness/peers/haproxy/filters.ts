import { join } from 'node:path'
import type { ListenerConfig } from '../../../engine/config/lb-config.js'
import type { AccessLogConfig, AuthConfig, RateLimitConfig, SecurityHeadersConfig } from '../../../engine/l7/filters/filter-config.js'
import { securityHeaderPresets } from '../../../engine/l7/filters/security-headers.js'
import { listenerFilters, type FilterInstance } from '../filter-chains.js'
import type { PeerFile } from '../peer-types.js'
import { pcreLiteral } from '../quoting.js'
import { haproxyLiteralFormat, haproxyWord } from './quoting.js'

/**
 * The engine's filters as HAProxy 2.6 rules. Each route's chain becomes rules conditioned on the
 * route's index (`txn.lb_route`), in chain order; a listener entry is one instance for every route
 * inheriting it (one stick table). Security headers go in `http-after-response`, so HAProxy's own
 * answers (its 404, 429, 401, 503…) carry them as the engine's own errors do.
 */
export interface HaproxyFilterRules {
  /** `http-request` rules, after the route is chosen. */
  readonly request: string[]
  readonly afterResponse: string[]
  /** Frontend lines (logging). */
  readonly frontend: string[]
  /** Extra sections (the stick tables), each a list of lines. */
  readonly sections: string[][]
  readonly files: PeerFile[]
}

const ROUTE = 'txn.lb_route'
const IDENTITY = 'txn.lb_id'
/** HAProxy 2.6 tracks three sticky counters per request (sc0…sc2). */
export const HAPROXY_STICK_COUNTERS = 3

/** A stick table's name: one per rate-limit instance. */
export function haproxyRateTable(listenerIndex: number, n: number): string {
  return `lb_rl_${listenerIndex}_${n}`
}

/**
 * A value as one argument of a sample fetch or converter (`jwt_verify(HS256,<here>)`): quoted for
 * the argument parser (`"…"` with `\` escapes), then for the configuration tokenizer, which reads
 * a double-quoted word with the same escapes and expands `$` there.
 */
export function haproxyArgument(s: string): string {
  const inner = `"${s.replace(/[\\"]/g, '\\$&')}"`
  return `"${inner.replace(/[\\"$]/g, '\\$&')}"`
}

/** Milliseconds of a rate limit's window: `burst` requests per window is the configured rate. */
export function rateWindowMs(c: RateLimitConfig): number {
  return Math.max(1, Math.round(((c.burst ?? Math.max(1, Math.ceil(c.ratePerS))) / c.ratePerS) * 1000))
}

export function haproxyFilterRules(l: ListenerConfig, listenerIndex: number, dir: string): HaproxyFilterRules {
  const out: HaproxyFilterRules = { request: [], afterResponse: [], frontend: [], sections: [], files: [] }
  const { chains, instances } = listenerFilters(l)
  if (instances.length === 0) return out
  const tls = l.protocol === 'https'
  chains.forEach((chain, j) => {
    const on = `{ var(${ROUTE}) -m int ${j} }`
    let counter = 0
    for (const f of chain) {
      const c = f.config
      if (c.type === 'auth') out.request.push(...authRules(c, f, on, listenerIndex, dir, out.files))
      else if (c.type === 'rate-limit') out.request.push(...rateRules(c, f, on, listenerIndex, counter++))
      else if (c.type === 'security-headers') out.afterResponse.push(...headerRules(c, on, tls))
    }
  })
  for (const f of instances) {
    const c = f.config
    // Answers before any route matched (the 404, HAProxy's own 400s) get the listener's headers.
    if (c.type === 'security-headers' && f.listener) out.afterResponse.push(...headerRules(c, `!{ var(${ROUTE}) -m found }`, tls))
    if (c.type === 'rate-limit') out.sections.push(rateTable(c, listenerIndex, f.n))
    if (c.type === 'access-log') out.frontend.push(...logLines(c))
  }
  return out
}

function headerRules(c: SecurityHeadersConfig, on: string, tls: boolean): string[] {
  const presets = securityHeaderPresets(c)[tls ? 'tls' : 'plain']
  // set-header replaces every line of the field: the override; otherwise only where the response has none.
  return presets.map((p) => `http-after-response set-header ${p.header.name} ${haproxyLiteralFormat(p.header.value)} if ${on}${c.override ? '' : ` !{ res.hdr(${p.lower}) -m found }`}`)
}

function rateTable(c: RateLimitConfig, listenerIndex: number, n: number): string[] {
  const window = rateWindowMs(c)
  return [`backend ${haproxyRateTable(listenerIndex, n)}`, `  stick-table type string len 256 size ${c.maxKeys} expire ${Math.max(1000, 2 * window)}ms store gpc0,gpc0_rate(${window}ms)`]
}

/** The sample a rate limit keys by; requests without it share the key `-`. */
function rateKey(c: RateLimitConfig): string {
  switch (c.key.source) {
    case 'source-ip':
      return 'src'
    case 'header':
      return `req.fhdr(${c.key.name},1)`
    case 'route':
      return 'str(route)'
    case 'identity':
      return `var(${IDENTITY})`
  }
}

/**
 * A token bucket as HAProxy counts: a sticky counter's `gpc0_rate` over a window of burst/rate
 * seconds, incremented only for requests let through (so, as with the bucket, refused requests use
 * up nothing), refused with 429 once `burst` were let through in the sliding window.
 */
function rateRules(c: RateLimitConfig, f: FilterInstance, on: string, listenerIndex: number, sc: number): string[] {
  const burst = c.burst ?? Math.max(1, Math.ceil(c.ratePerS))
  const v = `txn.lb_rk${f.n}`
  const retryAfter = Math.max(1, Math.ceil(1 / c.ratePerS))
  return [
    `http-request set-var(${v}) ${rateKey(c)} if ${on}`,
    `http-request set-var(${v}) str(-) if ${on} !{ var(${v}) -m found }`,
    `http-request track-sc${sc} var(${v}) table ${haproxyRateTable(listenerIndex, f.n)} if ${on}`,
    `http-request deny deny_status 429 content-type text/plain string ${haproxyWord('429 Too Many Requests: over the rate limit')} hdr Retry-After ${retryAfter} hdr RateLimit-Limit ${burst} hdr RateLimit-Remaining 0 if ${on} { sc_gpc0_rate(${sc}) ge ${burst} }`,
    `http-request sc-inc-gpc0(${sc}) if ${on}`,
  ]
}

/** A JSON path naming one claim, as jwt_payload_query reads it. */
export function claimPath(claim: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(claim) ? `'$.${claim}'` : undefined
}

/**
 * Auth as HAProxy rules: `txn.lb_a<n>` becomes `key` for a listed API key (an exact match in a
 * pattern file), else `jwt` when a key of the token's `alg` verifies it (`jwt_verify`), then
 * `expired` or `bad` by exp/nbf (with the leeway), iss and aud; what is neither is refused 401
 * with the engine's challenges, a token lacking a required claim 403. The identity (`txn.lb_id`)
 * is the token's `sub` or the key's digest.
 */
function authRules(c: AuthConfig, f: FilterInstance, on: string, listenerIndex: number, dir: string, files: PeerFile[]): string[] {
  const v = `txn.lb_a${f.n}`
  const rules: string[] = []
  const realm = `realm="${c.realm}"`
  const refuse = (status: 401 | 403, challenge: string, text: string, when: string) =>
    `http-request deny deny_status ${status} content-type text/plain string ${haproxyWord(text)} hdr WWW-Authenticate ${haproxyLiteralFormat(challenge)} if ${on} ${when}`
  const keys = c.apiKeys
  if (keys !== undefined) {
    // HAProxy takes several pattern files: the inline keys in one of their own, the key file as it is.
    const patternFiles = keys.keysFile === undefined ? [] : [keys.keysFile]
    if (keys.keys !== undefined) {
      const inline = join(dir, `listener${listenerIndex}-filter${f.n}-keys.txt`)
      files.push({ path: inline, content: `${keys.keys.join('\n')}\n`, secret: true })
      patternFiles.unshift(inline)
    }
    const patterns = `-m str ${patternFiles.map((p) => `-f ${haproxyWord(p)}`).join(' ')}`
    const header = `req.fhdr(${keys.header},1)`
    rules.push(`http-request set-var(${v}) str(key) if ${on} { ${header} ${patterns} }`)
    rules.push(`http-request set-var(${IDENTITY}) ${header},sha2(256),base64 if ${on} { var(${v}) -m str key }`)
    if (keys.query !== undefined) {
      const query = `url_param(${keys.query})`
      rules.push(`http-request set-var(${v}) str(key) if ${on} !{ ${header} -m found } { ${query} ${patterns} }`)
      rules.push(`http-request set-var(${IDENTITY}) ${query},sha2(256),base64 if ${on} { var(${v}) -m str key } !{ ${header} -m found }`)
    }
    if (c.jwt === undefined) {
      const given = keys.query === undefined ? `{ ${header} -m found }` : `{ ${header} -m found } || ${on} !{ var(${v}) -m found } { url_param(${keys.query}) -m found }`
      rules.push(refuse(401, `ApiKey ${realm}, error="invalid_key"`, '401 Unauthorized: the API key is not valid', `!{ var(${v}) -m found } ${given}`))
    }
  }
  const jwt = c.jwt
  if (jwt !== undefined) {
    const isJwt = `{ var(${v}) -m str jwt }`
    ;(jwt.keys ?? []).forEach((k, i) => {
      if (!jwt.algorithms.includes(k.alg)) return
      let key: string
      if (k.alg === 'HS256') key = haproxyArgument(k.secret)
      else if ('publicKeyFile' in k) key = haproxyArgument(k.publicKeyFile)
      else {
        const path = join(dir, `listener${listenerIndex}-filter${f.n}-key${i}.pem`)
        files.push({ path, content: k.publicKey })
        key = haproxyArgument(path)
      }
      rules.push(`http-request set-var(${v}) str(jwt) if ${on} !{ var(${v}) -m found } { http_auth_bearer,jwt_header_query('$.alg') -m str ${k.alg} } { http_auth_bearer,jwt_verify(${k.alg},${key}) -m int 1 }`)
    })
    const leeway = jwt.leewayS
    rules.push(
      `http-request set-var(txn.lb_now) date if ${on} ${isJwt}`,
      `http-request set-var(txn.lb_exp) http_auth_bearer,jwt_payload_query('$.exp','int') if ${on} ${isJwt}`,
      `http-request set-var(${v}) str(expired) if ${on} ${isJwt} { var(txn.lb_exp) -m found } { var(txn.lb_exp),add(${leeway}),sub(txn.lb_now) -m int le 0 }`,
      `http-request set-var(txn.lb_nbf) http_auth_bearer,jwt_payload_query('$.nbf','int') if ${on} ${isJwt}`,
      `http-request set-var(${v}) str(bad) if ${on} ${isJwt} { var(txn.lb_nbf) -m found } { var(txn.lb_nbf),sub(${leeway}),sub(txn.lb_now) -m int gt 0 }`,
    )
    for (const [claim, wanted] of [
      ['iss', jwt.issuer],
      ['aud', jwt.audience],
    ] as const) {
      if (wanted === undefined) continue
      const values = (Array.isArray(wanted) ? wanted : [wanted]).map(haproxyWord).join(' ')
      rules.push(`http-request set-var(${v}) str(bad) if ${on} ${isJwt} !{ http_auth_bearer,jwt_payload_query('$.${claim}') -m str ${values} }`)
    }
    rules.push(
      refuse(401, `Bearer ${realm}`, '401 Unauthorized: credentials required', `!{ var(${v}) -m found } !{ http_auth_bearer -m found }`),
      refuse(401, `Bearer ${realm}, error="invalid_token", error_description="the token has expired"`, '401 Unauthorized: the token has expired', `{ var(${v}) -m str expired }`),
      refuse(401, `Bearer ${realm}, error="invalid_token", error_description="the token is invalid"`, '401 Unauthorized: the token is invalid', `!{ var(${v}) -m str key jwt }`),
    )
    for (const [claim, wanted] of Object.entries(c.requireClaims)) {
      const pattern = haproxyWord(`(^| )${pcreLiteral(wanted)}( |$)`)
      rules.push(refuse(403, `Bearer ${realm}, error="insufficient_scope"`, `403 Forbidden: the token lacks ${claim}=${wanted}`, `${isJwt} !{ http_auth_bearer,jwt_payload_query(${claimPath(claim)}) -m reg ${pattern} }`))
    }
    rules.push(`http-request set-var(${IDENTITY}) http_auth_bearer,jwt_payload_query('$.sub') if ${on} ${isJwt}`)
  } else {
    rules.push(refuse(401, `Bearer ${realm}`, '401 Unauthorized: credentials required', `!{ var(${v}) -m found }`))
  }
  // Claims to headers: a client's own copies go, whatever let the request in.
  Object.entries(c.claimsToHeaders).forEach(([claim, header], k) => {
    const cv = `txn.lb_c${f.n}_${k}`
    rules.push(`http-request del-header ${haproxyWord(header)} if ${on}`)
    rules.push(`http-request set-var(${cv}) http_auth_bearer,jwt_payload_query(${claimPath(claim)}) if ${on} { var(${v}) -m str jwt }`)
    rules.push(`http-request set-header ${haproxyWord(header)} %[var(${cv})] if ${on} { var(${cv}) -m found }`)
  })
  return rules
}

/** JSON: the engine's field names where HAProxy has the value; times in ms. */
const JSON_FORMAT =
  '{"time":"%tr","client":"%ci","method":"%HM","target":"%HU","version":"%HV","status":%ST,"bytes":%B,"route":"%[var(txn.lb_route)]","backend":"%s","headMs":%TR,"connectMs":%Tc,"firstByteMs":%Tr,"totalMs":%Ta}'
const COMBINED_FORMAT = '%ci - - [%trl] "%HM %HU %HV" %ST %B "-" "-" route=%[var(txn.lb_route)] backend=%s head_ms=%TR connect_ms=%Tc first_byte_ms=%Tr total_ms=%Ta'

function logLines(c: AccessLogConfig): string[] {
  return ['log stdout format raw local0 info', `log-format ${haproxyWord(c.format === 'json' ? JSON_FORMAT : COMBINED_FORMAT)}`]
}
