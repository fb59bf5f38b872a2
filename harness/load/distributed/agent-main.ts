/**
 * A load agent: the native generator in a process of its own, driven by a coordinator over stdin
 * and stdout (agent-protocol.ts). It answers clock pings, starts its share of the plan at the
 * instant it is given on its own clock, streams each interval with its histogram, and ends with
 * its summary. Its stdin closing (the coordinator gone) aborts the run and ends it.
 */
import type { LoadPlan } from '../load-types.js'
import { nativeGenerator } from '../native-generator.js'
import { mixShare } from '../request-mix.js'
import { readLines, type FromAgent, type ToAgent } from './agent-protocol.js'

const clock = process.hrtime.bigint
const send = (m: FromAgent) => process.stdout.write(`${JSON.stringify(m)}\n`)
const abort = new AbortController()

/** Resolves at `atNs` on this process's clock: a timer for the bulk, then a short spin for precision. */
async function until(atNs: bigint): Promise<void> {
  const leftMs = Number(atNs - clock()) / 1e6
  if (leftMs > 2) await new Promise((r) => setTimeout(r, leftMs - 2))
  while (clock() < atNs) {
    // The last two milliseconds: a spin keeps the agents' starts within microseconds of each other.
  }
}

async function start(m: Extract<ToAgent, { t: 'start' }>): Promise<void> {
  await until(BigInt(m.atNs))
  // A mix is rebuilt here from its data; replies are tallied by entry and backend for the coordinator's routing checks.
  const { mixShare: part, ...own } = m.plan
  const share = own.mix === undefined || part === undefined ? undefined : mixShare(own.mix, part)
  const plan: LoadPlan = share === undefined ? own : { ...own, requestFor: share.requestFor, onResponse: (r) => r.ok && r.backend !== undefined && share.count(r.index, r.backend) }
  const summary = await nativeGenerator.run(plan, abort.signal, (sample, latency) => send({ t: 'interval', sample, ...(latency === undefined ? {} : { histogram: latency.encode() }) }))
  send({ t: 'done', summary, ...(share === undefined ? {} : { mixAnswers: share.answers() }) })
}

readLines(process.stdin, (raw) => {
  const m = raw as ToAgent
  if (m.t === 'ping') {
    const t1 = clock()
    send({ t: 'pong', n: m.n, t1: String(t1), t2: String(clock()) })
  } else if (m.t === 'start') {
    start(m).then(
      () => process.exit(0),
      (e: unknown) => {
        send({ t: 'error', message: e instanceof Error ? e.message : String(e) })
        process.exit(1)
      },
    )
  } else if (m.t === 'stop') abort.abort()
})
process.stdin.on('end', () => {
  abort.abort()
  setTimeout(() => process.exit(0), 2000).unref()
})
