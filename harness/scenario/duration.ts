import { z } from 'zod'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Parses `250ms`, `10s`, `1.5m`, `2h` or a number of milliseconds; undefined when malformed. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value)
  return m === null ? undefined : Number(m[1]) * UNITS[m[2]!]!
}

/** A duration field: a number of milliseconds or a string with a unit; parsed to milliseconds. */
export const duration = (max = 86_400_000) =>
  z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const ms = parseDuration(v)
      if (ms === undefined || ms > max) {
        ctx.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 10s or 2m (at most ${max / 1000} s)` })
        return z.NEVER
      }
      return ms
    })
