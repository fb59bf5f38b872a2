import { evaluateClaims, type ClaimVerdict } from '../claims/claims.js'
import type { ResultFile } from '../result/result-model.js'
import { chartSlot, escapeHtml, type PageChart } from './html-document.js'
import { htmlTable, passMark, type HtmlCell } from './html-table.js'

/** Charts that answer a scenario's question best, most telling first. */
const HEADLINE_ORDER = ['failover', 'variants', 'share', 'overhead', 'spectrum']

/** The chart a page leads with: the failover picture, else the comparison of variants, else the first that is there. */
export function headlineChart(charts: readonly PageChart[]): PageChart | undefined {
  for (const id of HEADLINE_ORDER) {
    const c = charts.find((x) => x.id === id)
    if (c !== undefined) return c
  }
  return charts[0]
}

const verdictMark: Record<ClaimVerdict, { text: string; class: string }> = {
  holds: { text: '✓ holds', class: 'pass' },
  'holds with nuance': { text: '≈ holds with nuance', class: 'warn' },
  'does not hold here': { text: '✗ does not hold here', class: 'fail' },
  inconclusive: { text: '? inconclusive', class: 'warn' },
  'not measured': { text: 'not measured', class: '' },
  'not measurable here': { text: 'not measurable here', class: '' },
}

/** The verdicts on this scenario: the claims it measures, and its expectations as a count with the failures named. */
export function verdictList(result: ResultFile): string {
  const items: string[] = []
  for (const c of evaluateClaims([result]).filter((x) => x.scenario === result.scenario.name && x.verdict !== 'not measured' && x.verdict !== 'not measurable here')) {
    const mark = verdictMark[c.verdict]
    items.push(`<li><span class="${mark.class}">${escapeHtml(mark.text)}</span>: ${escapeHtml(c.claim)} — ${escapeHtml(c.measured)} (${escapeHtml(c.why)})</li>`)
  }
  const expectations = result.runs.flatMap((r) => r.expectations)
  const failed = expectations.filter((e) => !e.pass)
  if (expectations.length > 0) {
    const names = [...new Set(failed.map((e) => e.name))]
    items.push(
      failed.length === 0
        ? `<li><span class="pass">✓</span> every expectation held (${expectations.length} checks over ${result.runs.length} run(s))</li>`
        : `<li><span class="fail">✗ ${failed.length} of ${expectations.length} expectation checks failed</span>: ${names.map((n) => escapeHtml(n)).join('; ')}</li>`,
    )
  }
  const skipped = result.runs.filter((r) => r.skipped !== undefined).length
  if (skipped > 0) items.push(`<li class="warn">${skipped} run(s) skipped: see the key figures</li>`)
  return items.length === 0 ? '' : `<ul class="verdicts">${items.join('')}</ul>`
}

/** The question, then the answer: the verdicts and the headline chart. */
export function answerSection(result: ResultFile, headline: PageChart | undefined, after: string): string {
  return [
    '<section class="answer">',
    `<p class="question"><strong>The question.</strong> ${escapeHtml(result.scenario.description || 'This scenario states no question (its description is empty).')}</p>`,
    '<h2 id="answer">The answer</h2>',
    verdictList(result),
    headline === undefined ? '' : chartSlot(headline.id),
    after,
    '</section>',
  ].join('\n')
}

/**
 * Expectations folded to what matters: the failed checks in a table, every check behind a
 * disclosure with the count.
 */
export function expectationsSection(result: ResultFile): string {
  const all = result.runs.flatMap((r) => r.expectations.map((e) => ({ run: r.id, ...e })))
  if (all.length === 0) return '<p>This scenario states no expectations.</p>'
  const row = (e: (typeof all)[number]): HtmlCell[] => [passMark(e.pass), e.run, e.name, e.expected, e.actual]
  const header = ['', 'run', 'expectation', 'expected', 'measured']
  const failed = all.filter((e) => !e.pass)
  return [
    failed.length === 0 ? `<p class="pass">All ${all.length} checks held.</p>` : `<p class="fail">${failed.length} of ${all.length} checks failed:</p>${htmlTable(header, failed.map(row))}`,
    `<details><summary>every check (${all.length}, ${all.length - failed.length} held)</summary>${htmlTable(header, all.map(row))}</details>`,
  ].join('')
}
