import { readFileSync } from 'node:fs'
import { resultFileSchema, type ResultFile } from '../../reports/result/result-model.js'

/** Names of the saved results in test/fixtures/results (real runs of the process provider). */
export const fixtureNames = ['canary-split', 'failover', 'algorithm-spread'] as const

/** A saved result from test/fixtures/results, validated against the result model. */
export function fixtureResult(name: (typeof fixtureNames)[number]): ResultFile {
  const text = readFileSync(new URL(`../fixtures/results/${name}.json`, import.meta.url), 'utf8')
  return resultFileSchema.parse(JSON.parse(text))
}

/** Path of a saved fixture result. */
export function fixturePath(name: (typeof fixtureNames)[number]): string {
  return new URL(`../fixtures/results/${name}.json`, import.meta.url).pathname
}
