import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI, layerbench } from '../../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'layerbench-progress-test-'))
const scenario = join(dir, 'tiny.yaml')
// Long enough for a few live redraws (4 a second), short enough for a test.
writeFileSync(
  scenario,
  `name: tiny
backends:
  web: { count: 2 }
balancer:
  listeners:
    - { name: web, protocol: http, routes: [{ pool: web }] }
  pools:
    web: { backends: web }
load: { mode: open, rate: 100, connections: 4, duration: 2s, warmup: 200ms, intervalMs: 250 }
`,
)

const hasScript = spawnSync('script', ['--version']).status === 0
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** `layerbench run` on a pseudo-terminal (util-linux `script`), returning everything the terminal received. */
function runOnTerminal(out: string, extra: string[] = []): { code: number | null; screen: string } {
  const command = [process.execPath, CLI, 'run', scenario, '--provider', 'process', '--out', out, ...extra].map(quote).join(' ')
  const r = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, COLUMNS: '160', LINES: '40' } })
  return { code: r.status, screen: r.stdout }
}

/** The text lines a terminal shows in the end, roughly: escape sequences removed, split at CR and LF. */
function lines(screen: string): string[] {
  return screen
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '\n')
    .split(/\r\n|\r|\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
}

const FINISHED = /^\[1\/1\] tiny run #1: \d+ req\/s, p99 [\d.]+ (µs|ms), \d+ failed$/

describe.skipIf(!hasScript)('run progress on a terminal', () => {
  it('draws a live run line and a suite line in place, leaves the finished run whole, keeps chatter in run.log', () => {
    const out = join(dir, 'tty')
    const { code, screen } = runOnTerminal(out)
    expect(code, screen).toBe(0)
    // Redrawn in place: cursor movement, and the live figures of the run as it went.
    expect(screen).toMatch(/\x1b\[1A/)
    const shown = lines(screen)
    expect(shown.some((l) => /^tiny run #1 {2}\[[#-]{20}\] \d\.\d\/2\.0 s {2}\d+ req\/s {2}\d+ error\(s\)$/.test(l))).toBe(true)
    expect(shown.some((l) => /^suite \[[#-]{20}\] 0\/1 runs {2}ETA \d+ s$/.test(l))).toBe(true)
    expect(shown.filter((l) => FINISHED.test(l))).toHaveLength(1)
    expect(screen).not.toMatch(/backend web-\d: ready/)
    const log = readFileSync(join(out, 'run.log'), 'utf8')
    expect(log).toMatch(/^\S+Z backend web-0: ready on 127\./m)
    expect(log).toMatch(/^\S+Z \[1\/1\] tiny run #1: /m)
  })

  it('with --verbose, backend messages are whole lines above the live ones', () => {
    const { code, screen } = runOnTerminal(join(dir, 'tty-verbose'), ['--verbose'])
    expect(code, screen).toBe(0)
    const shown = lines(screen)
    for (const id of ['web-0', 'web-1']) expect(shown.some((l) => new RegExp(`^backend ${id}: ready on 127\\.[\\d.]+ \\(pid \\d+\\)$`).test(l)), id).toBe(true)
    expect(shown.filter((l) => FINISHED.test(l))).toHaveLength(1)
  })
})

describe('run progress without a terminal', () => {
  it('plain lines, one per finished run, no control characters, no backend chatter', () => {
    const r = layerbench(['run', scenario, '--provider', 'process', '--out', join(dir, 'plain')], { timeoutMs: 60_000 })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr + r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/)
    const stderr = r.stderr.split('\n').filter((l) => l !== '')
    expect(stderr.filter((l) => FINISHED.test(l))).toHaveLength(1)
    expect(stderr.filter((l) => /^\[\d+\/\d+\]/.test(l))).toHaveLength(1)
    expect(r.stderr).not.toMatch(/backend web-\d/)
  })
})
