import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/** The built pool module (`npm test` builds first): V8's view of it is what is checked here. */
const POOL = fileURLToPath(new URL('../../../dist/engine/pool/backend-pool.js', import.meta.url))

/**
 * How V8 holds pools built with different algorithms, members and options: whether each has fast
 * properties and whether all share the first one's hidden class (`%HasFastProperties`,
 * `%HaveSameMap`: natives only a process started with --allow-natives-syntax can call). Every
 * request loads pick, onStart and onDone from its pool; from a pool in dictionary mode, or from
 * pools of many classes, each load is a lookup by name.
 */
function poolShapes(): { fast: boolean[]; same: boolean[]; stderr: string } {
  const script = `
    const { createBackendPool } = await import(${JSON.stringify(POOL)})
    const members = (n) => Array.from({ length: n }, (_, i) => ({ id: 'b' + i, host: '127.0.0.1', port: 9000 + i }))
    const pools = [
      createBackendPool({ algorithm: 'p2c', backends: members(3) }),
      createBackendPool({ algorithm: 'round-robin', backends: members(5) }),
      createBackendPool({ algorithm: 'least-connections', backends: members(2), slowStart: { windowMs: 1000 } }),
      createBackendPool({ algorithm: 'maglev', backends: members(4) }),
      createBackendPool({ algorithm: 'p2c', backends: members(1) }),
    ]
    pools[1].remove('b0')
    pools[1].pick()
    console.log(JSON.stringify({ fast: pools.map((p) => %HasFastProperties(p)), same: pools.slice(1).map((p) => %HaveSameMap(pools[0], p)) }))
  `
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 })
  const parsed = r.status === 0 ? (JSON.parse(r.stdout.trim()) as { fast: boolean[]; same: boolean[] }) : { fast: [], same: [] }
  return { ...parsed, stderr: r.stderr }
}

describe('backend pool shape', () => {
  it('every pool has fast properties and one shared hidden class, whatever its algorithm, members, options and history', () => {
    const { fast, same, stderr } = poolShapes()
    expect(stderr).toBe('')
    expect(fast).toEqual([true, true, true, true, true])
    expect(same).toEqual([true, true, true, true])
  })
})
