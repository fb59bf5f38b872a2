import { describe, expect, it } from 'vitest'
import { compareResults } from '../../../reports/compare/index.js'
import { renderComparisonReport } from '../../../reports/render/comparison-report.js'
import { escapeHtml, scriptJson } from '../../../reports/render/html-document.js'
import { firstSentence, renderIndexPage, suiteEnvironments } from '../../../reports/render/index-page.js'
import { renderScenarioReport, scenarioCharts } from '../../../reports/render/scenario-report.js'
import { headlineChart } from '../../../reports/render/answer-section.js'
import { formatCount } from '../../../reports/render/format.js'
import { spreadText } from '../../../reports/render/key-figures.js'
import { aggregateRuns } from '../../../reports/result/aggregate.js'
import type { ResultFile } from '../../../reports/result/result-model.js'
import { fixtureNames, fixtureResult } from '../../helpers/fixture-results.js'
import { syntheticResult } from '../../helpers/synthetic-results.js'

// A stand-in for vega's runtime: the pages' structure does not depend on it.
const runtime = '/* vega */'

/** The JSON of compiled chart specs a page carries. */
function pageSpecs(html: string): Record<string, unknown> {
  const m = /<script id="lb-charts" type="application\/json">([\s\S]*?)<\/script>/.exec(html)
  return JSON.parse(m![1]!) as Record<string, unknown>
}

describe('scenario report page', () => {
  it('has a slot for every chart, the headline first, and a compiled vega spec for every slot', () => {
    const result = fixtureResult('failover')
    const html = renderScenarioReport(result, { runtime })
    const slots = [...html.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1])
    const charts = scenarioCharts(result).map((c) => c.id)
    // Failover is what this scenario asks about: its chart leads, the others keep their order.
    expect(slots).toEqual(['failover', ...charts.filter((id) => id !== 'failover')])
    const specs = pageSpecs(html)
    expect(Object.keys(specs).sort()).toEqual([...slots].sort())
    for (const spec of Object.values(specs)) expect((spec as { $schema: string }).$schema).toMatch(/vega\/v6/)
  })

  it('leads with the question and the answer: the description, the verdicts and the headline chart come before any table', () => {
    for (const name of fixtureNames) {
      const result = fixtureResult(name)
      const html = renderScenarioReport(result, { runtime })
      const at = (needle: string) => {
        const i = html.indexOf(needle)
        expect(i, `${name}: ${needle}`).toBeGreaterThan(-1)
        return i
      }
      const question = at('<strong>The question.</strong>')
      const answer = at('<h2 id="answer">The answer</h2>')
      const verdicts = at('<ul class="verdicts">')
      const headline = at(`data-chart="${headlineChart(scenarioCharts(result))!.id}"`)
      const firstTable = at('<table>')
      expect([question, answer, verdicts, headline, firstTable]).toEqual([question, answer, verdicts, headline, firstTable].sort((x, y) => x - y))
      expect(html.slice(question, answer)).toContain(escapeHtml(firstSentence(result.scenario.description)))
    }
  })

  it('names the bottleneck of each maximum-load run, flagging the generator or a backend', () => {
    // 10 000 req/s × 95 µs of generator CPU a request: 0.95 of a core.
    const run = syntheticResult({ name: 's', variants: [{ repeats: 1, noise: 0 }] }).runs[0]!
    const bound = { ...run, cpu: { ...run.cpu, generatorUs: 95 * run.summary.requests.sent, perRequestUs: { ...run.cpu.perRequestUs, generator: 95 } } }
    const html = renderScenarioReport({ ...syntheticResult({ name: 's', variants: [] }), runs: [bound, run] }, { runtime })
    expect(html).toContain('<th>bottleneck</th>')
    expect(html).toContain('<td class="warn">generator</td>')
    expect(html).toContain('<td>none</td>')
  })

  it('folds the expectations to the failures and a count; every check stays behind the disclosure', () => {
    const result = fixtureResult('failover')
    const all = result.runs.flatMap((r) => r.expectations)
    expect(all.every((e) => e.pass)).toBe(true)
    const held = renderScenarioReport(result, { runtime })
    expect(held).toContain(`every expectation held (${all.length} checks over ${result.runs.length} run(s))`)
    expect(held).toContain(`<p class="pass">All ${all.length} checks held.</p><details><summary>every check (${all.length}, ${all.length} held)</summary>`)
    // Two checks of one run fail: they are named in the answer and listed above the fold of the rest.
    const failing: ResultFile = { ...result, runs: result.runs.map((r, i) => (i === 1 ? { ...r, expectations: r.expectations.map((e) => ({ ...e, pass: false })) } : r)) }
    const failed = failing.runs[1]!.expectations.length
    const html = renderScenarioReport(failing, { runtime })
    expect(html).toContain(`✗ ${failed} of ${all.length} expectation checks failed</span>: ${escapeHtml(failing.runs[1]!.expectations[0]!.name)}`)
    const section = html.slice(html.indexOf('<h2>Expectations</h2>'))
    const [open, folded] = section.split('<details>')
    expect(open).toContain(`${failed} of ${all.length} checks failed:`)
    expect((open!.match(/<td class="fail">✗<\/td>/g) ?? []).length).toBe(failed)
    expect(open).not.toMatch(/<td class="pass">/)
    const inside = folded!.slice(0, folded!.indexOf('</details>'))
    expect(inside).toContain(`every check (${all.length}, ${all.length - failed} held)`)
    expect((inside.match(/<td class="pass">✓<\/td>/g) ?? []).length).toBe(all.length - failed)
    expect((inside.match(/<td class="fail">✗<\/td>/g) ?? []).length).toBe(failed)
  })

  it('shows every figure from repeats with its range', () => {
    const result = fixtureResult('algorithm-spread')
    const repeated = aggregateRuns(result).find((a) => a.rps.values.length > 1)
    expect(repeated).toBeDefined()
    const html = renderScenarioReport(result, { runtime })
    const row = html.slice(html.indexOf(`<td>${escapeHtml(repeated!.key)}</td>`))
    const cells = [...row.slice(0, row.indexOf('</tr>')).matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]!)
    // variant, balancer, repeats, then seven figures: each a median with its (min–max).
    expect(cells[2]).toBe(String(repeated!.rps.values.length))
    for (const c of cells.slice(3, 10)) expect(c).toMatch(/^(—|.+ \(.+–.+\))$/)
    expect(cells[3]).toBe(spreadText(repeated!.rps, formatCount))
  })

  it('carries its result and key-figure CSV for download, and nothing else but the page', () => {
    const result = fixtureResult('canary-split')
    const html = renderScenarioReport(result, { runtime })
    const embedded = (id: string) => JSON.parse(JSON.parse(new RegExp(`<script id="lb-download-${id}" type="application/json">(.*?)</script>`, 's').exec(html)![1]!)) as unknown
    expect(embedded('result')).toEqual(result)
    expect(html).toContain(`download="${result.scenario.name}-result.json"`)
    expect(html).toContain(`download="${result.scenario.name}-key-figures.csv"`)
  })

  it('shows the environment, the scenario file hash and warnings', () => {
    const result = fixtureResult('canary-split')
    const html = renderScenarioReport(result, { runtime })
    expect(html).toContain(escapeHtml(result.environment.cpuModel))
    expect(html).toContain(result.environment.node)
    expect(html).toContain(result.scenario.hash.slice(0, 16))
    const warned = { ...result, runs: result.runs.map((r) => ({ ...r, warnings: ['load generator near a full core: figures are a floor'] })) }
    expect(renderScenarioReport(warned, { runtime })).toContain('load generator near a full core: figures are a floor')
  })

  it('escapes text from results, and cannot be broken out of its script elements', () => {
    const base = fixtureResult('canary-split')
    const hostile: ResultFile = { ...base, scenario: { ...base.scenario, name: 'x<script>alert(1)</script>', description: '</script><img src=x onerror=alert(1)>' } }
    const html = renderScenarioReport(hostile, { runtime })
    expect(html).not.toContain('<script>alert(1)')
    expect(html).not.toContain('<img src=x')
    expect(scriptJson({ a: '</script><!--' })).not.toMatch(/<\/script|<!--/)
    expect(JSON.parse(scriptJson({ a: '</script>\u2028' }))).toEqual({ a: '</script>\u2028' })
  })

  it('forbids network requests by its Content-Security-Policy and links nothing external', () => {
    const html = renderScenarioReport(fixtureResult('canary-split'), { runtime, indexHref: '../index.html' })
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';/)
    expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//)
    expect(html).toContain('href="../index.html"')
  })

  it('shows how the instruments kept time: send lag and the backends’ waits, only where measured', () => {
    const result = fixtureResult('failover')
    expect(renderScenarioReport(result, { runtime })).not.toContain('Timing of the instruments')
    const [first, ...rest] = result.runs
    const timed: ResultFile = {
      ...result,
      runs: [
        {
          ...first!,
          summary: { ...first!.summary, sendLagUs: { count: 100, min: 3, mean: 20, p50: 12, p90: 30, p99: 87, p999: 300, max: 410 } },
          backendService: { holds: 1600, requestedMeanUs: 2000, actualMeanUs: 2004, overshootUs: { min: 0.4, mean: 4, p50: 2, p99: 31, max: 77 } },
        },
        ...rest,
      ],
    }
    const html = renderScenarioReport(timed, { runtime })
    const section = html.slice(html.indexOf('Timing of the instruments'))
    for (const figure of ['12.0 µs', '87.0 µs', '1 600', '2000 µs', '2004 µs', '0.4 µs', '2.0 µs', '31.0 µs']) expect(section).toContain(figure)
  })

  it('puts the regression gate’s rows on the page when given', () => {
    const result = fixtureResult('algorithm-spread')
    const slower: ResultFile = { ...result, runs: result.runs.map((r) => ({ ...r, summary: { ...r.summary, latencyUs: { ...r.summary.latencyUs, p99: r.summary.latencyUs.p99 * 3 } } })) }
    const comparison = compareResults([result], [slower])
    const html = renderScenarioReport(slower, { runtime, comparison: comparison.rows })
    expect(html).toContain('Against the baseline')
    expect(html).toMatch(/class="verdict-regression">regression/)
  })
})

describe('index page', () => {
  it('links every scenario’s report and sums up the expectations of the suite', () => {
    const results = fixtureNames.map(fixtureResult)
    const html = renderIndexPage(results, { runtime, hrefOf: (n) => `${n}/report.html` })
    for (const name of fixtureNames) expect(html).toContain(`<a href="${name}/report.html">${name}</a>`)
    const all = results.flatMap((r) => r.runs.flatMap((x) => x.expectations))
    expect(html).toContain(`${all.filter((e) => e.pass).length}/${all.length} expectations held`)
    expect(Object.keys(pageSpecs(html))).toEqual(['cross-scenario'])
  })

  it('adds the caller’s sections with their charts', () => {
    const results = [fixtureResult('canary-split')]
    const html = renderIndexPage(results, { runtime, hrefOf: (n) => n, sections: [{ id: 'claims', title: 'Claims', html: '<p>claim table</p>' }] })
    expect(html).toContain('<h2 id="claims">Claims</h2><p>claim table</p>')
    expect(html).toContain('<a href="#claims">Claims</a>')
  })

  it('takes the first sentence of a description', () => {
    expect(firstSentence('One thing. Then more.')).toBe('One thing.')
    expect(firstSentence('  no full stop\n here ')).toBe('no full stop here')
    expect(firstSentence('v1.2 is a version. Next')).toBe('v1.2 is a version.')
  })
})

describe('comparison page', () => {
  it('overlays each scenario of every side and says which side lacks one', () => {
    const a = { label: 'before', results: [fixtureResult('canary-split'), fixtureResult('algorithm-spread')] }
    const b = { label: 'after', results: [fixtureResult('algorithm-spread')] }
    const html = renderComparisonReport([a, b], { runtime, comparison: compareResults(a.results, b.results) })
    expect(html).toContain('<h2 id="scenario-0">canary-split</h2>')
    expect(html).toContain('not in: after')
    expect(Object.keys(pageSpecs(html))).toEqual(expect.arrayContaining(['spectrum-0', 'spectrum-1', 'variants-1']))
    expect(html).toContain('Against the baseline')
  })

  it('pairs a live run with its simulation variant by variant, without regression verdicts', () => {
    const live = fixtureResult('algorithm-spread')
    const simulated = { ...live, environment: { ...live.environment, provider: 'simulator' as const } }
    const html = renderComparisonReport([{ label: 'live', results: [live] }, { label: 'sim', results: [simulated] }], { runtime, comparison: compareResults([live], [simulated]) })
    expect(html).toContain('Live and simulated, variant by variant')
    expect(html).toContain('(×1.00)')
    expect(html).toContain('live <code>live</code>')
    expect(html).not.toContain('Against the baseline')
  })
})

describe('suite environments', () => {
  it('merges scenarios measured in one environment, with every peer and the whole time span', () => {
    const [a, b] = [fixtureResult('canary-split'), fixtureResult('failover')]
    const first = { ...a, environment: { ...a.environment, peers: {}, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z' } }
    const second = { ...b, environment: { ...a.environment, peers: { haproxy: '2.6' }, startedAt: '2026-01-01T00:01:00Z', finishedAt: '2026-01-01T00:05:00Z' } }
    const envs = suiteEnvironments([first, second])
    expect(envs).toHaveLength(1)
    expect(envs[0]).toMatchObject({ peers: { haproxy: '2.6' }, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:05:00Z' })
    expect(suiteEnvironments([first, { ...second, environment: { ...second.environment, provider: 'docker' } }])).toHaveLength(2)
  })
})
