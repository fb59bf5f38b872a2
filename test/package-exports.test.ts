import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

describe('package exports', () => {
  it("serves the registry and the pool from 'layerbench/engine', as users import them", () => {
    const script = `
      import { algorithms, createBackendPool, seededDeps } from 'layerbench/engine'
      const pool = createBackendPool({ algorithm: 'wrr', backends: [{ host: '127.0.0.1', port: 1, weight: 2 }, { host: '127.0.0.1', port: 2 }] }, seededDeps(1))
      const picks = Array.from({ length: 3 }, () => pool.pick().port).join('')
      console.log(JSON.stringify({ names: Object.keys(algorithms), picks }))`
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' })
    expect(r.stderr).toBe('')
    const out = JSON.parse(r.stdout) as { names: string[]; picks: string }
    expect(out.names).toEqual(['round-robin', 'smooth-weighted-round-robin', 'weighted-random', 'least-connections', 'p2c', 'peak-ewma', 'ring-hash', 'maglev', 'rendezvous'])
    expect(out.picks).toBe('121')
  })
})
