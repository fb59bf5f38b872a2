import { readdirSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parseEndpoint } from '../../../engine/config/lb-config.js'
import { loadLbConfig, parseLbConfig } from '../../../engine/config/load-lb-config.js'
import { EngineError } from '../../../engine/errors.js'
import type { FilterConfig } from '../../../engine/l7/filters/filter-config.js'

const examples = fileURLToPath(new URL('../../../engine/examples/', import.meta.url))

const issuesOf = (value: unknown): { path: string; message: string }[] => {
  try {
    parseLbConfig(value, 'test')
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError)
    expect((e as EngineError).code).toBe('LB_ERR_INVALID_CONFIG')
    return [...(e as EngineError).issues]
  }
  throw new Error('expected the configuration to be rejected')
}

const minimal = {
  listeners: [{ name: 'web', protocol: 'http', bind: '127.0.0.1:8080', routes: [{ pool: 'p' }] }],
  pools: { p: { backends: [{ host: '127.0.0.1', port: 9000 }] } },
}

describe('balancer configuration', () => {
  it.each(readdirSync(examples).filter((f) => f.endsWith('.yaml')))('example %s is valid', (file) => {
    const config = loadLbConfig(join(examples, file))
    expect(config.listeners.length).toBeGreaterThan(0)
  })

  it('applies defaults for everything left out', () => {
    const c = parseLbConfig(minimal, 'test')
    expect(c.pools.p!.algorithm).toBe('round-robin')
    expect(c.pools.p!.retries).toEqual({ attempts: 2, on: ['connect-failure', 'gateway-error'], budgetPercent: 20, minRetriesPerSecond: 3 })
    expect(c.pools.p!.timeouts).toEqual({ connectMs: 1000, responseMs: 15_000, idleMs: 60_000 })
    expect(c.listeners[0]!.headers.forwarded).toBe(true)
    expect(c.listeners[0]!.limits).toEqual({ maxConnections: 10_000, maxHeadBytes: 16_384, maxHeaders: 100 })
  })

  it('reports every problem at once, each with its path', () => {
    const issues = issuesOf({
      admin: { listen: 'localhost' },
      listeners: [
        { name: 'db', protocol: 'tcp', bind: '127.0.0.1:5432', pool: 'missing', routes: [{ pool: 'p' }] },
        { name: 'db', protocol: 'https', bind: '127.0.0.1:5432', routes: [{ pool: 'p', split: [{ pool: 'p', weight: 1 }] }, { match: { path: { regex: '(' } }, pool: 'p' }] },
        { name: 'edge', protocol: 'tcp', bind: '127.0.0.1:7000', pool: 'web', colour: 'blue' },
        { name: 'w', protocol: 'http', layer: 4, bind: '127.0.0.1:7001', routes: [{ pool: 'p' }] },
      ],
      pools: {
        p: { algorithm: 'fastest', backends: [{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 1 }] },
        web: {
          algorithm: 'maglev',
          algorithmOptions: { tableSize: 1000 },
          hashKey: { source: 'header', name: 'X-User' },
          stickySession: { cookie: 'S' },
          healthCheck: { type: 'tcp', intervalMs: 100, timeoutMs: 200, http: { path: '/' } },
          backends: [{ host: '127.0.0.1', port: 2, backup: true }],
        },
      },
    })
    const paths = issues.map((i) => i.path)
    expect(paths).toEqual(
      expect.arrayContaining([
        'admin.listen',
        'listeners[0].pool',
        'listeners[0].routes',
        'listeners[1].name',
        'listeners[1].bind',
        'listeners[1].tls',
        'listeners[1].routes[0]',
        'listeners[1].routes[1].match.path.regex',
        'listeners[2]',
        'listeners[3].layer',
        'pools.p.algorithm',
        'pools.p.backends[1].id',
        'pools.web.algorithmOptions.tableSize',
        'pools.web.hashKey.source',
        'pools.web.stickySession',
        'pools.web.healthCheck.timeoutMs',
        'pools.web.healthCheck.http',
        'pools.web.backends',
      ]),
    )
    expect(issues.find((i) => i.path === 'listeners[0].pool')!.message).toMatch(/no pool named "missing"/)
    expect(issues.find((i) => i.path === 'listeners[2]')!.message).toMatch(/colour/)
  })

  it('reports address conflicts: a wildcard beside a specific address, the admin API on a listener port, duplicates', () => {
    const listener = (name: string, bind: string, protocol = 'tcp') => ({ name, protocol, bind, pool: 'p' })
    const issues = issuesOf({
      admin: { listen: '127.0.0.1:9100' },
      listeners: [
        listener('any', '0.0.0.0:7000'),
        listener('local', '127.0.0.1:7000'),
        listener('metrics', '127.0.0.1:9100'),
        listener('v6', '[::]:7100'),
        listener('v4', '127.0.0.2:7100'),
        listener('dns', '0.0.0.0:7000', 'udp'),
        listener('ephemeral-a', '127.0.0.1:0'),
        listener('ephemeral-b', '127.0.0.1:0'),
        listener('other', '127.0.0.2:7000'),
      ],
      pools: { p: { backends: [{ host: '127.0.0.1', port: 9000 }] } },
    })
    const byPath = new Map(issues.map((i) => [i.path, i.message]))
    expect(byPath.get('listeners[1].bind')).toMatch(/0\.0\.0\.0:7000.*listener any/)
    expect(byPath.get('admin.listen')).toMatch(/listener metrics/)
    expect(byPath.get('listeners[4].bind')).toMatch(/\[::\]:7100.*listener v6/)
    expect(byPath.get('listeners[8].bind')).toMatch(/listener any/)
    // UDP and TCP ports are separate; port 0 binds a fresh port each time.
    for (const i of [5, 6, 7]) expect(byPath.has(`listeners[${i}].bind`), `listeners[${i}]`).toBe(false)
  })

  it('runs the cross-field checks even when a value elsewhere has the wrong type', () => {
    const issues = issuesOf({
      admin: { listen: '127.0.0.1:7000' },
      listeners: [
        { name: 'a', protocol: 'tcp', bind: '127.0.0.1:7000', pool: 'p' },
        { name: 'b', protocol: 'tcp', bind: '127.0.0.1:7000', pool: 'p' },
      ],
      pools: { p: { backends: [{ host: '127.0.0.1', port: 'nine thousand' }] } },
    })
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['pools.p.backends[0].port', 'listeners[1].bind', 'admin.listen']))
  })

  it('reports pool references and the other cross-field checks beside a type error elsewhere', () => {
    const issues = issuesOf({
      listeners: [
        { name: 'web', protocol: 'http', bind: '127.0.0.1:8080', routes: [{ pool: 'nowhere' }, { split: [{ pool: 'p', weight: 1 }, { pool: 'gone', weight: 1 }] }] },
        { name: 'db', protocol: 'tcp', bind: '127.0.0.1:5432', pool: 'missing', limits: { maxConnections: 'many' } },
        { name: 'web', protocol: 'tcp', bind: '127.0.0.1:5433' },
      ],
      pools: {
        p: { algorithm: 'fastest', backends: [{ host: '127.0.0.1', port: 'nine thousand' }, { id: 'a', host: '127.0.0.1', port: 1 }, { id: 'a', host: '127.0.0.1', port: 2 }] },
      },
    })
    const byPath = new Map(issues.map((i) => [i.path, i.message]))
    // The type errors…
    expect(byPath.get('pools.p.backends[0].port')).toBeDefined()
    expect(byPath.get('listeners[1].limits.maxConnections')).toBeDefined()
    // …and what spans fields, each with its path.
    expect(byPath.get('listeners[0].routes[0].pool')).toMatch(/no pool named "nowhere" \(pools: p\)/)
    expect(byPath.get('listeners[0].routes[1].split[1].pool')).toMatch(/no pool named "gone"/)
    expect(byPath.get('listeners[1].pool')).toMatch(/no pool named "missing"/)
    expect(byPath.get('listeners[2].name')).toMatch(/duplicate listener name "web"/)
    expect(byPath.get('listeners[2].pool')).toMatch(/needs a pool/)
    expect(byPath.get('pools.p.algorithm')).toMatch(/unknown algorithm "fastest"/)
    expect(byPath.get('pools.p.backends[2].id')).toMatch(/duplicate backend "a"/)
    // A value of the wrong type is reported once, as a type error, not again by a cross-field check.
    expect(issues.filter((i) => i.path.startsWith('pools.p.backends[0]'))).toHaveLength(1)
  })

  it('skips a cross-field check whose fields are malformed instead of guessing', () => {
    const issues = issuesOf({
      listeners: [{ name: 'db', protocol: 'tcp', bind: '127.0.0.1:5432', pool: 42 }],
      pools: 'none',
    })
    expect(issues.map((i) => i.path).sort()).toEqual(['listeners[0].pool', 'pools'])
    expect(issues.find((i) => i.path === 'listeners[0].pool')!.message).not.toMatch(/needs a pool|no pool named/)
  })

  it('reports YAML syntax errors with line and column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-config-'))
    const file = join(dir, 'broken.yaml')
    writeFileSync(file, 'listeners:\n  - name: web\n    protocol: [http\n')
    try {
      loadLbConfig(file)
      expect.unreachable()
    } catch (e) {
      expect((e as EngineError).code).toBe('LB_ERR_INVALID_CONFIG')
      expect((e as EngineError).issues[0]!.path).toMatch(/^line \d+, column \d+$/)
    }
  })

  it('relative paths in filters (key files, JWKS, API-key file, access-log file) resolve against the file’s folder, at listener and route level', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-config-'))
    const file = join(dir, 'lb.yaml')
    const auth = (jwt: string) => `{type: auth, jwt: ${jwt}, apiKeys: {keysFile: keys/api.txt}}`
    writeFileSync(
      file,
      [
        'listeners:',
        '  - {name: web, protocol: http, bind: "127.0.0.1:0", routes: [{pool: app, filters: [' + auth('{jwksFile: jwks.json}') + ']}],',
        '     filters: [' + auth('{keys: [{alg: ES256, publicKeyFile: keys/es.pem}]}') + ', {type: access-log, destination: {file: logs/a.log}}, {type: access-log, destination: {file: /abs/b.log}}]}',
        'pools: {app: {backends: [{id: b, host: 127.0.0.1, port: 1}]}}',
        '',
      ].join('\n'),
    )
    const l = loadLbConfig(file).listeners[0]!
    const [listenerAuth, log, absolute] = l.filters! as [Extract<FilterConfig, { type: 'auth' }>, Extract<FilterConfig, { type: 'access-log' }>, Extract<FilterConfig, { type: 'access-log' }>]
    expect(listenerAuth.jwt!.keys![0]).toMatchObject({ publicKeyFile: join(dir, 'keys/es.pem') })
    expect(listenerAuth.apiKeys!.keysFile).toBe(join(dir, 'keys/api.txt'))
    expect(log.destination).toEqual({ file: join(dir, 'logs/a.log') })
    expect(absolute.destination).toEqual({ file: '/abs/b.log' })
    const routeAuth = l.routes![0]!.filters![0] as Extract<FilterConfig, { type: 'auth' }>
    expect(routeAuth.jwt!.jwksFile).toBe(join(dir, 'jwks.json'))
    expect(routeAuth.apiKeys!.keysFile).toBe(join(dir, 'keys/api.txt'))
  })

  it('reports an unreadable file with its own code', () => {
    expect(() => loadLbConfig('/nonexistent/lb.yaml')).toThrow(expect.objectContaining({ code: 'LB_ERR_CONFIG_UNREADABLE' }))
  })

  it.each([
    ['127.0.0.1:80', { host: '127.0.0.1', port: 80 }],
    ['[::1]:8443', { host: '::1', port: 8443 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['127.0.0.1', undefined],
    ['127.0.0.1:65536', undefined],
    ['[zz]:80', undefined],
    [':80', undefined],
  ])('endpoint %s → %j', (text, expected) => {
    expect(parseEndpoint(text)).toEqual(expected)
  })
})

describe('HTTP/2 settings', () => {
  it('defaults: HTTP/2 on for layer 7 listeners with raised windows; pools speak HTTP/1.1 unless told', () => {
    const c = parseLbConfig(minimal, 'test')
    expect(c.listeners[0]!.http2).toMatchObject({ enabled: true, initialWindowSize: 1_048_576, connectionWindowSize: 8_388_608, maxConcurrentStreams: 256 })
    expect(c.pools.p!.protocol).toBe('http1')
    expect(c.pools.p!.http2).toMatchObject({ maxSessionsPerBackend: 4, maxStreamsPerSession: 100, maxRequestsPerSession: 0 })
  })

  it('refuses h2 pools behind a layer 4 listener or with a PROXY header, windows below 64 KB and unknown keys, all at once', () => {
    const issues = issuesOf({
      listeners: [
        { name: 'web', protocol: 'http', bind: '127.0.0.1:8080', routes: [{ pool: 'p' }], http2: { initialWindowSize: 1000, push: true } },
        { name: 'raw', protocol: 'tcp', bind: '127.0.0.1:8081', pool: 'q' },
      ],
      pools: { p: { backends: [{ host: '127.0.0.1', port: 9000 }], protocol: 'h2', proxyProtocol: 'v2' }, q: { backends: [{ host: '127.0.0.1', port: 9001 }], protocol: 'h2' } },
    }).map((i) => i.path)
    expect(issues).toEqual(expect.arrayContaining(['listeners[0].http2.initialWindowSize', 'listeners[0].http2', 'pools.p.proxyProtocol', 'pools.q.protocol']))
  })
})
