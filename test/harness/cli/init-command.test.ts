import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseYaml } from '../../../engine/config/load-document.js'
import { shippedScenarios } from '../../../harness/cli/commands/init.js'
import { parseScenario } from '../../../harness/scenario/load-scenario.js'
import { scenarioFromExample, starterScenario } from '../../../harness/scenario/starter-scenario.js'
import { layerbench } from '../../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'layerbench-init-test-'))

/** The schema a file's yaml-language-server header names, resolved from the file's folder. */
function schemaOf(file: string): string {
  const header = /^# yaml-language-server: \$schema=(\S+)$/.exec(readFileSync(file, 'utf8').split('\n')[0]!)
  expect(header).not.toBeNull()
  return resolve(dirname(file), header![1]!)
}

describe('layerbench init', () => {
  it('writes a commented scenario with the schema header, which validates', () => {
    const r = layerbench(['init', 'shop'], { cwd: dir })
    expect(r.code, r.stderr).toBe(0)
    const file = join(dir, 'shop.yaml')
    const schema = schemaOf(file)
    expect(existsSync(schema)).toBe(true)
    expect(JSON.parse(readFileSync(schema, 'utf8'))).toHaveProperty('properties.backends')
    const text = readFileSync(file, 'utf8')
    expect(text.split('\n').filter((l) => l.startsWith('#')).length).toBeGreaterThan(8)
    expect(layerbench(['validate', 'shop.yaml'], { cwd: dir })).toMatchObject({ code: 0, stdout: expect.stringContaining('valid scenario "shop"') })
  })

  it('--from starts from a shipped scenario, renamed, and it validates', () => {
    const r = layerbench(['init', 'my-canary', '--from', 'canary-split'], { cwd: dir })
    expect(r.code, r.stderr).toBe(0)
    const file = join(dir, 'my-canary.yaml')
    expect(existsSync(schemaOf(file))).toBe(true)
    const v = layerbench(['validate', file])
    expect(v.code, v.stderr).toBe(0)
    expect(v.stdout).toContain('valid scenario "my-canary"')
    expect(readFileSync(file, 'utf8')).toContain('X-Canary')
  })

  it.each(shippedScenarios())('every shipped scenario can be a start: %s', (from) => {
    const text = scenarioFromExample(readFileSync(join('scenarios', `${from}.yaml`), 'utf8'), from, 'mine', './s.json')
    expect(parseScenario(parseYaml(text, 'mine.yaml'), 'mine.yaml', text).name).toBe('mine')
  })

  it('the starter parses with its defaults filled in', () => {
    const text = starterScenario('starter', './s.json')
    const loaded = parseScenario(parseYaml(text, 'starter.yaml'), 'starter.yaml', text)
    expect(loaded.variants).toHaveLength(1)
    expect(loaded.variants[0]!.scenario.expect).toHaveLength(2)
  })

  it.each<[string, string[], RegExp]>([
    ['an existing file', ['init', 'shop'], /exists \(--force replaces it\)/],
    ['an unknown --from, listing the known ones', ['init', 'x', '--from', 'nope'], /no shipped scenario "nope" \(one of: .*canary-split/],
    ['a name the schema refuses', ['init', 'no spaces'], /names are letters, digits/],
  ])('refuses %s with exit 2', (_, args, message) => {
    const r = layerbench(args, { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it('--force replaces', () => {
    expect(layerbench(['init', 'shop', '--force', '--from', 'failover'], { cwd: dir }).code).toBe(0)
    expect(readFileSync(join(dir, 'shop.yaml'), 'utf8')).toContain('Started from the shipped scenario "failover"')
  })
})
