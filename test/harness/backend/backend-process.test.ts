import { spawnSync } from 'node:child_process'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { BACKEND_MAIN, config, json, killBackends, RawConnection, request, spawnBackend } from './backend-harness.js'

afterEach(() => killBackends())

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BACKEND_MAIN, ...args], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, LAYERBENCH_BACKEND: '', ...env } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** True when this machine can bind the IPv6 loopback. */
async function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.once('error', () => resolve(false))
    s.listen(0, '::1', () => s.close(() => resolve(true)))
  })
}

describe('backend process', () => {
  it('exits 2 on an invalid config, listing every issue with its path', () => {
    const bad = { id: '', host: '0.0.0.0', http: { port: -1 }, behaviour: { errorRate: 7, latency: { kind: 'gamma' } }, color: 'blue' }
    const r = run(['--config', JSON.stringify(bad)])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    for (const path of ['id', 'host', 'http.port', 'control', 'behaviour.errorRate', 'behaviour.latency.kind', 'color']) {
      expect(r.stderr).toMatch(new RegExp(`^\\s+${path.replace('.', '\\.')}: `, 'm'))
    }
  })

  it.each([
    [['--config', '{'], /not JSON/],
    [[], /pass --config/],
    [['--port', '80'], /invalid arguments/],
  ])('exits 2 for %j', (args, message) => {
    const r = run(args)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it('reads LAYERBENCH_BACKEND, and --config wins over it', async () => {
    const fromEnv = await spawnBackend(undefined, { args: [], env: { LAYERBENCH_BACKEND: JSON.stringify(config('env-1')) } })
    expect(fromEnv.ready.id).toBe('env-1')
    const both = await spawnBackend(undefined, { args: ['--config', JSON.stringify(config('argv-1'))], env: { LAYERBENCH_BACKEND: JSON.stringify(config('env-2')) } })
    expect(both.ready.id).toBe('argv-1')
  })

  it('exits 3 when a port cannot be bound', async () => {
    const taken = net.createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r))
    const port = (taken.address() as net.AddressInfo).port
    const r = run(['--config', JSON.stringify({ id: 'x', tcp: { port }, control: { port: 0 } })])
    taken.close()
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/cannot listen: .*EADDRINUSE/)
  })

  it('binds another loopback address or ::1 when told to', async () => {
    const b = await spawnBackend({ id: 'lo2', host: '127.0.0.2', http: { port: 0 }, control: { port: 0 } })
    const c = await RawConnection.open(b.ready.http!, '127.0.0.2')
    expect(json(await c.get('/')).backend).toBe('lo2')
    c.close()
    if (!(await ipv6Loopback())) return
    const b6 = await spawnBackend({ id: 'lo6', host: '::1', http: { port: 0 }, control: { port: 0 } })
    const c6 = await RawConnection.open(b6.ready.http!, '::1')
    expect(json(await c6.get('/'))).toMatchObject({ backend: 'lo6', clientAddress: '::1' })
    c6.close()
  })

  it('on SIGTERM finishes the request in flight, closes idle connections and exits 0 once they are done', async () => {
    const b = await spawnBackend(config('term-1', { tcp: { port: 0 }, udp: { port: 0 } }))
    const idle = await RawConnection.open(b.ready.http!)
    await idle.get('/warm')
    const idleTcp = await RawConnection.open(b.ready.tcp!)
    const busy = await RawConnection.open(b.ready.http!)
    await b.control('PUT', '/behaviour', { latency: { kind: 'fixed', ms: 400 } })
    busy.write(request('GET', '/in-flight'))
    // The request is in flight once the backend counted it (warm-up + this one).
    for (let i = 0; i < 500 && (await b.control('GET', '/state')).body.served.http.requests < 2; i++) await new Promise((r) => setTimeout(r, 10))
    b.child.kill('SIGTERM')
    const answer = await busy.response()
    expect(answer.status).toBe(200)
    expect(answer.headers.get('connection')).toBe('close')
    expect(await idle.closed).toBe('end')
    expect(await idleTcp.closed).toBe('end')
    expect(await b.exited).toEqual({ code: 0, signal: null })
    // It exits because everything finished, not by its 2 s hard deadline.
    expect(b.stderr()).toMatch(/: stopped\n/)
    expect(b.stderr()).not.toMatch(/still in progress/)
    // No new connections once stopping.
    await expect(RawConnection.open(b.ready.http!)).rejects.toThrow(/ECONNREFUSED/)
  })

  it('exits 0 on SIGINT', async () => {
    const b = await spawnBackend(config('int-1'))
    b.child.kill('SIGINT')
    expect(await b.exited).toEqual({ code: 0, signal: null })
    expect(b.stderr()).toMatch(/SIGINT: stopping/)
  })
})
