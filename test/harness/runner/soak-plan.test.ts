import { describe, expect, it } from 'vitest'
import { clientAbortAt, judgeSoak, soakClientAborts, soakSchedule, type EngineSample } from '../../../harness/runner/soak-plan.js'

const flat = (n: number, rss = 80 * 2 ** 20, fds = 100): EngineSample[] => Array.from({ length: n }, (_, i) => ({ atS: i, rssBytes: rss, fds }))
const clean = { sent: 13, ok: 8, failed: 2, clientAborts: { head: 1, 'before-response': 1, body: 1 }, abortWindows: 2, openAtEnd: { listeners: 0, backends: 0 }, leftRunning: [] as number[] }

describe('soak plan', () => {
  it('faults one backend at a time, every step inside the run, each kill and slow body ended by a restart', () => {
    const steps = soakSchedule(['web[0]', 'web[1]', 'web[2]'], 65)
    expect(steps).toHaveLength(3 * 8)
    expect(steps.every((s) => Number.parseInt(s.at) < 65)).toBe(true)
    const byTarget = (t: string) => steps.filter((s) => s.target === t).map((s) => s.do)
    expect(byTarget('web[0]')).toEqual(['kill', 'restart', 'pause', 'resume', 'set-behaviour', 'set-behaviour', 'set-behaviour', 'restart'])
    expect(soakSchedule(['a[0]', 'a[1]'], 21)).toHaveLength(0)
  })

  it('has an eighth of the clients, a different eighth each time, abort in two windows a cycle, one while a body is slow', () => {
    const windows = soakClientAborts(32, 65)
    expect(windows.map((w) => [w.fromMs, w.toMs])).toEqual([[7000, 10_000], [18_000, 21_000], [27_000, 30_000], [38_000, 41_000], [47_000, 50_000], [58_000, 61_000]])
    // The second window of each cycle lies inside the slow-body step (t0 + 16 s to the restart at t0 + 19 s).
    const steps = soakSchedule(['web[0]', 'web[1]', 'web[2]'], 65)
    const slow = steps.filter((s) => s.behaviour?.slowBody !== undefined).map((s) => Number.parseInt(s.at) * 1000)
    expect(windows.filter((_, i) => i % 2 === 1).map((w) => w.fromMs)).toEqual(slow)
    expect(windows.map((w) => w.clients)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15], [16, 17, 18, 19], [20, 21, 22, 23]])
    expect(soakClientAborts(3, 30).map((w) => w.clients)).toEqual([[0], [1]])
    const w = windows[0]!
    expect([0, 1, 2, 3].map((i) => clientAbortAt(windows, 7000, 1, i))).toEqual(['head', 'before-response', 'body', 'head'])
    expect([clientAbortAt(windows, 6999, 1, 0), clientAbortAt(windows, w.toMs, 1, 0), clientAbortAt(windows, 8000, 4, 0)]).toEqual([undefined, undefined, undefined])
  })

  it('passes a clean run and names each leak it sees', () => {
    expect(judgeSoak({ ...clean, samples: flat(30) }).pass).toBe(true)
    expect(judgeSoak({ ...clean, sent: 10, clientAborts: {}, abortWindows: 0, samples: flat(30) }).pass).toBe(true)
    const growing = flat(30).map((s, i) => ({ ...s, rssBytes: s.rssBytes + i * 4 * 2 ** 20, fds: s.fds + i }))
    const v = judgeSoak({ ...clean, sent: 14, clientAborts: { head: 2, 'before-response': 1 }, samples: growing, openAtEnd: { listeners: 0, backends: 1 }, leftRunning: [42] })
    expect(v.pass).toBe(false)
    expect(v.checks.filter((c) => !c.pass).map((c) => c.name)).toEqual([
      'sent = ok + failed + aborted',
      'clients aborted at every point',
      'engine RSS flat',
      'engine open fds flat',
      'no connection or pool slot left open',
      'no process left',
    ])
    expect(v.checks[1]!.detail).toBe('2 head, 1 before-response, 0 body in 2 windows')
  })
})
