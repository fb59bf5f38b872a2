import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { csvField, csvText } from '../../../reports/export/csv.js'
import { fixtureNames, fixturePath, fixtureResult } from '../../helpers/fixture-results.js'
import { layerbench } from '../../helpers/cli.js'

const all = fixtureNames.map(fixtureResult)
const runs = all.flatMap((r) => r.runs.map((run) => ({ scenario: r.scenario.name, run })))
const intervals = runs.reduce((n, r) => n + r.run.timeseries.length, 0)
const exportOf = (format: string, per: string) => {
  const r = layerbench(['report', ...fixtureNames.map(fixturePath), '--format', format, '--per', per])
  expect(r.code, r.stderr).toBe(0)
  return r.stdout
}

/** RFC 4180 as a spreadsheet reads it: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') row.push(field), (field = '')
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++
    else field += c
  }
  expect(field).toBe('')
  return rows
}

const records = (text: string) => {
  const [header, ...rows] = parseCsv(text)
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])))
}

describe('csv', () => {
  it('quotes what needs quoting and reads back unchanged', () => {
    const cells = ['plain', 'a,b', 'say "hi"', 'two\nlines', '']
    expect(cells.map(csvField)).toEqual(['plain', '"a,b"', '"say ""hi"""', '"two\nlines"', ''])
    expect(parseCsv(csvText(['x', 'y', 'z', 'w', 'v'], [cells]))).toEqual([['x', 'y', 'z', 'w', 'v'], cells])
  })

  it('per run: one row per run with its variant and figures', () => {
    const rows = records(exportOf('csv', 'run'))
    expect(rows).toHaveLength(runs.length)
    rows.forEach((row, i) => {
      const { scenario, run } = runs[i]!
      expect(row).toMatchObject({ scenario, run: run.id, repeat: String(run.repeat), sent: String(run.summary.requests.sent), latencyP99Us: String(run.summary.latencyUs.p99) })
      expect(Number(row.rps)).toBe(run.summary.rps)
      expect(Number(row.sent)).toBe(Number(row.ok) + Number(row.failed))
      for (const [dim, v] of Object.entries(run.variant)) expect(row[`variant.${dim}`]).toBe(String(v))
    })
  })

  it('per interval: one row per interval, requests per backend summing to the answers', () => {
    const rows = records(exportOf('csv', 'interval'))
    expect(rows).toHaveLength(intervals)
    const first = runs[0]!.run.timeseries[0]!
    expect(Number(rows[0]!.tMs)).toBe(first.tMs)
    for (const row of rows.slice(0, 20)) {
      const perBackend = Object.entries(row).filter(([k, v]) => k.startsWith('backend.') && v !== '').reduce((s, [, v]) => s + Number(v), 0)
      expect(perBackend).toBe(Number(row.ok))
    }
  })
})

describe('json-lines', () => {
  it.each([
    ['run', runs.length],
    ['interval', intervals],
  ] as const)('per %s: one JSON object a line', (per, count) => {
    const lines = exportOf('json-lines', per).split('\n')
    expect(lines.pop()).toBe('')
    const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(objects).toHaveLength(count)
    expect(objects[0]).toMatchObject({ scenario: runs[0]!.scenario, run: runs[0]!.run.id })
  })
})

/** Samples of an OpenMetrics text: name, labels, value, timestamp (s). */
function parseOpenMetrics(text: string) {
  const lines = text.split('\n')
  expect(lines.at(-2)).toBe('# EOF')
  return lines
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\} (\S+) (\d+(?:\.\d+)?)$/.exec(l)
      if (m === null) throw new Error(`not an OpenMetrics sample: ${l}`)
      return { name: m[1]!, series: `${m[1]}{${m[2]}}`, value: Number(m[3]), at: Number(m[4]) }
    })
}

const promtool = spawnSync('promtool', ['--version']).status === 0

describe('openmetrics', () => {
  it.each(['run', 'interval'])('per %s: every sample parses, each series in time order', (per) => {
    const samples = parseOpenMetrics(exportOf('openmetrics', per))
    const last = new Map<string, number>()
    for (const s of samples) {
      expect(s.at).toBeGreaterThan(last.get(s.series) ?? 0)
      last.set(s.series, s.at)
    }
    const measured = runs.filter((r) => r.run.skipped === undefined)
    if (per === 'run') {
      const ok = samples.filter((s) => s.name === 'layerbench_run_requests_total' && s.series.includes('outcome="ok"'))
      expect(ok.map((s) => s.value)).toEqual(measured.map((r) => r.run.summary.requests.ok))
      const p99 = samples.filter((s) => s.name === 'layerbench_run_latency_seconds' && s.series.includes('percentile="p99"'))
      expect(p99.map((s) => s.value)).toEqual(measured.map((r) => r.run.summary.latencyUs.p99 / 1e6))
    } else {
      const rps = samples.filter((s) => s.name === 'layerbench_interval_throughput_requests_per_second')
      expect(rps).toHaveLength(measured.reduce((n, r) => n + r.run.timeseries.length, 0))
    }
  })

  it.runIf(promtool)('per interval: a Prometheus TSDB takes it in, every sample and series', () => {
    const text = exportOf('openmetrics', 'interval')
    const dir = mkdtempSync(join(tmpdir(), 'layerbench-om-'))
    writeFileSync(join(dir, 'in.om'), text)
    const r = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), join(dir, 'tsdb')], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const samples = parseOpenMetrics(text)
    // The block table: ULID, min time, max time, duration, samples, chunks, series, size.
    const blocks = r.stdout.split('\n').filter((l) => /^[0-9A-Z]{26}\s/.test(l)).map((l) => l.trim().split(/\s+/))
    expect(blocks.length).toBeGreaterThan(0)
    expect(blocks.reduce((n, b) => n + Number(b[4]), 0)).toBe(samples.length)
    expect(Math.max(...blocks.map((b) => Number(b[6])))).toBeLessThanOrEqual(new Set(samples.map((s) => s.series)).size)
  })
})

describe('report --format refuses bad input with exit 2', () => {
  it.each([
    [['--format', 'xml'], /--format: expected csv, json-lines, openmetrics/],
    [['--format', 'csv', '--per', 'second'], /--per: expected run or interval/],
  ])('%j', (args, message) => {
    const r = layerbench(['report', fixturePath('failover'), ...args])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })
})
