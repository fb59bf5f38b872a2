import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resultFileSchema } from '../../../reports/result/result-model.js'
import { layerbench } from '../../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'layerbench-profile-test-'))
const scenario = join(dir, 'tiny.yaml')
writeFileSync(
  scenario,
  `
name: tiny
backends: { web: { count: 2 } }
balancer:
  listeners: [{ name: web, protocol: http, routes: [{ pool: web }] }]
  pools: { web: { backends: web, algorithm: '\${algorithm}' } }
load: { connections: 4, duration: 1500ms, warmup: 200ms }
matrix: { algorithm: [round-robin, p2c] }
`,
)

describe('layerbench profile', () => {
  it.each([
    ['cpu-prof', /\.cpuprofile$/],
    ['clinic-doctor', /\.clinic-doctor\.html$/],
  ])('runs the engine under %s and keeps the profile beside the result', (tool, produced) => {
    const out = join(dir, `out-${tool}`)
    const r = layerbench(['profile', scenario, '--tool', tool, '--variant', 'algorithm=p2c', '--out', out], { timeoutMs: 120_000 })
    expect(r.stderr).not.toMatch(/Error:/)
    expect(r.code).toBe(0)
    const files = readdirSync(join(out, 'tiny', 'profile'))
    expect(files.some((f) => produced.test(f))).toBe(true)
    const result = resultFileSchema.parse(JSON.parse(readFileSync(join(out, 'tiny', 'profile-result.json'), 'utf8')))
    expect(result.runs[0]!.variant).toEqual({ algorithm: 'p2c' })
    expect(result.runs[0]!.warnings.some((w) => w.includes(`profiled with ${tool}`))).toBe(true)
  })

  it('rejects an unknown tool or variant with exit 2', () => {
    expect(layerbench(['profile', scenario, '--tool', 'bubbleprof']).code).toBe(2)
    const r = layerbench(['profile', scenario, '--variant', 'algorithm=maglev'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/variants: algorithm=round-robin \| algorithm=p2c/)
  })
})
