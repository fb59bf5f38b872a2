import { describe, expect, it } from 'vitest'
import { cpuUsage, parseProcStat, readCpuTimes } from '../../../harness/system/cpu-stat.js'

describe('/proc/stat CPU accounting', () => {
  it('parses the aggregate cpu line', () => {
    const text = 'cpu  100 5 50 800 10 2 3 30 0 0\ncpu0 50 2 25 400 5 1 1 15 0 0\nintr 12345\n'
    expect(parseProcStat(text)).toEqual({ user: 100, nice: 5, system: 50, idle: 800, iowait: 10, irq: 2, softirq: 3, steal: 30 })
  })

  it.each([[''], ['cpu0 1 2 3'], ['cpu  1 2 x 4 5 6 7 8'], ['cpu  1 2 3']])('rejects malformed input %j', (text) => {
    expect(parseProcStat(text)).toBeUndefined()
  })

  it('computes steal, busy and idle as fractions of the interval', () => {
    const before = { user: 100, nice: 0, system: 50, idle: 800, iowait: 0, irq: 0, softirq: 0, steal: 50 }
    const after = { user: 160, nice: 0, system: 70, idle: 880, iowait: 20, irq: 0, softirq: 0, steal: 70 }
    // Δ busy 80, Δ idle 100, Δ steal 20 → total 200 ticks = 2 CPU·s.
    expect(cpuUsage(before, after)).toEqual({ steal: 0.1, busy: 0.4, idle: 0.5, spanCpuSeconds: 2 })
    expect(cpuUsage(after, after)).toEqual({ steal: 0, busy: 0, idle: 1, spanCpuSeconds: 0 })
  })

  it('reads this machine', () => {
    const t = readCpuTimes()
    expect(t === undefined || t.user > 0).toBe(true)
  })
})
