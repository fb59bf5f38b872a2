import { describe, expect, it } from 'vitest'
import { processCpuFineUs, processCpuUs } from '../../../harness/system/process-cpu.js'

/** Spends about `ms` of CPU on this thread. */
function spin(ms: number): void {
  const start = process.cpuUsage()
  for (;;) {
    const u = process.cpuUsage(start)
    if (u.user + u.system >= ms * 1000) return
  }
}

describe('process CPU time', () => {
  it('fine: counts what the process spent, as its own rusage does, below the 10 ms tick', () => {
    const fineBefore = processCpuFineUs(process.pid)!
    const own = process.cpuUsage()
    spin(30)
    const spent = process.cpuUsage(own)
    const fine = processCpuFineUs(process.pid)! - fineBefore
    // Other threads of this process (GC, the test runner's) may add a little; ticks would be off by up to 10 ms.
    expect(fine).toBeGreaterThanOrEqual((spent.user + spent.system) * 0.9)
    expect(fine).toBeLessThan((spent.user + spent.system) * 1.5)
    expect(fine % 10_000).not.toBe(0)
  })

  it('both are undefined for a process that does not exist', () => {
    expect(processCpuFineUs(2 ** 22 + 1)).toBeUndefined()
    expect(processCpuUs(2 ** 22 + 1)).toBeUndefined()
  })
})
