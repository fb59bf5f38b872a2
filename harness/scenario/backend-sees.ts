/**
 * The `backendSees` expectation: what the backends received, by their own account — inside TLS or
 * in plaintext, and whether the client address they attributed requests to was the load's real
 * one or the balancer's. Pure: judged from a run's saved `backends.*.seen` and `load.clientAddresses`.
 */
import type { BackendSeen, RunResult } from '../../reports/result/result-model.js'

/** What is asked. */
export interface BackendSeesWant {
  readonly transport?: 'tls' | 'plaintext' | undefined
  readonly clientAddress?: 'real' | 'balancer' | undefined
}

/** The parts of a run the judgement reads. */
export interface BackendSeesRun {
  readonly backends: RunResult['backends']
  readonly load?: Pick<RunResult['load'], 'clientAddresses'> | undefined
}

/** Judged outcome, as `ExpectationOutcome`. */
export interface BackendSeesOutcome {
  readonly name: string
  readonly expected: string
  readonly actual: string
  readonly pass: boolean
}

/** The backends' `seen` counters added up; undefined when none reported any. */
export function totalSeen(backends: RunResult['backends']): BackendSeen | undefined {
  const reports = Object.values(backends).flatMap((b) => (b.seen === undefined ? [] : [b.seen]))
  if (reports.length === 0) return undefined
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n
  }
  const out: BackendSeen = { tls: 0, plaintext: 0, clients: {}, peers: {}, via: {} }
  for (const r of reports) {
    out.tls += r.tls
    out.plaintext += r.plaintext
    add(out.clients, r.clients)
    add(out.peers, r.peers)
    add(out.via, r.via)
  }
  return out
}

const top = (counts: Record<string, number>, n: number) =>
  Object.entries(counts)
    .filter(([, c]) => c > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, c]) => `${k} ×${c}`)
    .join(', ')

/**
 * `transport: tls` holds when requests arrived and none in plaintext (and the reverse).
 * `clientAddress: real` holds when every request was attributed to one of the load's client
 * addresses (127.0.1.x: never the balancer's own 127.0.0.1); `balancer` when none was. How many of
 * the load's addresses were seen is reported, not judged (a client may send nothing in a short run).
 */
export function judgeBackendSees(name: string | undefined, want: BackendSeesWant, run: BackendSeesRun): BackendSeesOutcome {
  const seen = totalSeen(run.backends)
  const expected: string[] = []
  if (want.transport !== undefined) expected.push(want.transport === 'tls' ? 'every request inside TLS' : 'every request in plaintext')
  if (want.clientAddress !== undefined) expected.push(want.clientAddress === 'real' ? "every request from a load client's own address" : "no request from a load client's address (the balancer's instead)")
  const defaultName = `backend sees ${[want.transport, want.clientAddress === undefined ? undefined : `the ${want.clientAddress} client address`].filter(Boolean).join(' and ')}`
  const base = { name: name ?? defaultName, expected: expected.join('; ') }
  if (seen === undefined) return { ...base, actual: 'not reported by the backends', pass: false }
  const total = seen.tls + seen.plaintext
  const actual: string[] = []
  let pass = total > 0
  if (want.transport !== undefined) {
    actual.push(`TLS ${seen.tls}, plaintext ${seen.plaintext}`)
    pass &&= want.transport === 'tls' ? seen.plaintext === 0 : seen.tls === 0
  }
  if (want.clientAddress !== undefined) {
    const real = run.load?.clientAddresses
    if (real === undefined) {
      actual.push('client addresses not measured (load.clients ≥ 2 needed)')
      pass = false
    } else {
      const fromReal = real.reduce((sum, a) => sum + (seen.clients[a] ?? 0), 0)
      const addressesSeen = real.filter((a) => (seen.clients[a] ?? 0) > 0).length
      const others = Object.fromEntries(Object.entries(seen.clients).filter(([a]) => !real.includes(a)))
      actual.push(
        `${fromReal} of ${total} requests from the load's addresses (${addressesSeen} of ${real.length} addresses seen)` +
          `${fromReal < total ? `; others: ${top(others, 3)}` : ''}; via ${top(seen.via, 4) || 'nothing'}`,
      )
      pass &&= want.clientAddress === 'real' ? fromReal === total : fromReal === 0
    }
  }
  return { ...base, actual: actual.join('; '), pass }
}
