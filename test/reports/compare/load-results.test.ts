import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { LB_ERR_INVALID_RESULTS, LB_ERR_RESULTS_UNREADABLE, loadResults, parseResults, ResultsError } from '../../../reports/compare/index.js'
import { syntheticResult } from '../../helpers/synthetic-results.js'

const root = mkdtempSync(join(tmpdir(), 'layerbench-load-results-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

let dirs = 0
/** A fresh directory with these files (relative path → content; objects are written as JSON). */
function directory(files: Record<string, unknown>): string {
  const dir = join(root, `case-${++dirs}`)
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  }
  mkdirSync(dir, { recursive: true })
  return dir
}

/** The error a call throws, for assertions on its code and issues. */
function thrown(f: () => unknown): ResultsError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(ResultsError)
    return e as ResultsError
  }
  throw new Error('expected a ResultsError')
}

const alpha = syntheticResult({ name: 'alpha', variants: [{ seed: 1, repeats: 2 }] })
const beta = syntheticResult({ name: 'beta', variants: [{ variant: { algorithm: 'maglev' }, seed: 2, repeats: 1 }] })
const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'results')

describe('loadResults: where results can be', () => {
  it('reads a suite file (results.json) with every scenario in it', () => {
    const dir = directory({ 'results.json': { schema: 'layerbench/results@1', results: [alpha, beta] } })
    expect(loadResults(join(dir, 'results.json'))).toEqual([alpha, beta])
  })

  it('reads a single scenario result file', () => {
    const dir = directory({ 'alpha/result.json': alpha })
    expect(loadResults(join(dir, 'alpha', 'result.json'))).toEqual([alpha])
  })

  it('prefers a directory’s results.json over the scenario files beside it', () => {
    const dir = directory({ 'results.json': { schema: 'layerbench/results@1', results: [beta] }, 'alpha/result.json': alpha })
    expect(loadResults(dir)).toEqual([beta])
  })

  it('reads every */result.json of a directory, in path order', () => {
    const dir = directory({ 'zeta/result.json': beta, 'alpha/result.json': alpha, 'notes.txt': 'not results' })
    expect(loadResults(dir)).toEqual([alpha, beta])
  })

  it('reads the saved fixtures as they are', () => {
    const results = loadResults(join(fixtures, 'failover.json'))
    expect(results).toHaveLength(1)
    expect(results[0]!.scenario.name).toBe('failover')
    expect(results[0]!.runs).toHaveLength(8)
  })
})

describe('loadResults: problems', () => {
  it('reports bad JSON and every schema violation of every file at once, each with its file and path', () => {
    // Untyped, as a file on disk is.
    const broken = JSON.parse(JSON.stringify(alpha))
    broken.runs[0].summary.rps = 'fast'
    broken.runs[1].colour = 'blue'
    const dir = directory({ 'a/result.json': '{ "schema": "layerbench/result@1", ', 'b/result.json': broken, 'c/result.json': beta })
    const error = thrown(() => loadResults(dir))
    expect(error.code).toBe(LB_ERR_INVALID_RESULTS)
    const a = join(dir, 'a', 'result.json')
    const b = join(dir, 'b', 'result.json')
    expect(error.issues).toEqual([
      { file: a, path: '', message: expect.stringMatching(/^not JSON: /) },
      { file: b, path: 'runs[0].summary.rps', message: expect.any(String) },
      { file: b, path: 'runs[1].colour', message: 'unknown key' },
    ])
    // The message lists them too, so a CI log shows every problem without a debugger.
    expect(error.message).toContain(`${a}: (root): not JSON`)
    expect(error.message).toContain(`${b}: runs[0].summary.rps:`)
    expect(error.message).toContain(`${b}: runs[1].colour: unknown key`)
  })

  it('points into the suite file for a bad scenario inside it', () => {
    const bad = JSON.parse(JSON.stringify(beta))
    delete bad.scenario.hash
    const dir = directory({ 'results.json': { schema: 'layerbench/results@1', results: [alpha, bad] } })
    const error = thrown(() => loadResults(dir))
    expect(error.code).toBe(LB_ERR_INVALID_RESULTS)
    expect(error.issues).toEqual([{ file: join(dir, 'results.json'), path: 'results[1].scenario.hash', message: expect.any(String) }])
  })

  it('names the schema it expected when a file is something else', () => {
    const dir = directory({ 'result.json': { schema: 'layerbench/scenario@1' } })
    const error = thrown(() => loadResults(join(dir, 'result.json')))
    expect(error.code).toBe(LB_ERR_INVALID_RESULTS)
    expect(error.issues).toEqual([{ file: join(dir, 'result.json'), path: 'schema', message: expect.stringContaining('layerbench/results@1') }])
  })

  it('reports a missing path or a directory without results as unreadable', () => {
    const missing = thrown(() => loadResults(join(root, 'no-such-dir')))
    expect(missing.code).toBe(LB_ERR_RESULTS_UNREADABLE)
    expect(missing.message).toContain('ENOENT')
    const empty = thrown(() => loadResults(directory({ 'readme.md': '# nothing here' })))
    expect(empty.code).toBe(LB_ERR_RESULTS_UNREADABLE)
    expect(empty.message).toMatch(/no results\.json or \*\/result\.json/)
  })
})

describe('parseResults', () => {
  it('validates already parsed JSON and names the source in its issues', () => {
    expect(parseResults({ schema: 'layerbench/results@1', results: [alpha] }, 'inline')).toEqual([alpha])
    const error = thrown(() => parseResults({ ...alpha, extra: 1 }, 'inline'))
    expect(error.code).toBe(LB_ERR_INVALID_RESULTS)
    expect(error.issues).toEqual([{ file: 'inline', path: 'extra', message: 'unknown key' }])
  })
})
