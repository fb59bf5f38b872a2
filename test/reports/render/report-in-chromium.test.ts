import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compareResults } from '../../../reports/compare/index.js'
import { writeComparisonReport, writeSuiteReport } from '../../../reports/publish/write-reports.js'
import { fixtureNames, fixtureResult } from '../../helpers/fixture-results.js'

const CHROMIUM = process.env.LAYERBENCH_CHROMIUM ?? '/usr/bin/chromium'
const required = process.env.LAYERBENCH_REQUIRE_CHROMIUM === '1'
const available = existsSync(CHROMIUM)

/** What a page did in the browser: its charts, console errors and every request it made. */
interface PageVisit {
  readonly charts: { id: string; rendered: string | undefined; marks: number }[]
  readonly errors: string[]
  readonly requests: string[]
}

describe.runIf(available || required)('reports in headless Chromium', () => {
  let browser: Browser
  let dir: string
  let pages: string[]

  beforeAll(async () => {
    if (!available) throw new Error(`LAYERBENCH_REQUIRE_CHROMIUM=1 but there is no Chromium at ${CHROMIUM} (harness/setup/install-system.sh installs it)`)
    dir = mkdtempSync(join(tmpdir(), 'layerbench-report-'))
    const results = fixtureNames.map(fixtureResult)
    const written = writeSuiteReport(join(dir, 'suite'), results, { comparison: compareResults(results, results) })
    const comparison = writeComparisonReport(join(dir, 'compare', 'comparison.html'), [
      { label: 'a', results },
      { label: 'b', results: results.slice(1) },
    ])
    pages = [written.index, ...written.scenarios, comparison]
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  async function visit(file: string): Promise<PageVisit> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    const errors: string[] = []
    const requests: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('request', (r) => requests.push(r.url()))
    await page.goto(pathToFileURL(file).href)
    await page.waitForSelector('body[data-charts-done="true"]', { timeout: 30_000 })
    const charts = await page.$$eval('[data-chart]', (els) =>
      els.map((e) => ({
        id: e.getAttribute('data-chart') ?? '',
        rendered: e.getAttribute('data-rendered') ?? undefined,
        // Marks vega drew: the children of its mark groups inside the chart's SVG.
        marks: e.querySelectorAll('svg g[class*="mark-"] > path, svg g[class*="mark-"] > line, svg g[class*="mark-"] > text, svg g[class*="mark-"] > g').length,
      })),
    )
    await context.close()
    return { charts, errors, requests }
  }

  it('renders every chart of every page with marks, no console error and no request but the page itself', async () => {
    for (const file of pages) {
      const v = await visit(file)
      expect(v.errors, file).toEqual([])
      expect(v.requests, file).toEqual([pathToFileURL(file).href])
      expect(v.charts.length, file).toBeGreaterThan(0)
      for (const c of v.charts) {
        expect(c.rendered, `${file} ${c.id}`).toBe('true')
        expect(c.marks, `${file} ${c.id}`).toBeGreaterThan(5)
      }
    }
  }, 180_000)
})

describe.skipIf(available || required)('reports in headless Chromium (skipped)', () => {
  it.skip(`needs Chromium at ${CHROMIUM}; .ci/run installs it and sets LAYERBENCH_REQUIRE_CHROMIUM=1`, () => {})
})
