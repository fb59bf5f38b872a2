import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { z } from 'zod'
import { formatPath } from '../../engine/errors.js'
import { resultFileSchema, type ResultFile } from '../result/result-model.js'
import { LB_ERR_INVALID_RESULTS, LB_ERR_RESULTS_UNREADABLE, ResultsError, type ResultsIssue } from './results-error.js'

/** A suite's `results.json`: every scenario's result file. */
export const suiteResultsSchema = z.strictObject({
  schema: z.literal('layerbench/results@1'),
  results: z.array(resultFileSchema),
})

/**
 * Loads saved results from a suite's `results.json`, a scenario's `result.json`, or a directory:
 * its `results.json` if there is one, otherwise every `result.json` below it (sorted by path).
 * Every file is validated against the result model; all problems of all files are reported at
 * once (`LB_ERR_INVALID_RESULTS`). A path without results is `LB_ERR_RESULTS_UNREADABLE`.
 */
export function loadResults(path: string): ResultFile[] {
  let isDirectory: boolean
  try {
    isDirectory = statSync(path).isDirectory()
  } catch (e) {
    throw new ResultsError(LB_ERR_RESULTS_UNREADABLE, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  if (!isDirectory) return parseFiles([path])
  const suite = join(path, 'results.json')
  if (existsSync(suite)) return parseFiles([suite])
  const files = (readdirSync(path, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => basename(f) === 'result.json')
    .sort()
    .map((f) => join(path, f))
  if (files.length === 0) throw new ResultsError(LB_ERR_RESULTS_UNREADABLE, `no results.json or */result.json under ${path}`)
  return parseFiles(files)
}

/** Validates already parsed JSON (a suite's results or one result file) as result files. */
export function parseResults(value: unknown, file: string): ResultFile[] {
  const parsed = parseOne(value, file)
  if (parsed.issues.length > 0) throw new ResultsError(LB_ERR_INVALID_RESULTS, `${file} is not valid layerbench results`, parsed.issues)
  return parsed.results
}

function parseFiles(files: readonly string[]): ResultFile[] {
  const results: ResultFile[] = []
  const issues: ResultsIssue[] = []
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      throw new ResultsError(LB_ERR_RESULTS_UNREADABLE, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (e) {
      issues.push({ file, path: '', message: `not JSON: ${(e as Error).message}` })
      continue
    }
    const parsed = parseOne(value, file)
    results.push(...parsed.results)
    issues.push(...parsed.issues)
  }
  if (issues.length > 0) {
    throw new ResultsError(LB_ERR_INVALID_RESULTS, files.length === 1 ? `${files[0]} is not valid layerbench results` : 'invalid layerbench results', issues)
  }
  return results
}

function parseOne(value: unknown, file: string): { results: ResultFile[]; issues: ResultsIssue[] } {
  const schema = typeof value === 'object' && value !== null && 'schema' in value ? value.schema : undefined
  if (schema === 'layerbench/results@1') {
    const parsed = suiteResultsSchema.safeParse(value)
    return parsed.success ? { results: parsed.data.results, issues: [] } : { results: [], issues: issuesOf(parsed.error, file) }
  }
  if (schema === 'layerbench/result@1') {
    const parsed = resultFileSchema.safeParse(value)
    return parsed.success ? { results: [parsed.data], issues: [] } : { results: [], issues: issuesOf(parsed.error, file) }
  }
  return { results: [], issues: [{ file, path: 'schema', message: 'expected "layerbench/results@1" (a suite) or "layerbench/result@1" (a scenario)' }] }
}

/** A zod error's issues with their paths; an unknown key is reported at its own path. */
function issuesOf(error: z.ZodError, file: string): ResultsIssue[] {
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ file, path: formatPath([...i.path, key]), message: 'unknown key' }))
      : [{ file, path: formatPath(i.path), message: i.message }],
  )
}
