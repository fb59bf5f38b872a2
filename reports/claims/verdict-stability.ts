import { markdownTable } from '../render/markdown-table.js'
import type { ClaimOutcome, ClaimVerdict } from './claims.js'

/**
 * How one claim's verdicts of two runs relate: `identical`; `one inconclusive` (the other
 * decided); `nuance` (holds vs holds with nuance: the same direction); `one unmeasured` (a run
 * lacked what it needs); `contradictory` — holds (with or without nuance) against does not hold,
 * the one outcome a verdict must never have.
 */
export type StabilityKind = 'identical' | 'one inconclusive' | 'nuance' | 'one unmeasured' | 'contradictory'

/** One claim judged by two runs. */
export interface VerdictPair {
  readonly id: string
  readonly claim: string
  readonly first: ClaimVerdict
  readonly second: ClaimVerdict
  readonly kind: StabilityKind
}

/** Two runs' verdicts side by side; stable when no claim is contradictory. */
export interface VerdictStability {
  readonly pairs: readonly VerdictPair[]
  readonly stable: boolean
}

const positive = new Set<ClaimVerdict>(['holds', 'holds with nuance'])
const unmeasured = new Set<ClaimVerdict>(['not measured', 'not measurable here'])

/** How two verdicts of one claim relate. Pure. */
export function verdictRelation(a: ClaimVerdict, b: ClaimVerdict): StabilityKind {
  if (a === b) return 'identical'
  if (unmeasured.has(a) || unmeasured.has(b)) return 'one unmeasured'
  if (a === 'inconclusive' || b === 'inconclusive') return 'one inconclusive'
  if (positive.has(a) && positive.has(b)) return 'nuance'
  return 'contradictory'
}

/** Compares the claims of two runs of the same suite, claim by claim (by id, in the first run's order). Pure. */
export function compareVerdicts(first: readonly ClaimOutcome[], second: readonly ClaimOutcome[]): VerdictStability {
  const byId = new Map(second.map((c) => [c.id, c]))
  const ids = [...first.map((c) => c.id), ...second.filter((c) => !first.some((f) => f.id === c.id)).map((c) => c.id)]
  const pairs = ids.map((id): VerdictPair => {
    const a = first.find((c) => c.id === id)
    const b = byId.get(id)
    const fa = a?.verdict ?? 'not measured'
    const fb = b?.verdict ?? 'not measured'
    return { id, claim: (a ?? b)!.claim, first: fa, second: fb, kind: verdictRelation(fa, fb) }
  })
  return { pairs, stable: pairs.every((p) => p.kind !== 'contradictory') }
}

/** The comparison as Markdown: one row a claim, and the overall answer. */
export function stabilityMarkdown(s: VerdictStability): string {
  const head = s.stable ? 'Stable: no claim held in one run and did not hold in the other.' : `**Unstable**: ${s.pairs.filter((p) => p.kind === 'contradictory').length} claim(s) held in one run and did not hold in the other.`
  return ['### Verdict stability over two runs', '', head, '', markdownTable(['claim', 'first run', 'second run', 'relation'], s.pairs.map((p) => [p.id, p.first, p.second, p.kind]))].join('\n') + '\n'
}
