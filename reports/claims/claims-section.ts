import { escapeHtml } from '../render/html-document.js'
import { htmlTable, type HtmlCell } from '../render/html-table.js'
import type { IndexSection } from '../render/index-page.js'
import { markdownTable } from '../render/markdown-table.js'
import { claimVerdicts, type ClaimOutcome, type ClaimVerdict } from './claims.js'

const verdictClass: Record<ClaimVerdict, string> = { holds: 'pass', 'holds with nuance': 'warn', 'does not hold here': 'fail', inconclusive: 'warn', 'not measured': '', 'not measurable here': '' }

/** How a verdict is reached, in a sentence for the page and summary.md. */
export const VERDICT_RULE =
  'Each figure is the median of per-repeat values from interleaved repeats (a layer against direct, or L4 against L7, paired within a repeat), with its sign-test interval in brackets. A claim holds or does not hold only when the interval clears the claim’s threshold; otherwise it is inconclusive, with the repeats that might settle it. Runs disturbed by steal or other processes are left out while five quiet repeats remain, else kept with the interval widened to the full range.'

/** The claims as a section of the index page: claim, figure measured, verdict and why, and the scenario's report. */
export function claimsSection(claims: readonly ClaimOutcome[], hrefOf: (scenario: string) => string): IndexSection {
  const counts = claimVerdicts.map((v) => [v, claims.filter((c) => c.verdict === v).length] as const).filter(([, n]) => n > 0)
  const rows = claims.map((c): HtmlCell[] => [
    c.claim,
    c.measured,
    { text: c.verdict, class: verdictClass[c.verdict] },
    c.why,
    c.verdict === 'not measured' ? c.scenario : { html: `<a href="${escapeHtml(hrefOf(c.scenario))}">${escapeHtml(c.scenario)}</a>` },
  ])
  return {
    id: 'claims',
    title: 'Claims, measured',
    html:
      `<p>What the reference articles on layer 4 vs layer 7 balancing claim, beside what this run measured on this machine: ${counts.map(([v, n]) => `${n} ${v}`).join(', ')}.</p>` +
      `<p>${escapeHtml(VERDICT_RULE)}</p>` +
      htmlTable(['claim', 'measured here', 'verdict', 'why', 'scenario'], rows),
  }
}

/** The claims as Markdown for summary.md. */
export function claimsMarkdown(claims: readonly ClaimOutcome[]): string {
  const mark = (v: ClaimVerdict) => (v === 'holds' ? '✓ holds' : v === 'does not hold here' ? '✗ does not hold here' : v === 'inconclusive' ? '? inconclusive' : v)
  return ['### Claims, measured', '', VERDICT_RULE, '', markdownTable(['claim', 'measured here', 'verdict', 'why', 'scenario'], claims.map((c) => [c.claim, c.measured, mark(c.verdict), c.why, c.scenario]))].join('\n') + '\n'
}
