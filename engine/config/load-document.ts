import { readFileSync } from 'node:fs'
import { LineCounter, parseDocument } from 'yaml'
import type { z } from 'zod'
import { EngineError, formatPath, type Issue } from '../errors.js'

/** Syntax errors reported from one document. */
const MAX_SYNTAX_ERRORS = 5
/** Alias expansions allowed in one document: a handful of lines can otherwise expand to gigabytes. */
export const MAX_ALIAS_COUNT = 100
/** Deepest nesting of collections accepted; no configuration or scenario needs a tenth of it. */
export const MAX_NESTING_DEPTH = 64

/**
 * Parses YAML (or JSON, a subset) text. Syntax errors become issues with line and column; every
 * one is reported at once.
 */
export function parseYaml(text: string, source: string): unknown {
  const lines = new LineCounter()
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines })
  // The parser recurses per level: a document nested deep enough exhausts its stack, which it
  // reports as a syntax error; say what it is instead.
  if (doc.errors.some((e) => e.message.includes('Maximum call stack size exceeded'))) throw tooDeep(source)
  if (doc.errors.length > 0) {
    throw new EngineError(
      'LB_ERR_INVALID_CONFIG',
      `${source} is not valid YAML`,
      [
        // After the first syntax error the parser reports every token that follows: only the
        // first few say anything.
        ...doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((e) => {
          const at = lines.linePos(e.pos[0])
          return { path: `line ${at.line}, column ${at.col}`, message: e.message.split('\n')[0]! }
        }),
        ...(doc.errors.length > MAX_SYNTAX_ERRORS ? [{ path: '', message: `${doc.errors.length - MAX_SYNTAX_ERRORS} further syntax errors follow from these` }] : []),
      ],
    )
  }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (e) {
    // The yaml library throws a ReferenceError past maxAliasCount, and a RangeError when a
    // structure is too deep for the stack.
    if (e instanceof ReferenceError) throw new EngineError('LB_ERR_INVALID_CONFIG', `${source}: aliases expand too much (more than ${MAX_ALIAS_COUNT} alias uses; an alias bomb?)`)
    if (e instanceof RangeError) throw tooDeep(source)
    throw e
  }
  if (nestingDepth(value, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) throw tooDeep(source)
  return value
}

function tooDeep(source: string): EngineError {
  return new EngineError('LB_ERR_INVALID_CONFIG', `${source}: collections nested deeper than ${MAX_NESTING_DEPTH} levels`)
}

/** Depth of nested arrays and objects, counted without recursion and no further than `limit + 1`. */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    deepest = Math.max(deepest, depth + 1)
    if (deepest > limit) return deepest
    for (const child of Object.values(v)) stack.push([child, depth + 1])
  }
  return deepest
}

/** Validates a parsed document; on failure every problem is reported with its path. */
export function validateDocument<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  throw new EngineError('LB_ERR_INVALID_CONFIG', `${source} is invalid`, issuesOf(parsed.error))
}

/** A zod error's issues as `path: message` pairs, sorted by path for stable output. */
export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues
    .map((i) => ({ path: formatPath(i.path), message: i.message }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** Reads and validates a YAML file. */
export function loadDocument<S extends z.ZodType>(schema: S, file: string): z.infer<S> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new EngineError('LB_ERR_CONFIG_UNREADABLE', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  return validateDocument(schema, parseYaml(text, file), file)
}
