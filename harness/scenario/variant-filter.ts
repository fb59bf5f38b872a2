import type { ScenarioVariant } from './load-scenario.js'

/** `dimension=value` pairs from the command line. */
export type VariantFilter = readonly [dimension: string, value: string]

/** Parses `dim=value` arguments; returns the bad ones apart. */
export function parseVariantFilters(args: readonly string[]): { filters: VariantFilter[]; bad: string[] } {
  const filters: VariantFilter[] = []
  const bad: string[] = []
  for (const a of args) {
    const m = /^([^=]+)=(.*)$/.exec(a)
    if (m === null) bad.push(a)
    else filters.push([m[1]!, m[2]!])
  }
  return { filters, bad }
}

/**
 * The variants matching every filter whose dimension the scenario has (a filter on a dimension a
 * scenario lacks does not concern it). Several filters on one dimension accept any of their values.
 */
export function selectVariants(variants: readonly ScenarioVariant[], filters: readonly VariantFilter[]): ScenarioVariant[] {
  // Every variant of a matrix has the same dimensions, so a label's own dimensions are the scenario's.
  return variants.filter((v) => labelMatches(v.label, filters))
}

/** True when a variant label (live, or a saved result's `run.variant`) matches every filter on a dimension it has. */
export function labelMatches(label: Readonly<Record<string, unknown>>, filters: readonly VariantFilter[]): boolean {
  const byDim = new Map<string, string[]>()
  for (const [d, v] of filters) if (Object.hasOwn(label, d)) byDim.set(d, [...(byDim.get(d) ?? []), v])
  return [...byDim].every(([d, values]) => values.includes(String(label[d])))
}
