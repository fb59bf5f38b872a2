/**
 * The generator as N agents (`load.agents`), each a process of its own — on this host, or inside a
 * lab node's network namespace — coordinated from here: a clock-offset handshake with each, one
 * start instant told to each in its own clock, intervals streamed back and merged by histogram
 * addition, and the one summary with a per-agent breakdown. An agent that dies or falls behind is
 * reported and counted with what it streamed.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { EngineError } from '../../../engine/errors.js'
import { registerChildProcess } from '../../providers/cleanup.js'
import { projectRoot } from '../../system/environment.js'
import type { IntervalSample, LoadGenerator, LoadPlan, LoadSummary } from '../load-types.js'
import { readLines, type AgentPlan, type FromAgent, type ToAgent } from './agent-protocol.js'
import { estimateOffset, onAgentClock, type ClockOffset, type ClockSample } from './clock-offset.js'
import { mergeAgents, mergeIntervals, type AgentBreakdown, type AgentInterval, type AgentReport } from './merge-agents.js'
import { splitPlan } from './split-plan.js'
import { mergeMixAnswers, type MixAnswers } from '../request-mix.js'

/** The agent's entry point, built (tests run the sources, agents always the build). */
const AGENT_MAIN = join(projectRoot(), 'dist/harness/load/distributed/agent-main.js')
const PINGS = 8
/** Time from the handshake to the start instant: every agent has its start message well before. */
const START_LEAD_MS = 300
/** Intervals an agent may be behind the coordinator's clock before it counts as lagging. */
const LAG_INTERVALS = 2
const HANDSHAKE_TIMEOUT_MS = 10_000

/** Where an agent runs: `local`, or a lab node by its network namespace. */
export interface AgentPlace {
  readonly where: string
  /** `/run/netns/…`: the agent starts inside it (`nsenter --net=`), so its traffic leaves from that node. */
  readonly netns?: string
}

/** A summary with the per-agent breakdown of a distributed run; with a request mix, the agents' replies by entry and backend. */
export type DistributedSummary = LoadSummary & { readonly agents: readonly AgentBreakdown[]; readonly mixAnswers?: MixAnswers }

/** Options of {@link createDistributedGenerator}. */
export interface DistributedOptions {
  readonly agents: number
  /** Where agent i runs (`places[i % length]`); default all local. */
  readonly places?: readonly AgentPlace[]
  readonly log?: (line: string) => void
}

class AgentHandle {
  readonly intervals: AgentInterval[] = []
  summary: LoadSummary | undefined
  mixAnswers: MixAnswers | undefined
  state: 'ok' | 'lagging' | 'dead' = 'ok'
  reason: string | undefined
  offset: ClockOffset = { offsetNs: 0n, rttNs: 0n }
  private readonly pongs = new Map<number, (m: { t1: string; t2: string }) => void>()
  readonly exited: Promise<void>
  private doneResolve: (() => void) | undefined
  readonly done: Promise<void>

  constructor(
    readonly id: string,
    readonly place: AgentPlace,
    private readonly child: ChildProcess,
    onInterval: (a: AgentHandle, i: AgentInterval) => void,
  ) {
    this.done = new Promise((r) => (this.doneResolve = r))
    // `close`, not `exit`: by then every line of its stdout has been read.
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        if (this.summary === undefined && this.state !== 'dead') {
          this.state = 'dead'
          this.reason ??= `exited (${signal ?? `code ${code}`}) before its summary`
        }
        this.doneResolve?.()
        resolve()
      }),
    )
    // An agent that died cannot be written to; its death is told by `close`, not by a write error.
    child.stdin?.on('error', () => {})
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)))
    child.once('close', () => {
      if (this.state === 'dead' && stderr.trim() !== '') this.reason = `${this.reason}; stderr: ${stderr.trim().split('\n').slice(-3).join(' | ')}`
    })
    readLines(child.stdout!, (raw) => {
      const m = raw as FromAgent
      if (m.t === 'pong') this.pongs.get(m.n)?.(m)
      else if (m.t === 'interval') {
        const i: AgentInterval = { sample: m.sample, ...(m.histogram === undefined ? {} : { histogram: m.histogram }) }
        this.intervals.push(i)
        onInterval(this, i)
      } else if (m.t === 'done') {
        this.summary = m.summary
        this.mixAnswers = m.mixAnswers
        this.doneResolve?.()
      } else if (m.t === 'error') this.reason = m.message
    })
  }

  send(m: ToAgent): void {
    if (this.child.stdin?.writable === true) this.child.stdin.write(`${JSON.stringify(m)}\n`)
  }

  /** Ping exchanges, one at a time, then the offset of the best. */
  async handshake(clock: () => bigint): Promise<void> {
    const samples: ClockSample[] = []
    for (let n = 0; n < PINGS; n++) {
      const t0 = clock()
      const pong = await new Promise<{ t1: string; t2: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`agent ${this.id} (${this.place.where}) did not answer its clock ping within ${HANDSHAKE_TIMEOUT_MS} ms`)), HANDSHAKE_TIMEOUT_MS)
        this.pongs.set(n, (m) => {
          clearTimeout(timer)
          resolve(m)
        })
        void this.exited.then(() => reject(new Error(`agent ${this.id} (${this.place.where}) exited during the handshake: ${this.reason ?? ''}`)))
        this.send({ t: 'ping', n })
      })
      samples.push({ t0, t1: BigInt(pong.t1), t2: BigInt(pong.t2), t3: clock() })
    }
    this.offset = estimateOffset(samples)
  }

  kill(): void {
    this.child.stdin?.end()
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }

  report(): AgentReport {
    return {
      id: this.id,
      where: this.place.where,
      ...(this.summary === undefined ? {} : { summary: this.summary }),
      intervals: this.intervals,
      state: this.state,
      ...(this.reason === undefined ? {} : { reason: this.reason }),
      clockOffsetUs: Number(this.offset.offsetNs) / 1000,
      clockRttUs: Number(this.offset.rttNs) / 1000,
    }
  }
}

function spawnAgent(place: AgentPlace): ChildProcess {
  const node = [process.execPath, AGENT_MAIN]
  const [cmd, ...args] = place.netns === undefined ? node : ['nsenter', `--net=${place.netns}`, ...node]
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  registerChildProcess(child)
  return child
}

/**
 * The plan as an agent can take it. Callbacks cannot cross a process boundary: a request mix goes
 * as its data (`mix`), which each agent rebuilds for its share of the indexes, and its routing
 * checks come back as tallies (`mixAnswers`); per-client features (cookies, client addresses, a
 * per-response callback, client aborts) need one generator.
 */
export function agentPlan(plan: LoadPlan): AgentPlan {
  const refused = [
    ...(['headersPerRequest', 'onResponse', 'clientAbort', 'cookies', 'localAddresses'] as const).filter((k) => plan[k] !== undefined && plan[k] !== false),
    ...(plan.requestFor !== undefined && plan.mix === undefined ? ['requestFor without its mix'] : []),
  ]
  if (refused.length > 0) throw new EngineError('LB_ERR_INVALID_OPTIONS', `load agents cannot run a plan with ${refused.join(', ')} (cookies, client addresses, client aborts and per-response checks need one generator)`)
  const { headersPerRequest: _h, requestFor: _r, onResponse: _o, clientAbort: _a, ...rest } = plan
  return rest
}

/** Each agent's share of `plan`: its connections, rate and cap, and with a mix its indexes (agent i of N sends i, i + N, …). */
export function agentParts(plan: LoadPlan, agents: number): AgentPlan[] {
  const parts = splitPlan(agentPlan(plan), agents)
  return plan.mix === undefined ? parts : parts.map((p, i) => ({ ...p, mixShare: { stride: agents, offset: i } }))
}

/** The native generator as `options.agents` coordinated agents. */
export function createDistributedGenerator(options: DistributedOptions, clock: () => bigint = process.hrtime.bigint): LoadGenerator {
  const log = options.log ?? (() => {})
  return {
    name: 'layerbench',
    async run(plan: LoadPlan, signal?: AbortSignal, onSample?: (s: IntervalSample) => void): Promise<DistributedSummary> {
      const parts = agentParts(plan, options.agents)
      const places = options.places ?? [{ where: 'local' }]
      const intervalMs = plan.intervalMs ?? 1000
      const emitted = new Set<number>()
      const agents: AgentHandle[] = []
      // An interval goes out merged once every agent still alive has sent it.
      const onInterval = (_a: AgentHandle, i: AgentInterval) => {
        const k = i.sample.startMs
        if (onSample === undefined || emitted.has(k)) return
        const live = agents.filter((x) => x.state !== 'dead')
        if (!live.every((x) => x.intervals.some((y) => y.sample.startMs === k))) return
        emitted.add(k)
        const merged = mergeIntervals(live.map((x) => ({ ...x.report(), intervals: x.intervals.filter((y) => y.sample.startMs === k) })))[0]
        if (merged !== undefined) onSample(merged)
      }
      for (let i = 0; i < parts.length; i++) {
        const place = places[i % places.length]!
        agents.push(new AgentHandle(`agent-${i}`, place, spawnAgent(place), onInterval))
      }
      let watchdog: NodeJS.Timeout | undefined
      const onAbort = () => agents.forEach((a) => a.send({ t: 'stop' }))
      try {
        await Promise.all(agents.map((a) => a.handshake(clock)))
        const startNs = clock() + BigInt(START_LEAD_MS * 1e6)
        agents.forEach((a, i) => a.send({ t: 'start', plan: parts[i]!, atNs: String(onAgentClock(startNs, a.offset)) }))
        for (const a of agents) log(`load agent ${a.id} (${a.place.where}): clock offset ${(Number(a.offset.offsetNs) / 1000).toFixed(1)} µs ± ${(Number(a.offset.rttNs) / 2000).toFixed(1)} µs, ${parts[agents.indexOf(a)]!.connections} connection(s)`)
        signal?.addEventListener('abort', onAbort, { once: true })
        const measuredFromNs = startNs + BigInt(Math.round((plan.warmupMs ?? 0) * 1e6))
        const endNs = measuredFromNs + BigInt(Math.round(plan.durationMs * 1e6))
        watchdog = setInterval(() => {
          const now = clock()
          if (now < measuredFromNs) return
          // Intervals that should have closed by now (the last one closes at the end).
          const due = Math.floor(Number((now < endNs ? now : endNs) - measuredFromNs) / 1e6 / intervalMs)
          for (const a of agents) {
            if (a.state !== 'ok') continue
            const behind = due - a.intervals.length
            if (behind >= LAG_INTERVALS) {
              a.state = 'lagging'
              a.reason = `${behind} interval(s) of ${intervalMs} ms behind at ${(Number(now - measuredFromNs) / 1e6 / 1000).toFixed(1)} s`
              log(`load agent ${a.id} (${a.place.where}) is lagging: ${a.reason}`)
            }
          }
        }, intervalMs)
        // Each agent ends by itself (duration, cap, abort); one that does not within its timeout is killed.
        const graceMs = (plan.timeoutMs ?? 10_000) + 10_000
        const deadline = new Promise<void>((resolve) => setTimeout(resolve, Number(endNs - clock()) / 1e6 + graceMs).unref())
        await Promise.race([Promise.all(agents.map((a) => a.done)), deadline])
        for (const a of agents) {
          if (a.summary === undefined && a.state !== 'dead') {
            a.state = 'dead'
            a.reason = `no summary within ${graceMs} ms of the end`
          }
        }
      } finally {
        clearInterval(watchdog)
        signal?.removeEventListener('abort', onAbort)
        for (const a of agents) a.kill()
        await Promise.all(agents.map((a) => a.exited))
      }
      const { summary, agents: breakdown } = mergeAgents(
        agents.map((a) => a.report()),
        { generator: 'layerbench', protocol: plan.protocol, mode: plan.mode },
      )
      const answers = agents.flatMap((a) => (a.mixAnswers === undefined ? [] : [a.mixAnswers]))
      return { ...summary, agents: breakdown, ...(plan.mix === undefined ? {} : { mixAnswers: mergeMixAnswers(answers) }) }
    },
  }
}
