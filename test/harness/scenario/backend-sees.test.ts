import { describe, expect, it } from 'vitest'
import type { BackendSeen, RunResult } from '../../../reports/result/result-model.js'
import { judgeBackendSees, totalSeen } from '../../../harness/scenario/backend-sees.js'
import { judgeExpectations, type JudgedRun } from '../../../harness/scenario/expectations.js'
import { expectationSchema } from '../../../harness/scenario/scenario-schema.js'

const seen = (tls: number, plaintext: number, clients: Record<string, number>, via: Record<string, number> = {}): BackendSeen => ({ tls, plaintext, clients, peers: { '127.0.0.1': tls + plaintext }, via })
const backends = (...s: (BackendSeen | undefined)[]): RunResult['backends'] =>
  Object.fromEntries(s.map((x, i) => [`web-${i}`, { group: 'web', requests: 0, ...(x === undefined ? {} : { seen: x }) }]))
const clients = ['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.1.4']
const load = { clientAddresses: clients }

describe('totalSeen', () => {
  it('adds the backends’ reports up; undefined when none reported', () => {
    expect(totalSeen(backends(seen(1, 2, { a: 3 }, { peer: 3 }), undefined, seen(0, 4, { a: 1, b: 3 }, { peer: 4 })))).toEqual({
      tls: 1,
      plaintext: 6,
      clients: { a: 4, b: 3 },
      peers: { '127.0.0.1': 7 },
      via: { peer: 7 },
    })
    expect(totalSeen(backends(undefined))).toBeUndefined()
  })
})

describe('judgeBackendSees', () => {
  const real = seen(0, 90, { '127.0.1.1': 50, '127.0.1.2': 40 }, { 'x-forwarded-for': 90 })
  const hidden = seen(90, 0, { '127.0.0.1': 90 }, { peer: 90 })
  const leaky = seen(0, 90, { '127.0.1.1': 89, '127.0.0.1': 1 })
  it.each([
    { want: { transport: 'tls' }, run: { backends: backends(hidden) }, pass: true },
    { want: { transport: 'tls' }, run: { backends: backends(hidden, seen(0, 1, {})) }, pass: false },
    { want: { transport: 'plaintext' }, run: { backends: backends(real) }, pass: true },
    { want: { transport: 'plaintext' }, run: { backends: backends(hidden) }, pass: false },
    // Nothing received is no evidence either way.
    { want: { transport: 'plaintext' }, run: { backends: backends(seen(0, 0, {})) }, pass: false },
    { want: { transport: 'tls' }, run: { backends: backends(undefined) }, pass: false },
    { want: { clientAddress: 'real' }, run: { backends: backends(real), load }, pass: true },
    { want: { clientAddress: 'real' }, run: { backends: backends(leaky), load }, pass: false },
    { want: { clientAddress: 'real' }, run: { backends: backends(real) }, pass: false },
    { want: { clientAddress: 'balancer' }, run: { backends: backends(hidden), load }, pass: true },
    { want: { clientAddress: 'balancer' }, run: { backends: backends(leaky), load }, pass: false },
    { want: { transport: 'tls', clientAddress: 'balancer' }, run: { backends: backends(hidden), load }, pass: true },
    { want: { transport: 'tls', clientAddress: 'real' }, run: { backends: backends(hidden), load }, pass: false },
  ] as const)('$want → pass $pass', ({ want, run, pass }) => {
    expect(judgeBackendSees(undefined, want, run).pass).toBe(pass)
  })

  it('says what the backends saw', () => {
    const r = judgeBackendSees('backend sees the real client address', { clientAddress: 'real' }, { backends: backends(leaky), load })
    expect(r).toEqual({
      name: 'backend sees the real client address',
      expected: "every request from a load client's own address",
      actual: "89 of 90 requests from the load's addresses (1 of 4 addresses seen); others: 127.0.0.1 ×1; via nothing",
      pass: false,
    })
    expect(judgeBackendSees(undefined, { transport: 'tls' }, { backends: backends(hidden) })).toMatchObject({ name: 'backend sees tls', actual: 'TLS 90, plaintext 0' })
  })

  it('is one of the scenario expectations, judged with the run’s load', () => {
    const e = expectationSchema.parse({ name: 'backend receives TLS', when: { tls: 'passthrough' }, backendSees: { transport: 'tls' } })
    const run = { summary: {}, groups: {}, backends: backends(hidden), failover: [], load: { generator: 'layerbench', protocol: 'https', mode: 'open', connections: 1, durationMs: 1, warmupMs: 0 } } as unknown as JudgedRun
    expect(judgeExpectations([e], { tls: 'passthrough' }, run)).toEqual([{ name: 'backend receives TLS', expected: 'every request inside TLS', actual: 'TLS 90, plaintext 0', pass: true }])
    expect(judgeExpectations([e], { tls: 'termination' }, run)).toEqual([])
    expect(() => expectationSchema.parse({ backendSees: {} })).toThrow()
  })
})
