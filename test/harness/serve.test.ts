import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { readdirSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { CLI, layerbench } from '../helpers/cli.js'
import { closeServers, httpBackend } from '../helpers/test-servers.js'

const examples = fileURLToPath(new URL('../../engine/examples/', import.meta.url))
const children = new Set<ChildProcess>()

afterEach(async () => {
  for (const c of children) c.kill('SIGKILL')
  children.clear()
  await closeServers()
})

/** Starts `layerbench serve` and resolves with the listening lines once the admin server is up. */
function serve(file: string): Promise<{ child: ChildProcess; lines: string[]; admin: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'serve', file, '--drain-ms', '3000'], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const lines: string[] = []
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout!.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        lines.push(line)
        const m = /^admin on (http:\/\/[^/]+)\/stats$/.exec(line)
        if (m !== null) resolve({ child, lines, admin: m[1]!, exited })
      }
    })
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)))
  })
}

/** Ports free a moment ago (bound to port 0 and released). */
async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer())
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))))
  const ports = servers.map((s) => (s.address() as AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  return ports
}

describe('layerbench serve', () => {
  it.each(readdirSync(examples).filter((f) => f.endsWith('.yaml')))('runs %s and stops cleanly on SIGTERM', async (file) => {
    const { child, lines, admin, exited } = await serve(join(examples, file))
    expect(lines.some((l) => l.startsWith('listening '))).toBe(true)
    const health = await fetch(`${admin}/healthz`)
    expect(health.status).toBe(200)
    const stats = (await (await fetch(`${admin}/stats`)).json()) as { listeners: unknown[] }
    expect(stats.listeners.length).toBe(lines.filter((l) => l.startsWith('listening ')).length)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('proxies requests, and lets a request in flight finish when told to stop', async () => {
    // l7-path-routing.yaml: / → web (127.0.0.1:23100), /api/ → api (23000, 23001).
    let arrived!: () => void
    const slowArrived = new Promise<void>((resolve) => (arrived = resolve))
    await httpBackend('web1', (req, res) => {
      if (req.url === '/slow') {
        arrived()
        setTimeout(() => res.end('slow done'), 600)
        return true
      }
      return false
    }, 23100)
    await httpBackend('api1', undefined, 23000)
    await httpBackend('api2', undefined, 23001)
    const { child, exited } = await serve(join(examples, 'l7-path-routing.yaml'))
    const api = await fetch('http://127.0.0.1:18080/api/users')
    expect(api.status).toBe(200)
    expect(['api1', 'api2']).toContain(api.headers.get('x-backend'))
    const slow = fetch('http://127.0.0.1:18080/slow').then(async (r) => ({ status: r.status, body: await r.text() }))
    // Stop once the request has reached the backend: it is in flight through the balancer.
    await slowArrived
    child.kill('SIGTERM')
    expect(await slow).toEqual({ status: 200, body: 'slow done' })
    expect(await exited).toBe(0)
  })

  it('exits 3 when a listener cannot bind, 2 when the config is invalid', async () => {
    const first = await serve(join(examples, 'udp-dns.yaml'))
    const second = layerbench(['serve', join(examples, 'udp-dns.yaml')])
    expect(second.code).toBe(3)
    expect(second.stderr).toMatch(/cannot bind/)
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    const dir = mkdtempSync(join(tmpdir(), 'serve-'))
    writeFileSync(join(dir, 'bad.yaml'), 'listeners: []\npools: {}\n')
    const bad = layerbench(['serve', join(dir, 'bad.yaml')])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/LB_ERR_INVALID_CONFIG/)
  })
  it('starts completely or not at all: one listener that cannot bind releases everything and exits 3', async () => {
    // Hold a port, then ask for two listeners and the admin API, the second listener on the held port.
    const held = createServer()
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve))
    const heldPort = (held.address() as AddressInfo).port
    const free = await freePorts(2)
    const dir = mkdtempSync(join(tmpdir(), 'serve-'))
    const file = join(dir, 'lb.yaml')
    writeFileSync(
      file,
      [
        `admin: { listen: "127.0.0.1:${free[1]}" }`,
        'listeners:',
        `  - { name: first, protocol: tcp, bind: "127.0.0.1:${free[0]}", pool: p }`,
        `  - { name: second, protocol: tcp, bind: "127.0.0.1:${heldPort}", pool: p }`,
        'pools:',
        '  p: { backends: [{ host: 127.0.0.1, port: 9 }] }',
      ].join('\n'),
    )
    const r = layerbench(['serve', file], { timeoutMs: 20_000 })
    held.close()
    expect(r.code).toBe(3)
    expect(r.stderr).toContain(`listener second cannot bind 127.0.0.1:${heldPort}`)
    expect(r.stdout).not.toMatch(/^listening /m)
  })
})

describe('layerbench validate', () => {
  it('accepts every example', () => {
    const files = readdirSync(examples).filter((f) => f.endsWith('.yaml')).map((f) => join(examples, f))
    const r = layerbench(['validate', ...files])
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n')).toHaveLength(files.length)
  })

  it('answers an alias bomb and deeply nested documents with a coded error and exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'validate-'))
    const nine = (x: string) => `[${Array(9).fill(x).join(',')}]`
    const documents = {
      // Nine to the fifth strings from a few lines: expanding the aliases is the attack.
      'bomb.yaml': [/alias/, ['a: &a ' + nine('"x"'), 'b: &b ' + nine('*a'), 'c: &c ' + nine('*b'), 'd: &d ' + nine('*c'), 'e: ' + nine('*d')].join('\n')],
      'deep-flow.yaml': [/nested deeper than/, `listeners: ${'['.repeat(20_000)}${']'.repeat(20_000)}`],
      'nested.yaml': [/nested deeper than/, `pools: { p: { algorithm: maglev, algorithmOptions: ${'{ a: '.repeat(200)}1${' }'.repeat(200)} } }\nlisteners: []`],
    } as const
    for (const [name, [says, text]] of Object.entries(documents)) {
      writeFileSync(join(dir, name), text)
      const r = layerbench(['validate', join(dir, name)])
      expect(r.code, `${name}: ${r.stderr}`).toBe(2)
      expect(r.stderr, name).toMatch(/^LB_ERR_INVALID_CONFIG: /m)
      expect(r.stderr, name).toMatch(says)
      expect(r.stderr, name).not.toMatch(/Error: |\n\s+at /)
    }
  })

  it('lists every problem with its path and exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'validate-'))
    const file = join(dir, 'lb.yaml')
    writeFileSync(file, ['listeners:', '  - { name: web, protocol: http, bind: "127.0.0.1:80", routes: [{ pool: nope }], extra: 1 }', 'pools:', '  p: { algorithm: maglev, algorithmOptions: { tableSize: 10 }, backends: [{ host: h, port: 70000 }] }'].join('\n'))
    const r = layerbench(['validate', file])
    expect(r.code).toBe(2)
    for (const path of ['listeners[0]', 'listeners[0].routes[0].pool', 'pools.p.algorithmOptions.tableSize', 'pools.p.backends[0].port']) expect(r.stderr).toContain(`${path}:`)
    expect(layerbench(['validate', join(dir, 'missing.yaml')]).code).toBe(2)
  })
})
