import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { loadResults } from '../../reports/compare/load-results.js'
import { layerbench } from '../helpers/cli.js'

const root = new URL('../../', import.meta.url)
const workflow = parse(readFileSync(new URL('.github/workflows/layerbench.yml', root), 'utf8')) as {
  on: Record<string, unknown>
  jobs: Record<string, { 'runs-on': string; 'timeout-minutes': number; steps: { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown> }[] }>
}
const job = workflow.jobs['quick-suite']!
const steps = job.steps

/** The arguments of the step that runs the suite, split as a shell would (no quoting used there). */
function suiteArgs(): string[] {
  const step = steps.find((s) => s.run?.includes('layerbench run'))
  expect(step, 'a step runs the suite').toBeDefined()
  return step!.run!.trim().split(/\s+/).slice(2)
}

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name)
  return i === -1 ? undefined : args[i + 1]
}

describe('GitHub Actions workflow', () => {
  it('runs on pushes, pull requests and by hand, within a time limit', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch'])
    expect(job['runs-on']).toMatch(/^ubuntu-/)
    expect(job['timeout-minutes']).toBeLessThanOrEqual(60)
  })

  it('installs the project with the Node version package.json supports and the repo’s own setup script', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } }
    const node = steps.find((s) => s.uses?.startsWith('actions/setup-node@'))
    expect(Number(node?.with?.['node-version'])).toBeGreaterThanOrEqual(Number(/\d+/.exec(pkg.engines.node)![0]))
    const setup = steps.find((s) => s.run?.includes('install-system.sh'))
    const script = /(harness\/setup\/[\w.-]+\.sh)/.exec(setup!.run!)![1]!
    expect(existsSync(new URL(script, root))).toBe(true)
    expect(steps.findIndex((s) => s.run?.includes('npm ci'))).toBeLessThan(steps.findIndex((s) => s.run?.includes('layerbench run')))
  })

  it('runs the quick suite against a baseline that exists in the repo and is valid results', () => {
    const args = suiteArgs()
    expect(args[0]).toBe('run')
    expect(args).toContain('--quick')
    const scenarios = args[1]!
    expect(existsSync(new URL(scenarios, root))).toBe(true)
    const baseline = option(args, '--baseline')!
    expect(loadResults(new URL(baseline, root).pathname).length).toBeGreaterThan(0)
    // Every option the workflow passes is one the CLI knows.
    const help = layerbench(['run', '--help']).stdout
    for (const flag of args.filter((a) => a.startsWith('--'))) expect(help).toContain(flag)
  })

  it('publishes summary.md as the job summary and the report directory as an artifact, also when the suite fails', () => {
    const out = option(suiteArgs(), '--out')!
    const summary = steps.find((s) => s.run?.includes('GITHUB_STEP_SUMMARY'))!
    expect(summary.if).toBe('always()')
    expect(summary.run).toContain(`${out}/summary.md`)
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!
    expect(upload.if).toBe('always()')
    expect(String(upload.with?.path).replace(/\/$/, '')).toBe(out)
  })
})
