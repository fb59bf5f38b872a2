import { z } from 'zod'
import { parseConfig } from './parse-config.js'

/** Finagle's retry budget settings; the defaults are Finagle's. */
export const retryBudgetConfigSchema = z.strictObject({
  /** Retries may add up to this percentage of the original requests seen in the window. */
  percent: z.number().min(0).max(1000).default(20),
  /** Length of the sliding window over which requests and retries are counted. */
  ttlMs: z.number().int().min(1000).max(60_000).default(10_000),
  /** Retries always allowed regardless of traffic, so a quiet client can still retry. */
  minRetriesPerSecond: z.number().min(0).max(1_000_000).default(3),
})

/** Retry budget settings (input form: defaults may be omitted). */
export type RetryBudgetConfig = z.input<typeof retryBudgetConfigSchema>

/**
 * Caps retries at a fraction of recent traffic, so retries cannot multiply load on an already
 * failing service. Pure: every time is passed in, and memory is constant.
 */
export interface RetryBudget {
  /** Credits one original request (call once per request, not per retry). */
  deposit(nowUs: number): void
  /** Takes the budget for one retry; false means the retry must not be sent. */
  tryWithdraw(nowUs: number): boolean
  /** Retries that would be allowed right now. */
  balance(nowUs: number): number
}

/** Buckets per window: memory is O(1) and a deposit lives between 90 % and 100 % of the TTL. */
const buckets = 10

/**
 * Creates a Finagle-style token retry budget (`RetryBudget(ttl, minRetriesPerSec, percentCanRetry)`).
 * Each request deposits `percent` tokens, each retry withdraws 100, and a fixed reserve of
 * `minRetriesPerSecond × ttl` retries is always available. Deposits and withdrawals are summed
 * over a window of `ttlMs` made of 10 buckets, so both expire: a request stops funding retries,
 * and a retry stops counting against the budget, once its bucket slides out of the window.
 *
 * Throws EngineError LB_ERR_INVALID_OPTIONS on an invalid configuration.
 */
export function createRetryBudget(config: RetryBudgetConfig = {}): RetryBudget {
  const cfg = parseConfig(retryBudgetConfigSchema, config, 'retryBudget')
  // Tokens are scaled so that one retry costs 100 and one request earns `percent`: no division.
  const withdrawal = 100
  const reserve = cfg.minRetriesPerSecond * (cfg.ttlMs / 1000) * withdrawal
  const bucketUs = (cfg.ttlMs * 1000) / buckets
  const sums = new Float64Array(buckets)
  const epochs = new Float64Array(buckets).fill(-Infinity)
  let latest = -Infinity

  /** The bucket for `nowUs`, cleared if it last held an older epoch. Time never runs backwards. */
  function bucketAt(nowUs: number): number {
    latest = Math.max(latest, Math.floor(nowUs / bucketUs))
    const slot = ((latest % buckets) + buckets) % buckets
    if (epochs[slot] !== latest) {
      epochs[slot] = latest
      sums[slot] = 0
    }
    return slot
  }

  function tokens(nowUs: number): number {
    bucketAt(nowUs)
    let sum = reserve
    for (let i = 0; i < buckets; i++) if ((epochs[i] as number) > latest - buckets) sum += sums[i] as number
    return sum
  }

  return {
    deposit(nowUs) {
      const slot = bucketAt(nowUs)
      sums[slot] = (sums[slot] as number) + cfg.percent
    },

    tryWithdraw(nowUs) {
      // A small epsilon keeps fractional percents (e.g. 0.1 × 1000 deposits) from losing a retry to rounding.
      if (tokens(nowUs) - withdrawal < -1e-9) return false
      const slot = bucketAt(nowUs)
      sums[slot] = (sums[slot] as number) - withdrawal
      return true
    },

    balance(nowUs) {
      return Math.max(0, Math.floor((tokens(nowUs) + 1e-9) / withdrawal))
    },
  }
}
