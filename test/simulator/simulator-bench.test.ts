import { describe, expect, it } from 'vitest'
import { calibrate, measureRepeated, measureSimulation, missedTarget, renderSimulatorBench } from '../../harness/bench/simulator-bench.js'

// The benchmark's plumbing only: figures are measured by `layerbench bench --simulator`, never
// asserted here (the machine is shared and noisy).
describe('simulator benchmark', () => {
  it('measures simulated requests, CPU time and heap, and renders them with the targets', () => {
    const c = measureSimulation('p2c, 100 backends', 'p2c', 100, 50_000)
    expect(c.requests).toBe(50_000)
    expect(c.cpuMs).toBeGreaterThan(0)
    expect(c.requestsPerCpuSecond).toBeCloseTo(c.requests / (c.cpuMs / 1000), 6)
    // Live heap after full collections: the simulation's state, megabytes, not nothing and not garbage.
    expect(c.heapMiB).toBeGreaterThan(1)
    expect(Math.abs(c.heapGrowthMiB)).toBeLessThan(c.heapMiB)
    const undisturbed = measureSimulation('p2c, 100 backends', 'p2c', 100, 10_000, { heap: false })
    expect([undisturbed.requests, undisturbed.heapMiB]).toEqual([10_000, NaN])
    const calibration = { backends: 100, ...calibrate(100, 20_000) }
    expect(calibration.loop).toBeGreaterThan(0)
    const text = renderSimulatorBench({ cases: [c], calibration })
    expect(text).toMatch(/p2c, 100 backends +50000 req/)
    expect(text).toMatch(/bare event loop/)
    expect(text).toMatch(/P2C, N=100 ≥ 2 M req\/s on one core: (met|missed)/)
    expect(missedTarget({ ...c, requestsPerCpuSecond: 3e6 })).toBe(false)
  })

  it('repeats a case, keeping the fastest run and the median, with the calibration before each run', () => {
    let between = 0
    const c = measureRepeated('p2c, 100 backends', 'p2c', 100, 20_000, 3, () => between++)
    expect(between).toBe(3)
    expect(c.repeats).toBe(3)
    expect(c.requests).toBe(20_000)
    expect(c.medianRequestsPerCpuSecond).toBeLessThanOrEqual(c.requestsPerCpuSecond)
    expect(c.requestsPerCpuSecond).toBeCloseTo(c.requests / (c.cpuMs / 1000), 6)
    // The timed runs leave the heap alone; the figure comes from a run of its own.
    expect(Number.isFinite(c.heapMiB)).toBe(true)
    const text = renderSimulatorBench({ cases: [c], calibration: { backends: 100, loop: 1, pool: 1 } })
    expect(text).toMatch(/fastest of 3; median \d+\.\d\d\)/)
    expect(missedTarget({ ...c, backends: 10_000, cpuMs: 61_000 })).toBe(true)
  })
})
