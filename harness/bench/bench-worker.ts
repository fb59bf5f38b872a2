/**
 * Runs bench cases under tinybench in a worker thread of its own, so that the call sites of one
 * picker are never polluted by another's (as in a real balancer, where a pool runs one picker).
 * Receives `{ cases, timeMs, warmupMs }`, posts `BenchMeasurement[]`.
 */
import { Bench } from 'tinybench'
import { parentPort, workerData } from 'node:worker_threads'
import { murmur3 } from '../../engine/balancing/hash.js'
import { buildMaglevTable } from '../../engine/balancing/maglev.js'
import { configureAlgorithm } from '../../engine/balancing/create-picker.js'
import { algorithms } from '../../engine/balancing/registry.js'
import { buildRing } from '../../engine/balancing/ring-hash.js'
import type { Backend, Picker } from '../../engine/balancing/types.js'
import { profileWeight, type BenchCase } from './bench-cases.js'
import type { BenchMeasurement } from './bench-result.js'

interface Job {
  readonly cases: readonly BenchCase[]
  readonly timeMs: number
  readonly warmupMs: number
}

/** Distinct keys cycled through by key-based picks: enough to touch every Maglev slot region. */
const KEYS = 65_536

/** Folded into a result the JIT cannot see through, so no work is optimised away. */
let sink = 0

function backendsFor(c: BenchCase): Backend[] {
  return Array.from({ length: c.n ?? 0 }, (_, i) => ({ id: `b${i}`, host: '127.0.0.1', port: 10_000 + i, weight: profileWeight(c.weights ?? 'equal', i) }))
}

function clientKey(i: number): string {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}:${40_000 + (i % 20_000)}`
}

/** A pick context the data plane would pass: the request's key hash and the time it arrived. */
interface BenchContext {
  hash: number
  nowUs: number
}

function pickTask(c: BenchCase): () => void {
  let clock = 0
  // The data plane's dependencies: Math.random, and a clock the caller passes in the context.
  const picker: Picker = configureAlgorithm(c.group, c.options ?? {}).build(backendsFor(c), {
    random: Math.random,
    nowUs: () => clock,
  })
  const contexts: BenchContext[] = Array.from({ length: KEYS }, (_, i) => ({ hash: murmur3(clientKey(i)), nowUs: 0 }))
  const outcome = { ok: true, latencyUs: 1000 }
  // Steady state, not first contact: every key once, so per-bucket memos (rendezvous) are filled
  // before timing starts. The cold cost of a first pick per bucket is O(n) and reported apart.
  for (const ctx of contexts) picker.pick(ctx)
  let k = 0
  if (c.kind === 'pick') {
    return () => {
      for (let i = 0; i < c.batch; i++) {
        const ctx = contexts[k++ & (KEYS - 1)]!
        ctx.nowUs = clock += 1
        sink ^= picker.pick(ctx)!.port
      }
    }
  }
  return () => {
    for (let i = 0; i < c.batch; i++) {
      const ctx = contexts[k++ & (KEYS - 1)]!
      ctx.nowUs = clock += 1
      const b = picker.pick(ctx)!
      picker.onStart!(b)
      picker.onDone!(b, outcome)
      sink ^= b.port
    }
  }
}

function buildTask(c: BenchCase): () => void {
  const backends = backendsFor(c)
  if (c.group === 'build:maglev') {
    const size = (c.options?.tableSize as number | undefined) ?? 65_537
    return () => {
      sink ^= buildMaglevTable(backends, size)[0]!
    }
  }
  const sizing = algorithms['ring-hash'].options.parse(c.options ?? {})
  return () => {
    sink ^= buildRing(backends, sizing).points[0]!
  }
}

function hashTask(c: BenchCase): () => void {
  const strings = Array.from({ length: 4096 }, (_, i) => clientKey(i * 7919))
  const bytes = Array.from({ length: 4096 }, (_, i) => Uint8Array.from({ length: 16 }, (_, j) => (i * 31 + j * 7) & 255))
  let k = 0
  if (c.id === 'murmur3/string') {
    return () => {
      for (let i = 0; i < c.batch; i++) sink ^= murmur3(strings[k++ & 4095]!)
    }
  }
  return () => {
    for (let i = 0; i < c.batch; i++) sink ^= murmur3(bytes[k++ & 4095]!)
  }
}

function taskFor(c: BenchCase): () => void {
  switch (c.kind) {
    case 'pick':
    case 'pick+feedback':
      return pickTask(c)
    case 'build':
      return buildTask(c)
    case 'hash':
      return hashTask(c)
  }
}

async function run(job: Job): Promise<BenchMeasurement[]> {
  const out: BenchMeasurement[] = []
  for (const c of job.cases) {
    const bench = new Bench({ time: job.timeMs, warmupTime: job.warmupMs, iterations: 16 })
    bench.add(c.id, taskFor(c))
    await bench.run()
    const result = bench.tasks[0]!.result
    if (result.state !== 'completed') throw new Error(`bench case ${c.id} did not complete: ${result.state}`)
    const toNs = (ms: number) => (ms * 1e6) / c.batch
    out.push({
      case: c,
      medianNs: toNs(result.latency.p50),
      meanNs: toNs(result.latency.mean),
      p99Ns: toNs(result.latency.p99),
      rme: result.latency.rme,
      samples: result.latency.samplesCount,
    })
  }
  return out
}

run(workerData as Job).then(
  (measurements) => parentPort!.postMessage({ measurements, sink }),
  (error: unknown) => parentPort!.postMessage({ error: error instanceof Error ? error.stack : String(error) }),
)
