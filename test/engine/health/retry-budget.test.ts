import { describe, expect, it } from 'vitest'
import { EngineError } from '../../../engine/errors.js'
import { createRetryBudget, type RetryBudgetConfig } from '../../../engine/health/retry-budget.js'

const sec = (s: number) => Math.round(s * 1_000_000)

/** A step: at `t` seconds, `requests` original requests arrive, then `retries` retries are attempted. */
type Step = readonly [t: number, requests: number, retries: number]

describe('retry budget: request/retry sequences on a virtual clock', () => {
  it.each<[string, RetryBudgetConfig, Step[], number[], number]>([
    // name, config, steps, retries granted per step, balance after the last step
    ['a quiet client gets the floor: 3/s over 10 s', {}, [[0, 0, 40]], [30], 0],
    ['100 requests fund 20 retries on top of the floor', {}, [[0, 100, 100]], [50], 0],
    ['deposits still count just before their window passes', {}, [[0, 100, 0], [9.999, 0, 100]], [0, 50], 0],
    ['deposits expire one window later', {}, [[0, 100, 0], [10, 0, 100]], [0, 30], 0],
    ['withdrawals expire too, restoring the floor', {}, [[0, 0, 30], [5, 0, 10], [10, 0, 40]], [30, 0, 30], 0],
    ['the budget refills as traffic arrives', {}, [[0, 0, 30], [1, 5, 1], [2, 5, 5]], [30, 1, 1], 0],
    ['unused budget is reported as balance', {}, [[0, 50, 5]], [5], 35],
    ['no floor: retries are 20 % of requests', { minRetriesPerSecond: 0 }, [[0, 10, 5]], [2], 0],
    ['no floor: four requests do not fund one retry', { minRetriesPerSecond: 0 }, [[0, 4, 1]], [0], 0],
    ['no floor, 100 %: one retry per request', { percent: 100, minRetriesPerSecond: 0 }, [[0, 7, 10]], [7], 0],
    ['zero percent and no floor: never', { percent: 0, minRetriesPerSecond: 0 }, [[0, 1000, 5]], [0], 0],
    ['fractional percent without rounding loss', { percent: 0.1, minRetriesPerSecond: 0 }, [[0, 1000, 2]], [1], 0],
    ['shorter window, higher floor', { ttlMs: 2000, minRetriesPerSecond: 10 }, [[0, 0, 25], [2, 0, 25]], [20, 20], 0],
  ])('%s', (_name, config, steps, expected, finalBalance) => {
    const budget = createRetryBudget(config)
    const granted = steps.map(([t, requests, retries]) => {
      for (let i = 0; i < requests; i++) budget.deposit(sec(t))
      let ok = 0
      for (let i = 0; i < retries; i++) if (budget.tryWithdraw(sec(t))) ok++
      return ok
    })
    expect(granted).toEqual(expected)
    const last = steps.at(-1) as Step
    expect(budget.balance(sec(last[0]))).toBe(finalBalance)
  })

  it('never lets the retries of any window exceed 20 % of its requests plus the floor, and uses all of it under pressure', () => {
    const budget = createRetryBudget()
    // 10 requests/s, and a retry attempted every 50 ms: far more retries than the budget allows.
    const perBucket: { requests: number; retries: number }[] = []
    for (let ms = 0; ms < 60_000; ms += 50) {
      const bucket = Math.floor(ms / 1000)
      perBucket[bucket] ??= { requests: 0, retries: 0 }
      const b = perBucket[bucket]
      if (ms % 100 === 0) {
        budget.deposit(sec(ms / 1000))
        b.requests++
      }
      if (budget.tryWithdraw(sec(ms / 1000))) b.retries++
    }
    for (let end = 10; end <= perBucket.length; end++) {
      const window = perBucket.slice(end - 10, end)
      const requests = window.reduce((s, b) => s + b.requests, 0)
      const retries = window.reduce((s, b) => s + b.retries, 0)
      expect(retries).toBeLessThanOrEqual(0.2 * requests + 30)
      expect(retries).toBeGreaterThanOrEqual(0.2 * requests + 30 - 1)
    }
  })

  it('treats a clock that steps back as the latest time seen', () => {
    const budget = createRetryBudget({ minRetriesPerSecond: 0, percent: 100 })
    budget.deposit(sec(20))
    budget.deposit(sec(5))
    expect(budget.balance(sec(20))).toBe(2)
    expect(budget.balance(sec(30))).toBe(0)
  })

  it('reports every configuration problem at once with its path', () => {
    try {
      createRetryBudget({ percent: -1, ttlMs: 500, minRetriesPerSecond: Number.NaN, extra: true } as RetryBudgetConfig)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(EngineError)
      expect((e as EngineError).issues.map((i) => i.path).sort()).toEqual(['retryBudget', 'retryBudget.minRetriesPerSecond', 'retryBudget.percent', 'retryBudget.ttlMs'])
    }
  })
})
