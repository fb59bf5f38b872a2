import { requirePeer } from './peer-fixtures.js'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import { externalSchema } from '../../../harness/peers/external/external-schema.js'
import { startExternal } from '../../../harness/peers/external/start-external.js'
import { freePort, spawnPeer, stopTree, waitBound } from '../../../harness/peers/peer-process.js'
import { peerAvailable } from '../../../harness/peers/registry.js'
import { Unsupported } from '../../../harness/runner/balancer-process.js'
import type { ResultFile } from '../../../reports/result/result-model.js'
import { layerbench } from '../../helpers/cli.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { backendOf } from './peer-e2e.js'

const work = mkdtempSync(join(tmpdir(), 'layerbench-external-'))
afterAll(async () => {
  await closeServers()
  rmSync(work, { recursive: true, force: true })
})

describe('layerbench validate checks an external template before anything runs', () => {
  it('names unknown placeholders and a listener port the template never writes, exit 2', () => {
    const scenario = join(work, 'bad.yaml')
    writeFileSync(join(work, 'bad.tmpl'), 'listen 127.0.0.1:80\n{{#backends web}}server {{id}} {{adress}}\n{{/backends}}')
    writeFileSync(
      scenario,
      [
        'name: bad',
        'backends: { web: { count: 1 } }',
        'balancer:',
        '  implementation: external',
        '  external: { name: mine, command: [mylb, "{{configFile}}", "{{nope}}"], config: { templateFile: bad.tmpl }, hooks: { drain: { command: [x, "{{backnd}}"] } } }',
        '  listeners: [{ name: web, protocol: http, routes: [{ pool: web }] }]',
        '  pools: { web: { backends: web } }',
        'load: { duration: 1s }',
      ].join('\n'),
    )
    const r = layerbench(['validate', scenario])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('balancer.external.config.template (line 2): {{adress}} is not a placeholder here')
    expect(r.stderr).toContain("the template never writes listener web's port")
    expect(r.stderr).toContain('balancer.external.command[2]: {{nope}} is not a placeholder')
    expect(r.stderr).toContain('balancer.external.hooks.drain: {{backnd}} is not a hook placeholder')
    writeFileSync(join(work, 'bad.tmpl'), 'listen {{listeners.web.address}}\n{{#backends web}}server {{id}} {{address}}\n{{/backends}}')
    writeFileSync(scenario, readFileSync(scenario, 'utf8').replace(', "{{nope}}"', '').replace('{{backnd}}', '{{backend}}'))
    expect(layerbench(['validate', scenario]).code).toBe(0)
  })
})

const haproxy = await peerAvailable('haproxy')
requirePeer('haproxy', haproxy)

describe.skipIf(!haproxy.available)('command + config template: the example runs Debian HAProxy as the user would', () => {
  it('renders, checks, starts, measures and stops it; the drain hook moves traffic; the result is labelled with the name', () => {
    const out = join(work, 'out')
    const r = layerbench(['run', 'scenarios/examples/external-haproxy.yaml', '--provider', 'process', '--out', out], { timeoutMs: 120_000 })
    expect(r.stderr).not.toContain('skipped')
    expect(r.code).toBe(0)
    const result = JSON.parse(readFileSync(join(out, 'external-haproxy', 'result.json'), 'utf8')) as ResultFile
    const run = result.runs[0]!
    expect(run.balancer).toMatchObject({ implementation: 'external', name: 'my-haproxy' })
    expect(result.environment.peers).toEqual({ 'my-haproxy': 'unknown' })
    expect(run.summary.requests.sent).toBe(run.summary.requests.ok + run.summary.requests.failed)
    expect(run.events.filter((e) => e.source === 'timeline').map((e) => e.type)).toEqual(['drain', 'undrain'])
    // A third of the run drained: the drained backend answers clearly fewer than the other.
    expect(run.backends['web-1']!.requests).toBeLessThan(run.backends['web-0']!.requests * 0.8)
    expect(run.cpu.balancerUs).toBeTypeOf('number')
    expect(readFileSync(join(out, 'external-haproxy', 'report.html'), 'utf8')).toContain('my-haproxy')
  })
})

const caddy = await peerAvailable('caddy')
requirePeer('caddy', caddy)

describe.skipIf(!caddy.available)('address + hooks: a Caddy already running, told about backends over its admin API', () => {
  it('announces every backend through add-backend, serves through it, and skips actions without a hook with the reason', async () => {
    const [admin, port] = [await freePort('127.0.0.1'), await freePort('127.0.0.1')]
    const file = join(work, 'caddy.json')
    const route = { handle: [{ handler: 'reverse_proxy', '@id': 'app', upstreams: [] }] }
    writeFileSync(file, JSON.stringify({ admin: { listen: `127.0.0.1:${admin}`, config: { persist: false } }, storage: { module: 'file_system', root: join(work, 'caddy-data') }, apps: { http: { servers: { s: { listen: [`127.0.0.1:${port}`], protocols: ['h1'], automatic_https: { disable: true }, routes: [route] } } } } }))
    const running = spawnPeer('caddy', ['run', '--config', file])
    try {
      await waitBound(running, [{ port, udp: false }, { port: admin, udp: false }], 15_000)
      const [a, b] = [await httpBackend('a'), await httpBackend('b')]
      const spec = externalSchema.parse({
        name: 'their-caddy',
        address: `127.0.0.1:${port}`,
        hooks: { 'add-backend': { http: { method: 'POST', url: `http://127.0.0.1:${admin}/id/app/upstreams`, headers: { 'content-type': 'application/json' }, body: '{"dial": "{{address}}"}' } } },
      })
      const config = parseLbConfig({ listeners: [{ name: 'web', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 'p' }] }], pools: { p: { backends: [{ id: 'a', host: '127.0.0.1', port: a.port }, { id: 'b', host: '127.0.0.1', port: b.port }] } } }, 'external-e2e')
      const lb = await startExternal(spec, config, work)
      expect(lb.listeners.get('web')!.port).toBe(port)
      const seen = new Set<string>()
      for (let i = 0; i < 6; i++) seen.add(await backendOf(port))
      expect([...seen].sort()).toEqual(['a', 'b'])
      const drain = lb.setDraining('p', 'a', true)
      await expect(drain).rejects.toBeInstanceOf(Unsupported)
      await expect(drain).rejects.toThrow('their-caddy has no drain hook (balancer.external.hooks.drain)')
      expect(lb.cpuUs()).toBeUndefined()
      await lb.stop()
    } finally {
      await stopTree(running.child)
    }
  })
})
