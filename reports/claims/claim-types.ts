import type { ResultFile } from '../result/result-model.js'
import type { ClaimFigure } from './claim-figure.js'

/**
 * What this run says about a claim. A measured figure decides only when its interval clears the
 * claim's threshold; `inconclusive` when it straddles. `not measured`: the suite did not run what
 * it needs; `not measurable here`: this machine cannot measure it.
 */
export type ClaimVerdict = 'holds' | 'holds with nuance' | 'does not hold here' | 'inconclusive' | 'not measured' | 'not measurable here'

/** The verdicts in the order the page counts them. */
export const claimVerdicts: readonly ClaimVerdict[] = ['holds', 'holds with nuance', 'does not hold here', 'inconclusive', 'not measured', 'not measurable here']

/** A claim of the L4-vs-L7 literature beside what this run measured. */
export interface ClaimOutcome {
  readonly id: string
  /** The claim, as the reference articles make it. */
  readonly claim: string
  /** The scenario that measures it (its report is linked). */
  readonly scenario: string
  readonly verdict: ClaimVerdict
  /** The figures, as measured here. */
  readonly measured: string
  /** Why the verdict, in a sentence. */
  readonly why: string
  /** The compared figures with their intervals, when the verdict rests on measured figures. */
  readonly figures?: readonly ClaimFigure[]
  /** Inconclusive: about how many repeats might settle it. */
  readonly repeatsNeeded?: number
  /** What a throughput figure is: the measured maximum or the balancer-bound capacity. */
  readonly basis?: string
}

/** What a claim's judge returns: the outcome without the claim's own identity. */
export type ClaimJudgement = Omit<ClaimOutcome, 'id' | 'claim' | 'scenario'>

/** Settings a user gives the claims: the price of a core-hour for the cost claim (USD). */
export interface ClaimContext {
  readonly pricePerCoreHour?: number
}

/** A claim and how to judge it from a suite's results. Pure. */
export interface ClaimDefinition {
  readonly id: string
  readonly claim: string
  readonly scenario: string
  judge(result: ResultFile, context: ClaimContext): ClaimJudgement
}
