import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { seededDeps } from '../../../engine/balancing/deps.js'
import { EngineError } from '../../../engine/errors.js'
import { startHealthChecks, type HealthCheckOptions } from '../../../engine/health/health-checker.js'
import type { HealthCheckConfig } from '../../../engine/health/health-check-config.js'
import type { Probe, ProbeResult } from '../../../engine/health/probes.js'
import { createBackendPool, type BackendPool } from '../../../engine/pool/backend-pool.js'
import { fakeTimers, settle } from './fake-timers.js'
import { close, eventually, listen } from './servers.js'

const ids = ['a', 'b', 'c']
const portOf = (id: string) => 9001 + id.charCodeAt(0) - 'a'.charCodeAt(0)
const idOf = (port: number) => String.fromCharCode('a'.charCodeAt(0) + port - 9001)

function pool(members = ids, health: { rise?: number; fall?: number } = {}): BackendPool {
  return createBackendPool({ backends: members.map((id) => ({ id, host: '127.0.0.1', port: portOf(id) })), health }, seededDeps(1))
}

/**
 * A probe that answers from a script per backend: '+' passes, '-' fails, '.' hangs until aborted.
 * Once a script runs out, every probe passes.
 */
function scriptedProbe(scripts: Record<string, string> = {}) {
  const calls: string[] = []
  const signals: AbortSignal[] = []
  const cursor = new Map<string, number>()
  const probe: Probe = (target, signal) => {
    const id = idOf(target.port)
    calls.push(id)
    if (signal !== undefined) signals.push(signal)
    const i = cursor.get(id) ?? 0
    cursor.set(id, i + 1)
    const step = scripts[id]?.[i] ?? '+'
    if (step === '.') {
      return new Promise<ProbeResult>((resolve) => signal?.addEventListener('abort', () => resolve({ ok: false, latencyUs: 1, detail: 'aborted' })))
    }
    return Promise.resolve({ ok: step === '+', latencyUs: 1, detail: step === '+' ? 'fine' : 'broken' })
  }
  const count = (id: string) => calls.filter((c) => c === id).length
  return { probe, calls, signals, count }
}

function start(p: BackendPool, probe: Probe, extra: Partial<HealthCheckOptions> = {}) {
  const clock = fakeTimers()
  const results: { id: string; ok: boolean; transition: string | undefined }[] = []
  const checker = startHealthChecks({
    pool: p,
    check: { type: 'tcp', intervalMs: 1000 },
    probe,
    timers: clock.timers,
    random: () => 0.5,
    onResult: (id, result, transition) => results.push({ id, ok: result.ok, transition }),
    ...extra,
  })
  return { checker, clock, results }
}

describe('health checker: schedule', () => {
  it('checks every backend at once, then once per interval', async () => {
    const probe = scriptedProbe()
    const { checker, clock } = start(pool(), probe.probe)
    expect(probe.calls.sort()).toEqual(['a', 'b', 'c'])
    await clock.advance(999)
    expect(probe.calls).toHaveLength(3)
    await clock.advance(1)
    expect(probe.calls).toHaveLength(6)
    await clock.advance(3000)
    expect(ids.map(probe.count)).toEqual([5, 5, 5])
    await checker.stop()
  })

  it.each([
    // random draw, delay between checks of one backend (interval 1000 ms, ±10 %)
    [0, 900],
    [0.25, 950],
    [0.5, 1000],
    [0.75, 1050],
    [0.9999, 1099.98],
  ])('jitter: a draw of %f waits %f ms', async (draw, delay) => {
    const probe = scriptedProbe()
    const { checker, clock } = start(pool(), probe.probe, { random: () => draw })
    await settle()
    expect(clock.delays.length).toBeGreaterThan(0)
    for (const d of clock.delays) expect(d).toBeCloseTo(delay, 6)
    await checker.stop()
  })

  it('never has two probes in flight for one backend', async () => {
    const probe = scriptedProbe({ a: '.' })
    const { checker, clock } = start(pool(), probe.probe)
    await clock.advance(10_000)
    expect(probe.count('a')).toBe(1)
    expect(probe.count('b')).toBeGreaterThanOrEqual(10)
    const now = checker.checkNow('a')
    expect(probe.count('a')).toBe(1)
    await checker.stop()
    await now
    expect(probe.count('a')).toBe(1)
  })

  it('skips disabled backends and resumes them when re-enabled', async () => {
    const p = pool()
    p.setEnabled('b', false)
    const probe = scriptedProbe()
    const { checker, clock } = start(p, probe.probe)
    await clock.advance(5000)
    expect(probe.count('b')).toBe(0)
    expect(probe.count('a')).toBe(6)
    p.setEnabled('b', true)
    await clock.advance(1000)
    expect(probe.count('b')).toBe(1)
    await checker.stop()
  })

  it('picks up added backends and drops removed ones, aborting their probe in flight', async () => {
    const p = pool()
    const probe = scriptedProbe({ c: '.' })
    const { checker, clock, results } = start(p, probe.probe)
    p.upsert({ id: 'd', host: '127.0.0.1', port: portOf('d') })
    p.remove('c')
    await clock.advance(1000)
    expect(probe.count('d')).toBeGreaterThanOrEqual(1)
    const cSignal = probe.signals[probe.calls.indexOf('c')]
    expect(cSignal?.aborted).toBe(true)
    await clock.advance(5000)
    expect(probe.count('c')).toBe(1)
    expect(results.some((r) => r.id === 'c')).toBe(false)
    expect(probe.count('d')).toBeGreaterThanOrEqual(6)
    await checker.stop()
  })

  it('checks a backend added after the start on the next sweep, and at once through checkNow', async () => {
    const p = pool(['a'])
    const probe = scriptedProbe()
    const { checker } = start(p, probe.probe)
    p.upsert({ id: 'b', host: '127.0.0.1', port: portOf('b') })
    await checker.checkNow('b')
    expect(probe.count('b')).toBe(1)
    await checker.stop()
  })
})

describe('health checker: results', () => {
  it.each([
    // script for b, fall, rise, transitions reported per result ('·' none), healthy at the end
    ['---', 3, 2, '··D', false],
    ['--+---', 3, 2, '·····D', false],
    ['---++', 3, 2, '··D·U', true],
    ['---+-++', 3, 2, '··D···U', true],
    ['-', 1, 1, 'D', false],
    ['-+', 1, 1, 'DU', true],
    ['++++', 3, 2, '····', true],
  ])('b answering %s with fall %i rise %i → %s', async (script, fall, rise, expected, healthy) => {
    const p = pool(ids, { fall, rise })
    const probe = scriptedProbe({ b: script })
    const { checker, clock, results } = start(p, probe.probe)
    await clock.advance(1000 * (script.length - 1))
    const forB = results.filter((r) => r.id === 'b').slice(0, script.length)
    expect(forB.map((r) => r.ok)).toEqual([...script].map((c) => c === '+'))
    expect(forB.map((r) => (r.transition === 'down' ? 'D' : r.transition === 'up' ? 'U' : '·')).join('')).toBe(expected)
    expect(p.status().find((m) => m.id === 'b')?.healthy).toBe(healthy)
    await checker.stop()
  })

  it('counts a probe that throws as a failed check', async () => {
    const p = pool(['a'], { fall: 1 })
    const probe: Probe = () => Promise.reject(new Error('resolver exploded'))
    const { checker, results } = start(p, probe)
    await settle()
    expect(results).toEqual([{ id: 'a', ok: false, transition: 'down' }])
    await checker.stop()
  })

  it('checkNow probes every backend and resolves once the results are applied', async () => {
    const p = pool(ids, { fall: 1 })
    const probe = scriptedProbe({ a: '+-', b: '++', c: '+-' })
    const { checker, results } = start(p, probe.probe)
    await settle()
    await checker.checkNow()
    expect(p.ready()).toEqual(['b'])
    expect(results.filter((r) => r.transition === 'down').map((r) => r.id).sort()).toEqual(['a', 'c'])
    await expect(checker.checkNow('zzz')).rejects.toMatchObject({ code: 'LB_ERR_UNKNOWN_BACKEND' })
    await checker.stop()
  })
})

describe('health checker: stop', () => {
  it('cancels every timer, aborts probes in flight, resolves once they settled, and reports nothing after', async () => {
    const p = pool(ids, { fall: 1 })
    const probe = scriptedProbe({ a: '+.' })
    const { checker, clock, results } = start(p, probe.probe)
    await clock.advance(1000)
    expect(clock.pending).toBeGreaterThan(0)
    const reported = results.length
    let stopped = false
    const stopping = checker.stop().then(() => (stopped = true))
    expect(probe.signals[probe.calls.lastIndexOf('a')]?.aborted).toBe(true)
    await stopping
    expect(stopped).toBe(true)
    expect(clock.pending).toBe(0)
    await clock.advance(60_000)
    expect(results).toHaveLength(reported)
    expect(p.ready().sort()).toEqual(ids)
    await checker.checkNow()
    expect(probe.calls).toHaveLength(6)
    await checker.stop()
  })
})

describe('health checker: configuration', () => {
  it('reports every problem at once with its path', () => {
    try {
      startHealthChecks({ pool: pool(), check: { type: 'tcp', intervalMs: 0, http: { path: '/' }, extra: 1 } as HealthCheckConfig })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(EngineError)
      expect((e as EngineError).issues.map((i) => i.path).sort()).toEqual(['healthCheck', 'healthCheck.http', 'healthCheck.intervalMs'])
    }
  })
})

describe('health checker: real TCP backends on 127.0.0.1', () => {
  it('takes a closed backend down after `fall` failures and brings it back after `rise` passes', async () => {
    const servers = [net.createServer(), net.createServer(), net.createServer()]
    for (const s of servers) s.on('connection', (socket) => socket.on('error', () => {}).resume())
    const ports = await Promise.all(servers.map((s) => listen(s)))
    const p = createBackendPool({ backends: ports.map((port, i) => ({ id: ids[i], host: '127.0.0.1', port })), health: { fall: 2, rise: 3 } })
    const log: { id: string; ok: boolean; transition: string | undefined }[] = []
    const checker = startHealthChecks({
      pool: p,
      check: { type: 'tcp', intervalMs: 20, timeoutMs: 2000 },
      onResult: (id, result, transition) => log.push({ id, ok: result.ok, transition }),
    })
    try {
      expect(await eventually(() => ids.every((id) => log.some((r) => r.id === id && r.ok)))).toBe(true)
      const before = log.length
      await close(servers[1] as net.Server)
      expect(await eventually(() => log.some((r) => r.id === 'b' && r.transition === 'down'))).toBe(true)
      expect(p.ready()).toEqual(['a', 'c'])
      const afterClose = log.slice(before).filter((r) => r.id === 'b')
      const down = afterClose.findIndex((r) => r.transition === 'down')
      // Passes may still land before the listener is gone; the last `fall` results before 'down' fail.
      expect(afterClose.slice(down - 1, down + 1).map((r) => r.ok)).toEqual([false, false])

      const restarted = net.createServer((socket) => socket.on('error', () => {}).resume())
      await listen(restarted, ports[1])
      servers[1] = restarted
      const mark = log.length
      expect(await eventually(() => log.slice(mark).some((r) => r.id === 'b' && r.transition === 'up'))).toBe(true)
      const afterRestart = log.slice(mark).filter((r) => r.id === 'b')
      const up = afterRestart.findIndex((r) => r.transition === 'up')
      expect(afterRestart.slice(up - 2, up + 1).map((r) => r.ok)).toEqual([true, true, true])
      expect(p.ready().sort()).toEqual(ids)
    } finally {
      await checker.stop()
      const reported = log.length
      await new Promise((r) => setTimeout(r, 100))
      expect(log).toHaveLength(reported)
      await Promise.all(servers.map(close))
    }
  })
})
