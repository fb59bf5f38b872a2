import { join } from 'node:path'
import { parseEndpoint, type LbConfig, type ListenerConfig, type PoolConfig } from '../../../engine/config/lb-config.js'
import { checkHostHeader, haproxyBackendName, haproxyCheckHostMap, haproxyFrontendName, haproxyKeyVariable, haproxyServerName } from './names.js'
import { haproxyFilterRules } from './filters.js'
import { haproxyHttpRules, keyFetch } from './routes.js'
import { haproxyAddress, haproxyServerOptions, haproxyWeights } from './server.js'
import { algorithmOf, backendId, isKeyed, poolUsage } from '../pool-usage.js'
import type { PeerConfigInput, PeerConfigOutput, PeerFile } from '../peer-types.js'
import { ms } from '../quoting.js'
import { haproxyLiteralFormat, haproxyWord } from './quoting.js'

/** Where the runtime API listens, inside the run directory. */
export function haproxySocketPath(dir: string): string {
  return join(dir, 'admin.sock')
}

/**
 * The master's CLI (`-S`): commands prefixed `@1` reach the current worker, also while a worker a
 * reload replaced is still finishing its connections (and still answering on `admin.sock`).
 */
export function haproxyMasterSocketPath(dir: string): string {
  return join(dir, 'master.sock')
}

/**
 * An HAProxy 2.6 configuration for `input.config`: one thread, one frontend per listener, one
 * backend per pool and mode, an admin socket for runtime changes. Pure: the certificates come
 * resolved in the input, and every file to write is in the output (HAProxy reads a certificate
 * and its key from one PEM).
 */
export function haproxyConfig(input: PeerConfigInput): PeerConfigOutput {
  const { config, dir } = input
  const files: PeerFile[] = []
  const lines: string[] = [...globalSection(config, dir), '', ...defaultsSection()]
  const sections: string[][] = []
  config.listeners.forEach((l, i) => lines.push('', ...frontend(input, l, i, files, sections)))
  const usage = poolUsage(config)
  Object.entries(config.pools).forEach(([name, pool], index) => {
    const u = usage.get(name)!
    // An unused pool still gets a backend, so runtime changes to it succeed as they do on the engine.
    const modes: ('http' | 'tcp')[] = [...(u.l7 || !u.stream ? ['http' as const] : []), ...(u.stream ? ['tcp' as const] : [])]
    for (const mode of modes) lines.push('', ...backend(name, pool, index, mode, dir, files))
  })
  for (const section of sections) lines.push('', ...section)
  const configPath = join(dir, 'haproxy.cfg')
  const text = `${lines.join('\n')}\n`
  // HS256 secrets are written into the rules themselves.
  const secret = config.listeners.some((l) => [...(l.filters ?? []), ...(l.routes ?? []).flatMap((r) => r.filters ?? [])].some((c) => c.type === 'auth'))
  return { configPath, text, files: [{ path: configPath, content: text, ...(secret ? { secret } : {}) }, ...files] }
}

function globalSection(config: LbConfig, dir: string): string[] {
  const maxHead = Math.max(...config.listeners.map((l) => l.limits.maxHeadBytes))
  const maxHeaders = Math.max(...config.listeners.map((l) => l.limits.maxHeaders))
  return [
    'global',
    '  nbthread 1',
    // No global maxconn: HAProxy derives it from the descriptor limit; each frontend has its own.
    `  stats socket ${haproxyWord(haproxySocketPath(dir))} mode 600 level admin`,
    '  stats timeout 1m',
    // HAProxy keeps tune.maxrewrite (1024) of each buffer for header edits.
    `  tune.bufsize ${Math.max(16_384, maxHead + 1024)}`,
    `  tune.http.maxhdr ${Math.min(32_767, maxHeaders)}`,
  ]
}

function defaultsSection(): string[] {
  return ['defaults', '  timeout connect 5s', '  timeout client 60s', '  timeout server 60s', '  timeout check 5s']
}

function frontend(input: PeerConfigInput, l: ListenerConfig, index: number, files: PeerFile[], sections: string[][]): string[] {
  const http = l.routes !== undefined
  const host = parseEndpoint(l.bind)!.host
  const port = input.ports[l.name]
  if (port === undefined) throw new Error(`no port for listener ${l.name}`)
  let bind = `bind ${haproxyAddress(host, port)}`
  if (l.protocol === 'https') {
    const certificates = input.certificates?.[l.name] ?? []
    if (certificates.length === 0) throw new Error(`no certificates resolved for listener ${l.name}`)
    const paths = certificates.map((c, k) => {
      const path = join(input.dir, `listener${index}-cert${k}.pem`)
      files.push({ path, content: `${c.cert.trim()}\n${c.key.trim()}\n`, secret: true })
      return path
    })
    bind += ` ssl ${paths.map((p) => `crt ${haproxyWord(p)}`).join(' ')} alpn http/1.1`
  }
  const out = [
    `frontend ${haproxyFrontendName(l.name)}`,
    `  mode ${http ? 'http' : 'tcp'}`,
    `  ${bind}`,
    `  maxconn ${l.limits.maxConnections}`,
    `  timeout client ${ms(l.timeouts.idleMs)}`,
  ]
  if (http) out.push(`  timeout http-request ${ms(l.timeouts.requestHeadMs)}`, `  timeout http-keep-alive ${ms(l.timeouts.idleMs)}`)
  if (l.proxyProtocol !== undefined) {
    // Trusted sources must send a PROXY header; everyone else connects plainly, as on the engine.
    out.push(`  tcp-request connection expect-proxy layer4 if { src ${l.proxyProtocol.trustedSources.join(' ')} }`)
  }
  if (http) {
    const filters = haproxyFilterRules(l, index, input.dir)
    files.push(...filters.files)
    sections.push(...filters.sections)
    return [...out, ...filters.frontend.map((r) => `  ${r}`), ...haproxyHttpRules(input.config, l, filters).map((r) => `  ${r}`)]
  }
  if (l.protocol === 'tls') {
    out.push(`  tcp-request inspect-delay ${ms(l.timeouts.handshakeMs)}`, '  tcp-request content accept if { req_ssl_hello_type 1 }', '  tcp-request content reject')
    for (const route of l.sni ?? []) {
      const exact = route.serverNames.filter((n) => !n.startsWith('*.')).map((n) => n.toLowerCase())
      const suffixes = route.serverNames.filter((n) => n.startsWith('*.')).map((n) => n.slice(1).toLowerCase())
      const target = haproxyBackendName(route.pool, 'tcp')
      if (exact.length > 0) out.push(`  use_backend ${target} if { req_ssl_sni -i ${exact.map(haproxyWord).join(' ')} }`)
      if (suffixes.length > 0) out.push(`  use_backend ${target} if { req_ssl_sni -i -m end ${suffixes.map(haproxyWord).join(' ')} }`)
    }
  }
  out.push(`  default_backend ${haproxyBackendName(l.pool!, 'tcp')}`)
  return out
}

function backend(name: string, pool: PoolConfig, poolIndex: number, mode: 'http' | 'tcp', dir: string, files: PeerFile[]): string[] {
  const be = haproxyBackendName(name, mode)
  const out = [`backend ${be}`, `  mode ${mode}`, ...balance(pool, poolIndex, mode).map((b) => `  ${b}`)]
  if (pool.backends.some((b) => b.backup)) out.push('  option allbackups')
  out.push(`  timeout connect ${ms(pool.timeouts.connectMs)}`)
  if (mode === 'http') out.push(`  timeout server ${ms(pool.timeouts.responseMs)}`, `  timeout tunnel ${ms(pool.timeouts.idleMs)}`, `  timeout queue ${ms(pool.timeouts.responseMs)}`)
  else out.push(`  timeout server ${ms(pool.timeouts.idleMs)}`, `  timeout queue ${ms(pool.timeouts.connectMs)}`)
  out.push(...retries(pool, mode).map((r) => `  ${r}`))
  if (mode === 'http') out.push(`  http-reuse ${pool.keepAlive.maxIdlePerBackend > 0 ? 'always' : 'never'}`)
  const hc = pool.healthCheck
  if (hc !== undefined) {
    out.push(`  timeout check ${ms(hc.timeoutMs)}`)
    if (hc.type === 'http') {
      const h = hc.http
      let host: string
      if (h?.host !== undefined) host = haproxyLiteralFormat(h.host)
      else {
        // The engine's default Host is the backend's host:port; HAProxy reads it from a map by server name.
        const map = haproxyCheckHostMap(dir, be)
        files.push({ path: map, content: pool.backends.map((b) => `${haproxyServerName(backendId(b))} ${checkHostHeader(b.host, b.port)}\n`).join('') })
        host = `%[srv_name,map(${map})]`
      }
      out.push('  option httpchk', `  http-check send meth ${h?.method ?? 'GET'} uri ${haproxyWord(h?.path ?? '/health')} ver HTTP/1.1 hdr Host ${host}`)
      out.push(`  http-check expect status ${(h?.expectStatus ?? [[200, 399]]).map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',')}`)
      if (h?.bodyContains !== undefined) out.push(`  http-check expect string ${haproxyWord(h.bodyContains)}`)
    }
  }
  const s = pool.stickySession
  if (mode === 'http' && s !== undefined) {
    const attrs = [s.httpOnly ? 'httponly' : '', s.maxAgeS !== undefined ? `attr ${haproxyWord(`Max-Age=${s.maxAgeS}`)}` : ''].filter(Boolean)
    out.push(`  cookie ${s.cookie} insert indirect nocache${attrs.map((a) => ` ${a}`).join('')}`)
  }
  const weights = haproxyWeights(pool)
  for (const b of pool.backends) {
    const id = backendId(b)
    out.push(`  server ${haproxyServerName(id)} ${haproxyAddress(b.host, b.port)} ${haproxyServerOptions(pool, mode, { ...b, id }, weights).join(' ')}`)
  }
  return out
}

/** `balance` and what it needs: key variables, their random fallback, the hash type. */
function balance(pool: PoolConfig, poolIndex: number, mode: 'http' | 'tcp'): string[] {
  const algorithm = algorithmOf(pool)
  switch (algorithm) {
    case 'round-robin':
    case 'smooth-weighted-round-robin':
      return ['balance roundrobin']
    case 'weighted-random':
      return ['balance random(1)']
    case 'least-connections':
      return ['balance leastconn']
    case 'p2c':
      return [`balance random(${(pool.algorithmOptions as { choiceCount?: number }).choiceCount ?? 2})`]
    default:
      break
  }
  if (!isKeyed(algorithm)) throw new Error(`HAProxy cannot run ${algorithm}`)
  const consistent = 'hash-type consistent sdbm avalanche'
  const key = pool.hashKey
  if (key === undefined) return ['balance random(1)']
  if (key.source === 'source-ip') return ['balance source', consistent]
  if (key.source === 'source-address') return ['tcp-request content set-var(txn.lb_sport) src_port', 'balance hash src,concat(:,txn.lb_sport)', consistent]
  if (mode === 'tcp' || keyFetch(pool) === undefined) return ['balance source', consistent]
  // The frontend stored the key as received; a request without it is placed at random, as on the engine.
  const v = haproxyKeyVariable(poolIndex)
  return [`http-request set-var(${v}) rand unless { var(${v}) -m found }`, `balance hash var(${v})`, consistent]
}

function retries(pool: PoolConfig, mode: 'http' | 'tcp'): string[] {
  const r = pool.retries
  const onConnect = r.on.includes('connect-failure')
  const onGateway = mode === 'http' && r.on.includes('gateway-error')
  if (r.attempts === 0 || (!onConnect && !onGateway)) return ['retries 0']
  const out = [`retries ${r.attempts}`, 'option redispatch 1']
  if (mode === 'http') {
    // Like the engine: connect failures for every request; a connection closed before any answer
    // (the backend died, or dropped a kept-alive connection) and 502/503 answers only for
    // idempotent requests without a body.
    out.push(`retry-on ${[...(onConnect ? ['conn-failure', 'empty-response'] : []), ...(onGateway ? ['502', '503'] : [])].join(' ')}`)
    out.push('http-request disable-l7-retry if !{ method GET HEAD OPTIONS TRACE PUT DELETE } || { req.hdr_val(content-length) gt 0 } || { req.hdr(transfer-encoding) -m found }')
  }
  return out
}

