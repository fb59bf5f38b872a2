import { describe, expect, it } from 'vitest'
import { combinations, labelText, pathSteps, setPath, substitute } from '../../../harness/scenario/matrix.js'

describe('scenario matrix', () => {
  it('expands every combination, first dimension slowest, with labels, values and sets', () => {
    const c = combinations({
      algorithm: ['round-robin', 'p2c'],
      layer: [{ name: 'L4', value: 4, set: { 'balancer.listeners[0].protocol': 'tcp' } }, { name: 'L7', set: {} }],
    })
    expect(c.map((x) => labelText(x.label))).toEqual(['algorithm=round-robin layer=L4', 'algorithm=round-robin layer=L7', 'algorithm=p2c layer=L4', 'algorithm=p2c layer=L7'])
    expect(c[0]!.values).toEqual({ algorithm: 'round-robin', layer: 4 })
    expect(c[1]!.values).toEqual({ algorithm: 'round-robin', layer: 'L7' })
    expect(c[0]!.sets).toEqual([['balancer.listeners[0].protocol', 'tcp']])
    expect(combinations({})).toEqual([{ label: {}, values: {}, sets: [] }])
  })

  it.each([
    ['balancer.listeners[0].protocol', ['balancer', 'listeners', 0, 'protocol']],
    ['timeline[1].do', ['timeline', 1, 'do']],
    ['a', ['a']],
    ['a..b', undefined],
    ['a[x]', undefined],
    ['', undefined],
    ['[0]', [0]],
  ])('path %s → %j', (path, steps) => {
    expect(pathSteps(path)).toEqual(steps)
  })

  it('sets, creates and deletes values along a path', () => {
    const tree: Record<string, unknown> = { a: { list: [{ x: 1 }, { x: 2 }] } }
    setPath(tree, ['a', 'list', 1, 'x'], 5)
    setPath(tree, ['b', 'c'], { deep: true })
    setPath(tree, ['a', 'list', 0], null)
    expect(tree).toEqual({ a: { list: [{ x: 5 }] }, b: { c: { deep: true } } })
  })

  it('substitutes ${dim}: a whole string keeps the value’s type, inside text it is interpolated', () => {
    expect(substitute({ n: '${count}', s: 'pool-${name}', keep: '${unknown}', list: ['${name}'] }, { count: 3, name: 'web' })).toEqual({
      n: 3,
      s: 'pool-web',
      keep: '${unknown}',
      list: ['web'],
    })
  })
})

describe('variant filters', () => {
  const v = (label: Record<string, string>) => ({ label, scenario: {} as never })
  const variants = [v({ balancer: 'engine', fault: 'dead' }), v({ balancer: 'engine', fault: 'hung' }), v({ balancer: 'haproxy', fault: 'dead' })]

  it('keeps variants matching every filter of a dimension the scenario has; several values per dimension are alternatives', async () => {
    const { parseVariantFilters, selectVariants } = await import('../../../harness/scenario/variant-filter.js')
    const { filters, bad } = parseVariantFilters(['fault=dead', 'layer=L4', 'nonsense'])
    expect(bad).toEqual(['nonsense'])
    expect(selectVariants(variants, filters).map((x) => x.label)).toEqual([variants[0]!.label, variants[2]!.label])
    expect(selectVariants(variants, parseVariantFilters(['balancer=engine', 'balancer=haproxy', 'fault=hung']).filters)).toHaveLength(1)
    expect(selectVariants(variants, [])).toHaveLength(3)
  })

  it('scopes a baseline to what a run was asked for: other scenarios and unselected variants are not missing', async () => {
    const { baselineForWhatRan } = await import('../../../harness/cli/commands/run.js')
    const run = (variant: Record<string, string>) => ({ variant }) as never
    const file = (name: string, runs: unknown[]) => ({ scenario: { name }, runs }) as never
    const baseline = [file('failover', [run({ fault: 'dead' }), run({ fault: 'hung' })]), file('other', [run({})])]
    const scoped = baselineForWhatRan(baseline, [file('failover', [])], ['fault=dead'])
    expect(scoped.map((f: { scenario: { name: string }; runs: { variant: unknown }[] }) => [f.scenario.name, f.runs.map((r) => r.variant)])).toEqual([['failover', [{ fault: 'dead' }]]])
  })
})
