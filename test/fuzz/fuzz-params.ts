import { readFileSync } from 'node:fs'
import fc from 'fast-check'

/**
 * How long and from where the property tests search. The normal test run tries a bounded number
 * of inputs per property; `npm run fuzz` (FUZZ_SECONDS=n) searches each property for n seconds.
 * The seed is printed so a failure can be replayed with FUZZ_SEED.
 */
const seconds = Number(process.env.FUZZ_SECONDS ?? 0)
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff)
let announced = false

/** fast-check parameters for one property; byte inputs once found failing (`regressions`) are replayed first. */
export function fuzzParams<Ts extends unknown[]>(boundedRuns = 200, regressions?: { target: string; decode: (raw: string) => Ts }): fc.Parameters<Ts> {
  if (!announced) {
    announced = true
    process.stderr.write(`fuzz: seed ${seed}${seconds > 0 ? `, ${seconds} s per property` : `, bounded runs`} (replay with FUZZ_SEED=${seed})\n`)
  }
  const examples = regressions === undefined ? [] : regressionCases(regressions.target).map(regressions.decode)
  return seconds > 0 ? { seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false, examples } : { seed, numRuns: boundedRuns, examples }
}

/** Regression cases of a property over one byte string, stored base64. */
export const byteRegressions = (target: string) => ({ target, decode: (raw: string): [Buffer] => [fromBase64(raw)] })

/** Test timeout that leaves room for a timed search. */
export const fuzzTimeoutMs = seconds > 0 ? seconds * 1000 + 60_000 : 60_000

/**
 * Inputs a search once found failing, kept as regression cases in test/fixtures/fuzz/<target>.json
 * (an array of strings, base64 for bytes).
 */
export function regressionCases(target: string): string[] {
  try {
    return JSON.parse(readFileSync(new URL(`../fixtures/fuzz/${target}.json`, import.meta.url), 'utf8')) as string[]
  } catch {
    return []
  }
}

/** Near-valid bytes: a valid message cut short, with bytes flipped, inserted, deleted or a slice duplicated. */
export function mutated(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }),
  )
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([buf, edits]) => {
    let b = buf
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % (b.length + 1)
      if (e.kind === 'truncate') b = b.subarray(0, at)
      else if (e.kind === 'flip' && at < b.length) b = Buffer.concat([b.subarray(0, at), Buffer.from([e.byte]), b.subarray(at + 1)])
      else if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(e.bytes), b.subarray(at)])
      else if (e.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.n)])
      else if (e.kind === 'duplicate') b = Buffer.concat([b.subarray(0, at + e.n), b.subarray(at)])
    }
    return b
  })
}

/** Bytes from base64, for regression files. */
export const fromBase64 = (s: string): Buffer => Buffer.from(s, 'base64')
