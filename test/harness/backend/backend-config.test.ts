import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../engine/balancing/random.js'
import { EngineError } from '../../../engine/errors.js'
import {
  backendConfigSchema,
  behaviourPatchSchema,
  defaultSeed,
  isBenchmarkingAddress,
  isLoopbackAddress,
  loadBackendConfig,
  zodIssues,
  type Behaviour,
} from '../../../harness/backend/backend-config.js'
import { decide, mergeBehaviour } from '../../../harness/backend/behaviour.js'
import { tcpReply } from '../../../harness/backend/tcp-protocol.js'

function issuesOf(value: unknown): { path: string; message: string }[] {
  const r = backendConfigSchema.safeParse(value)
  return r.success ? [] : zodIssues(r.error)
}

describe('backendConfigSchema', () => {
  it('applies defaults to a minimal config', () => {
    const c = backendConfigSchema.parse({ id: 'b1', control: { port: 0 } })
    expect(c).toEqual({ id: 'b1', host: '127.0.0.1', control: { port: 0 }, proxyProtocol: 'none', behaviour: {} })
  })

  it('accepts a full config', () => {
    const full = {
      id: 'db-1',
      host: '127.0.0.5',
      http: { port: 8080, tls: { cert: '-----BEGIN CERTIFICATE-----\n…', key: '-----BEGIN PRIVATE KEY-----\n…' } },
      tcp: { port: 5432 },
      udp: { port: 5432 },
      control: { port: 9000 },
      proxyProtocol: 'any',
      behaviour: {
        latency: { kind: 'lognormal', medianMs: 5, sigma: 0.5 },
        errorRate: 0.1,
        errorStatus: 503,
        resetRate: 0.01,
        responseBytes: 1024,
        slowBody: { bytesPerSecond: 1000 },
        healthy: false,
      },
      seed: 42,
    }
    expect(backendConfigSchema.parse(full)).toEqual(full)
  })

  it('reports every problem at once, each with its path', () => {
    const issues = issuesOf({
      id: 'has space',
      host: '10.0.0.1',
      http: { port: 70000, extra: true },
      tcp: { port: 9000 },
      control: { port: 9000 },
      proxyProtocol: 'v3',
      behaviour: { latency: { kind: 'uniform', minMs: 5, maxMs: 1 }, errorRate: 1.5, errorStatus: 200, slowBody: { bytesPerSecond: 0 }, latncy: 1 },
    })
    const paths = issues.map((i) => i.path).sort()
    expect(paths).toEqual(
      [
        'id',
        'host',
        'http.port',
        'http.extra',
        'control.port',
        'proxyProtocol',
        'behaviour.latency.maxMs',
        'behaviour.errorRate',
        'behaviour.errorStatus',
        'behaviour.slowBody.bytesPerSecond',
        'behaviour.latncy',
      ].sort(),
    )
    expect(issues.find((i) => i.path === 'host')!.message).toMatch(/127\.0\.0\.0\/8, ::1 or 198\.18\.0\.0\/15/)
    expect(issues.find((i) => i.path === 'behaviour.latncy')!.message).toBe('unknown key')
  })

  it('refuses one fixed port for two TCP listeners, but lets UDP share the number', () => {
    expect(issuesOf({ id: 'a', tcp: { port: 9000 }, control: { port: 9000 } })).toEqual([{ path: 'control.port', message: 'port 9000 is already used by tcp' }])
    expect(issuesOf({ id: 'a', tcp: { port: 9000 }, udp: { port: 9000 }, control: { port: 9001 } })).toEqual([])
    expect(issuesOf({ id: 'a', http: { port: 0 }, tcp: { port: 0 }, control: { port: 0 } })).toEqual([])
  })

  it('requires control and an id', () => {
    expect(issuesOf({}).map((i) => i.path)).toEqual(['id', 'control'])
    expect(issuesOf([]).map((i) => i.path)).toEqual(['(root)'])
  })

  it.each([
    ['127.0.0.1', true],
    ['127.255.3.4', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', false],
    ['128.0.0.1', false],
    ['0.0.0.0', false],
    ['localhost', false],
    ['::', false],
  ])('isLoopbackAddress(%s) is %s', (host, expected) => {
    expect(isLoopbackAddress(host)).toBe(expected)
  })

  it.each([
    ['198.18.0.11', true],
    ['198.19.255.254', true],
    ['198.17.0.1', false],
    ['198.20.0.1', false],
    ['127.0.0.1', false],
  ])('isBenchmarkingAddress(%s) is %s', (host, expected) => {
    expect(isBenchmarkingAddress(host)).toBe(expected)
  })

  it('a backend may listen on loopback or a lab address, nowhere else', () => {
    expect(backendConfigSchema.safeParse({ id: 'a', host: '198.18.101.2', control: { port: 0 } }).success).toBe(true)
    expect(backendConfigSchema.safeParse({ id: 'a', host: '10.0.0.1', control: { port: 0 } }).success).toBe(false)
  })
})

describe('loadBackendConfig', () => {
  const json = JSON.stringify({ id: 'from-argv', control: { port: 0 } })
  const env = { LAYERBENCH_BACKEND: JSON.stringify({ id: 'from-env', control: { port: 0 } }) }

  it('prefers --config over the environment variable', () => {
    expect(loadBackendConfig(['--config', json], env).id).toBe('from-argv')
    expect(loadBackendConfig([`--config=${json}`], env).id).toBe('from-argv')
    expect(loadBackendConfig([], env).id).toBe('from-env')
  })

  it.each([
    [[], {}, /no configuration/],
    [['--config', '{nope'], {}, /not JSON/],
    [['--bogus'], {}, /invalid arguments/],
    [['--config', '{"id":"x"}'], {}, /control: /],
  ])('refuses %j', (argv, e, message) => {
    expect(() => loadBackendConfig(argv, e)).toThrow(EngineError)
    expect(() => loadBackendConfig(argv, e)).toThrow(message)
  })
})

describe('behaviour', () => {
  it('merges a patch: absent keeps, null clears', () => {
    const current: Behaviour = { latency: { kind: 'fixed', ms: 5 }, errorRate: 0.5, healthy: false }
    const patch = behaviourPatchSchema.parse({ latency: null, resetRate: 0.25, healthy: null })
    expect(mergeBehaviour(current, patch)).toEqual({ errorRate: 0.5, resetRate: 0.25 })
    expect(current.latency).toEqual({ kind: 'fixed', ms: 5 })
  })

  it('the patch schema is strict and reports paths', () => {
    const r = behaviourPatchSchema.safeParse({ latency: { kind: 'fixed' }, responseBytes: -1, nope: 1 })
    expect(r.success).toBe(false)
    expect(zodIssues(r.error!).map((i) => i.path).sort()).toEqual(['latency.ms', 'nope', 'responseBytes'])
  })

  it('draws nothing when no feature is on, and replays from the seed', () => {
    let calls = 0
    const counting = () => (calls++, 0.5)
    expect(decide({ responseBytes: 10 }, counting)).toEqual({ delayMs: 0, outcome: 'answer' })
    expect(calls).toBe(0)
    const b: Behaviour = { latency: { kind: 'exponential', meanMs: 3 }, errorRate: 0.3, resetRate: 0.1 }
    const run = (seed: number) => {
      const random = seededRandom(seed)
      return Array.from({ length: 50 }, () => decide(b, random))
    }
    expect(run(5)).toEqual(run(5))
  })

  it('reset wins over error; rates 0 and 1 are exact', () => {
    const random = seededRandom(1)
    for (let i = 0; i < 100; i++) {
      expect(decide({ errorRate: 1, resetRate: 1 }, random).outcome).toBe('reset')
      expect(decide({ errorRate: 1 }, random).outcome).toBe('error')
      expect(decide({ errorRate: 0, resetRate: 0 }, random).outcome).toBe('answer')
    }
  })

  it('the default seed depends on the id', () => {
    expect(defaultSeed('a')).toBe(defaultSeed('a'))
    expect(defaultSeed('a')).not.toBe(defaultSeed('b'))
  })
})

describe('tcpReply', () => {
  it.each([
    ['db', 'hello', undefined, 'db hello\n'],
    ['db', 'hello', 20, 'db hello           \n'],
    ['db', 'hello', 3, 'db hello\n'],
    ['db', '', undefined, 'db \n'],
  ])('%s %j padded to %s', (id, payload, bytes, expected) => {
    expect(tcpReply(id, payload, bytes)).toBe(expected)
    if (bytes !== undefined && bytes > 9) expect(expected.length).toBe(bytes)
  })
})
