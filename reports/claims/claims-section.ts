import { escapeHtml } from '../render/html-document.js'
import { htmlTable, type HtmlCell } from '../render/html-table.js'
import type { IndexSection } from '../render/index-page.js'
import { markdownTable } from '../render/markdown-table.js'
import type { ClaimOutcome, ClaimVerdict } from './claims.js'

const verdictClass: Record<ClaimVerdict, string> = { holds: 'pass', 'holds with nuance': 'warn', 'does not hold here': 'fail', 'not measured': '' }

/** The claims as a section of the index page: claim, figure measured, verdict and why, and the scenario's report. */
export function claimsSection(claims: readonly ClaimOutcome[], hrefOf: (scenario: string) => string): IndexSection {
  const counts = (['holds', 'holds with nuance', 'does not hold here', 'not measured'] as const).map((v) => [v, claims.filter((c) => c.verdict === v).length] as const).filter(([, n]) => n > 0)
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
      htmlTable(['claim', 'measured here', 'verdict', 'why', 'scenario'], rows),
  }
}

/** The claims as Markdown for summary.md. */
export function claimsMarkdown(claims: readonly ClaimOutcome[]): string {
  return ['### Claims, measured', '', markdownTable(['claim', 'measured here', 'verdict', 'scenario'], claims.map((c) => [c.claim, c.measured, c.verdict === 'holds' ? '✓ holds' : c.verdict === 'does not hold here' ? '✗ does not hold here' : c.verdict, c.scenario]))].join('\n') + '\n'
}
