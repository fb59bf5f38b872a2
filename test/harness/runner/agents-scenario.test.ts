import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { resultFileSchema, type ResultFile } from '../../../reports/result/result-model.js'
import { layerbench } from '../../helpers/cli.js'

const canary = readFileSync(fileURLToPath(new URL('../../../scenarios/canary-split.yaml', import.meta.url)), 'utf8')

describe('load agents in a scenario', () => {
  it('canary-split with its request mix runs from two agents: shares, routing checks and the per-agent breakdown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerbench-agents-'))
    const file = join(dir, 'canary-split.yaml')
    expect(canary).toMatch(/^ {2}mix:/m)
    writeFileSync(file, canary.replace(/^ {2}mix:/m, '  agents: 2\n  mix:'))
    const out = join(dir, 'out')
    const r = layerbench(['run', file, '--quick', '--provider', 'process', '--out', out], { timeoutMs: 120_000 })
    expect(r.code, r.stdout.slice(-2000) + r.stderr).toBe(0)
    const result = resultFileSchema.parse(JSON.parse(readFileSync(join(out, 'canary-split', 'result.json'), 'utf8'))) as ResultFile
    for (const run of result.runs) {
      expect(run.expectations.filter((e) => !e.pass)).toEqual([])
      const agents = run.load.agents!
      expect(agents.map((a) => a.id)).toEqual(['agent-0', 'agent-1'])
      expect(agents.reduce((n, a) => n + a.sent, 0)).toBe(run.summary.requests.sent)
      // The forced-canary tenth was checked from the agents' tallies, and none went astray.
      expect(run.routing!.checked).toBeGreaterThan(0)
      expect(run.routing!.checked).toBeLessThan(run.summary.requests.ok)
      expect(run.routing!.misrouted).toBe(0)
    }
  }, 150_000)
})
