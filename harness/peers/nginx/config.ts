import { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import { parseEndpoint, type LbConfig, type ListenerConfig, type PoolConfig } from '../../../engine/config/lb-config.js'
import { integerWeights, toInteger } from '../integer-weights.js'
import { nginxNeedsLargeMaps } from './filters.js'
import { NginxHttpShared, nginxHttpListener } from './routes.js'
import { NGINX_MAX_WEIGHT, nginxAllowsBackup } from './support.js'
import { algorithmOf, backendId, isKeyed, isWeighted, listenerPools, poolUsage } from '../pool-usage.js'
import type { PeerConfigInput, PeerConfigOutput, PeerFile } from '../peer-types.js'
import { ms, pcreLiteral } from '../quoting.js'
import { NGINX_DOLLAR, nginxHeaderVariable, nginxString } from './quoting.js'

/** Options of the nginx configuration that depend on the installed build. */
export interface NginxBuild {
  /** The stream module to load, when it is a dynamic module (undefined: built in, or not needed). */
  readonly streamModule?: string
}

/** The upstream block of a pool (one namespace in http, one in stream). */
export function nginxUpstreamName(pool: string): string {
  return `pool_${pool}`
}

/**
 * An nginx configuration for `input.config`: one worker in the foreground, logs on stderr, every
 * path inside the run directory; http listeners in `http { }`, tcp/udp/tls passthrough in
 * `stream { }`. Pure: the certificates come resolved in the input.
 */
export function nginxConfig(input: PeerConfigInput, build: NginxBuild = {}): PeerConfigOutput {
  const { config, dir } = input
  const files: PeerFile[] = []
  const usage = poolUsage(config)
  const l7 = config.listeners.filter((l) => l.routes !== undefined)
  const l4 = config.listeners.filter((l) => l.routes === undefined)
  const connections = Math.min(65_535, Math.max(1024, 2 * config.listeners.reduce((a, l) => a + l.limits.maxConnections, 0) + 64))
  const lines: string[] = []
  if (l4.length > 0 && build.streamModule !== undefined) lines.push(`load_module ${nginxString(build.streamModule)};`)
  lines.push(
    'worker_processes 1;',
    'daemon off;',
    'master_process on;',
    'error_log stderr warn;',
    `pid ${nginxString(join(dir, 'nginx.pid'))};`,
    `lock_file ${nginxString(join(dir, 'nginx.lock'))};`,
    // Each proxied connection holds two descriptors; raising the limit needs root, and nginx carries on without it.
    `worker_rlimit_nofile ${2 * connections + 64};`,
    `events { worker_connections ${connections}; }`,
  )
  if (l7.length > 0) {
    const shared = new NginxHttpShared()
    const body: string[] = []
    const maps: string[] = []
    for (const l of l7) {
      const index = config.listeners.indexOf(l)
      const r = nginxHttpListener(config, l, index, shared, nginxUpstreamName, dir)
      maps.push(...r.maps)
      body.push(...httpServers(input, l, index, r.locations, files))
    }
    const upstreams = Object.entries(config.pools).flatMap(([name, pool], i) => (usage.get(name)!.l7 ? httpUpstream(name, pool, i, shared) : []))
    lines.push('http {', ...indent([...httpSettings(config, dir), ...shared.maps, ...maps, ...upstreams, ...body]), '}')
  }
  if (l4.length > 0) {
    const upstreams = Object.entries(config.pools).flatMap(([name, pool]) => {
      const u = usage.get(name)!
      return u.stream || u.udp ? streamUpstream(name, pool) : []
    })
    lines.push('stream {', ...indent([...upstreams, ...l4.flatMap((l) => streamServer(input, l))]), '}')
  }
  const configPath = join(dir, 'nginx.conf')
  const text = `${lines.join('\n')}\n`
  return { configPath, text, files: [{ path: configPath, content: text }, ...files] }
}

function indent(lines: string[]): string[] {
  return lines.map((l) => `  ${l}`)
}

function httpSettings(config: LbConfig, dir: string): string[] {
  const temp = (what: string) => `${what}_temp_path ${nginxString(join(dir, 'temp', what))};`
  const underscores = config.listeners.some((l) => l.routes?.some((r) => r.match.headers?.some((h) => h.name.includes('_'))))
  return [
    'access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp),
    'keepalive_requests 1000000;',
    ...(underscores ? ['underscores_in_headers on;'] : []),
    // Thousands of API keys in a map, some long: sized before the first map, where nginx fixes them.
    ...(nginxNeedsLargeMaps(config.listeners) ? ['map_hash_max_size 262144;', 'map_hash_bucket_size 256;'] : []),
    `geo $${NGINX_DOLLAR} { default "$"; }`,
    'map $http_x_request_id $lb_request_id { "" $request_id; default $http_x_request_id; }',
    'map $http_upgrade $lb_connection { "" ""; default upgrade; }',
  ]
}

function listenAddress(l: ListenerConfig, input: PeerConfigInput): string {
  const host = parseEndpoint(l.bind)!.host
  const port = input.ports[l.name]
  if (port === undefined) throw new Error(`no port for listener ${l.name}`)
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

function realIp(l: ListenerConfig): string[] {
  if (l.proxyProtocol === undefined) return []
  return [...l.proxyProtocol.trustedSources.map((c) => `set_real_ip_from ${c};`), ...(l.routes !== undefined ? ['real_ip_header proxy_protocol;'] : [])]
}

/** One server block, or one per certificate so that SNI picks the certificate (the first is the default). */
function httpServers(input: PeerConfigInput, l: ListenerConfig, index: number, locations: string[], files: PeerFile[]): string[] {
  const listen = `listen ${listenAddress(l, input)}${l.protocol === 'https' ? ' ssl' : ''}${l.proxyProtocol !== undefined ? ' proxy_protocol' : ''}`
  const common = [
    ...realIp(l),
    `client_header_timeout ${ms(l.timeouts.requestHeadMs)};`,
    `lingering_time ${ms(l.timeouts.lingerMs)};`,
    `client_body_timeout ${ms(l.timeouts.idleMs)};`,
    `send_timeout ${ms(l.timeouts.idleMs)};`,
    `keepalive_timeout ${ms(l.timeouts.idleMs)};`,
    `large_client_header_buffers 4 ${Math.max(1024, l.limits.maxHeadBytes)};`,
    ...locations,
  ]
  if (l.protocol !== 'https') return ['server {', ...indent([`${listen};`, 'server_name _;', ...common]), '}']
  const certificates = input.certificates?.[l.name] ?? []
  if (certificates.length === 0) throw new Error(`no certificates resolved for listener ${l.name}`)
  return certificates.flatMap((c, k) => {
    const cert = join(input.dir, `listener${index}-cert${k}.pem`)
    const key = join(input.dir, `listener${index}-key${k}.pem`)
    files.push({ path: cert, content: c.cert }, { path: key, content: c.key, secret: true })
    const names = k === 0 ? ['_'] : dnsNames(c.cert)
    if (names.length === 0) return []
    const tls = [`ssl_certificate ${nginxString(cert)};`, `ssl_certificate_key ${nginxString(key)};`]
    return ['server {', ...indent([`${listen}${k === 0 ? ' default_server' : ''};`, `server_name ${names.join(' ')};`, ...tls, ...common]), '}']
  })
}

/** The DNS names of a certificate, for server_name. */
function dnsNames(pem: string): string[] {
  const alt = new X509Certificate(pem).subjectAltName ?? ''
  return alt
    .split(/,\s*/)
    .filter((e) => e.startsWith('DNS:'))
    .map((e) => e.slice(4))
}

/** Server lines (backup flags only where nginx allows them; peerSupport refuses the rest). */
function servers(pool: PoolConfig): string[] {
  const weighted = isWeighted(algorithmOf(pool))
  const { scale } = integerWeights(
    pool.backends.map((b) => b.weight),
    NGINX_MAX_WEIGHT,
  )
  const od = pool.outlierDetection
  // fail_timeout takes whole seconds.
  const fails = od === undefined ? 'max_fails=0' : `max_fails=${od.consecutiveFailures} fail_timeout=${Math.max(1, Math.round(od.baseEjectionMs / 1000))}s`
  return pool.backends.map((b) => {
    const address = b.host.includes(':') && !b.host.startsWith('[') ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`
    const weight = b.weight <= 0 ? 0 : weighted ? toInteger(b.weight, scale, NGINX_MAX_WEIGHT) : 1
    const flags = [weight === 0 ? 'down' : `weight=${weight}`, fails, ...(b.backup && nginxAllowsBackup(pool) ? ['backup'] : [])]
    return `server ${address} ${flags.join(' ')}; # ${backendId(b).replace(/[\r\n]/g, ' ')}`
  })
}

/** The balancing directive (before keepalive, as nginx requires). */
function method(pool: PoolConfig, key: () => string): string[] {
  const algorithm = algorithmOf(pool)
  switch (algorithm) {
    case 'least-connections':
      return ['least_conn;']
    case 'weighted-random':
      return ['random;']
    case 'p2c':
      return ['random two least_conn;']
    case 'round-robin':
    case 'smooth-weighted-round-robin':
      return []
    default:
      if (!isKeyed(algorithm)) throw new Error(`nginx cannot run ${algorithm}`)
      return pool.hashKey === undefined ? ['random;'] : [`hash ${key()} consistent;`]
  }
}

function httpUpstream(name: string, pool: PoolConfig, index: number, shared: NginxHttpShared): string[] {
  const maps: string[] = []
  const key = () => {
    const k = pool.hashKey!
    if (k.source === 'source-ip') return '$remote_addr'
    if (k.source === 'source-address') return '"$remote_addr:$remote_port"'
    const source = k.source === 'header' ? nginxHeaderVariable(k.name!) : k.source === 'cookie' ? shared.cookie(k.name!) : k.source === 'query' ? shared.query(k.name!) : shared.path()
    // A request without the key is placed at random, as on the engine.
    const v = `$lb_key${index}`
    maps.push(`map ${source} ${v} { "" $request_id; default ${source}; }`)
    return v
  }
  const balancing = method(pool, key)
  const keepAlive = pool.keepAlive.maxIdlePerBackend > 0 ? [`keepalive ${pool.keepAlive.maxIdlePerBackend * pool.backends.length};`, `keepalive_timeout ${ms(pool.keepAlive.idleTimeoutMs)};`, 'keepalive_requests 1000000;'] : []
  const body = [...balancing, ...servers(pool), ...keepAlive]
  return [...maps, `upstream ${nginxUpstreamName(name)} {`, ...indent(body), '}']
}

function streamUpstream(name: string, pool: PoolConfig): string[] {
  const balancing = method(pool, () => (pool.hashKey!.source === 'source-address' ? '"$remote_addr:$remote_port"' : '$remote_addr'))
  return [`upstream ${nginxUpstreamName(name)} {`, ...indent([...balancing, ...servers(pool)]), '}']
}

function streamServer(input: PeerConfigInput, l: ListenerConfig): string[] {
  const index = input.config.listeners.indexOf(l)
  const pools = listenerPools(l)
  const main = input.config.pools[l.pool!]!
  const listen = `listen ${listenAddress(l, input)}${l.protocol === 'udp' ? ' udp' : ''}${l.proxyProtocol !== undefined ? ' proxy_protocol' : ''};`
  const out: string[] = []
  const body = [listen, ...realIp(l)]
  if (l.proxyProtocol !== undefined) body.push(`proxy_protocol_timeout ${ms(l.timeouts.handshakeMs)};`)
  if (l.protocol === 'tls') {
    const v = `$lb${index}_sni`
    out.push(`map $ssl_preread_server_name ${v} {`)
    for (const route of l.sni ?? []) {
      const alternatives = route.serverNames.map((n) => (n.startsWith('*.') ? `.+${pcreLiteral(n.slice(1))}` : pcreLiteral(n)))
      out.push(`  ${nginxString(`~*^(?:${alternatives.join('|')})$`)} ${nginxUpstreamName(route.pool)};`)
    }
    out.push(`  default ${nginxUpstreamName(l.pool!)};`, '}')
    body.push('ssl_preread on;', `preread_timeout ${ms(l.timeouts.handshakeMs)};`, `proxy_pass ${v};`)
  } else {
    body.push(`proxy_pass ${nginxUpstreamName(l.pool!)};`)
  }
  const r = main.retries
  const retry = r.attempts > 0 && r.on.includes('connect-failure')
  body.push(
    `proxy_connect_timeout ${ms(main.timeouts.connectMs)};`,
    `proxy_timeout ${ms(l.timeouts.idleMs)};`,
    retry ? 'proxy_next_upstream on;' : 'proxy_next_upstream off;',
    ...(retry ? [`proxy_next_upstream_tries ${r.attempts + 1};`] : []),
  )
  if (pools.some((p) => input.config.pools[p]!.proxyProtocol !== undefined)) body.push('proxy_protocol on;')
  return [...out, 'server {', ...indent(body), '}']
}
