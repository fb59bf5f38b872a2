import { describe, expect, it } from 'vitest'
import { judgeSoak, soakSchedule, type EngineSample } from '../../../harness/runner/soak-plan.js'

const flat = (n: number, rss = 80 * 2 ** 20, fds = 100): EngineSample[] => Array.from({ length: n }, (_, i) => ({ atS: i, rssBytes: rss, fds }))
const clean = { sent: 10, ok: 8, failed: 2, openAtEnd: { listeners: 0, backends: 0 }, leftRunning: [] as number[] }

describe('soak plan', () => {
  it('faults one backend at a time, every step inside the run, each kill and slow body ended by a restart', () => {
    const steps = soakSchedule(['web[0]', 'web[1]', 'web[2]'], 65)
    expect(steps).toHaveLength(3 * 8)
    expect(steps.every((s) => Number.parseInt(s.at) < 65)).toBe(true)
    const byTarget = (t: string) => steps.filter((s) => s.target === t).map((s) => s.do)
    expect(byTarget('web[0]')).toEqual(['kill', 'restart', 'pause', 'resume', 'set-behaviour', 'set-behaviour', 'set-behaviour', 'restart'])
    expect(soakSchedule(['a[0]', 'a[1]'], 21)).toHaveLength(0)
  })

  it('passes a clean run and names each leak it sees', () => {
    expect(judgeSoak({ ...clean, samples: flat(30) }).pass).toBe(true)
    const growing = flat(30).map((s, i) => ({ ...s, rssBytes: s.rssBytes + i * 4 * 2 ** 20, fds: s.fds + i }))
    const v = judgeSoak({ ...clean, sent: 11, samples: growing, openAtEnd: { listeners: 0, backends: 1 }, leftRunning: [42] })
    expect(v.pass).toBe(false)
    expect(v.checks.filter((c) => !c.pass).map((c) => c.name)).toEqual(['sent = ok + failed', 'engine RSS flat', 'engine open fds flat', 'no connection or pool slot left open', 'no process left'])
  })
})
