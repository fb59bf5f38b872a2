/**
 * The pure parts of a soak: the fault schedule it plays and the verdict on what it measured.
 * A soak runs one scenario for a long time with faults cycling through its backends, one fault at
 * a time so the pool always has a backend left, and clients abandoning requests part-way, and then
 * asks whether anything leaked.
 */

import { CLIENT_ABORT_POINTS, type ClientAbortPoint } from '../load/load-types.js'

/** One timeline step, in the scenario's own form. */
export type SoakStep = { at: string; do: string; target: string; behaviour?: Record<string, unknown> }

/** Length of one fault cycle: kill and restart, pause and resume, resets, a slow body. */
export const SOAK_CYCLE_S = 20

/**
 * Faults on a schedule for `seconds`, cycling over `targets` (`group[i]`): in each 20 s cycle the
 * next backend is killed (restarted 4 s later), the one after it paused for 2 s, then made to
 * reset a fifth of its connections for 3 s, then to send its bodies slowly until it is restarted.
 */
export function soakSchedule(targets: readonly string[], seconds: number): SoakStep[] {
  const steps: SoakStep[] = []
  const at = (s: number) => `${s}s`
  for (let cycle = 0, t0 = 2; t0 + SOAK_CYCLE_S <= seconds; cycle++, t0 += SOAK_CYCLE_S) {
    const a = targets[cycle % targets.length]!
    const b = targets[(cycle + 1) % targets.length]!
    steps.push(
      { at: at(t0), do: 'kill', target: a },
      { at: at(t0 + 4), do: 'restart', target: a },
      { at: at(t0 + 8), do: 'pause', target: b },
      { at: at(t0 + 10), do: 'resume', target: b },
      { at: at(t0 + 12), do: 'set-behaviour', target: b, behaviour: { resetRate: 0.2 } },
      { at: at(t0 + 15), do: 'set-behaviour', target: b, behaviour: { resetRate: 0 } },
      { at: at(t0 + 16), do: 'set-behaviour', target: b, behaviour: { slowBody: { bytesPerSecond: 20_000 } } },
      // A restart gives the backend its configured behaviour back.
      { at: at(t0 + 19), do: 'restart', target: b },
    )
  }
  return steps
}

/** Share of the clients that abandon their requests while a client-abort window is open. */
export const CLIENT_ABORT_SHARE = 1 / 8

/** A stretch of the run in which some clients abandon every request they send. */
export interface ClientAbortWindow {
  readonly fromMs: number
  readonly toMs: number
  readonly clients: readonly number[]
}

/**
 * The client-abort fault of a soak of `seconds` with `connections` clients: two 3 s windows in each
 * fault cycle, one while no backend is faulted (4 s after the kill's restart) and one while a
 * backend sends its bodies slowly (so aborts land mid-body there). In each window an eighth of the
 * clients (at least one), a different eighth each time, abandon every request they send.
 */
export function soakClientAborts(connections: number, seconds: number): ClientAbortWindow[] {
  const windows: ClientAbortWindow[] = []
  const k = Math.max(1, Math.round(connections * CLIENT_ABORT_SHARE))
  for (let t0 = 2; t0 + SOAK_CYCLE_S <= seconds; t0 += SOAK_CYCLE_S) {
    for (const fromS of [t0 + 5, t0 + 16]) {
      const first = windows.length * k
      windows.push({ fromMs: fromS * 1000, toMs: (fromS + 3) * 1000, clients: Array.from({ length: k }, (_, j) => (first + j) % connections) })
    }
  }
  return windows
}

/**
 * Where client `client` abandons request `index`, sent `atMs` into the run, or undefined: inside a
 * window that names the client, the abort points in turn by request index.
 */
export function clientAbortAt(windows: readonly ClientAbortWindow[], atMs: number, client: number, index: number): ClientAbortPoint | undefined {
  const open = windows.some((w) => atMs >= w.fromMs && atMs < w.toMs && w.clients.includes(client))
  return open ? CLIENT_ABORT_POINTS[index % CLIENT_ABORT_POINTS.length] : undefined
}

/** One reading of the engine process. */
export interface EngineSample {
  readonly atS: number
  readonly rssBytes: number
  readonly fds: number
}

/** What a soak measured and what it concludes. */
export interface SoakVerdict {
  readonly checks: readonly { readonly name: string; readonly pass: boolean; readonly detail: string }[]
  readonly pass: boolean
}

/** Bounds of "flat": the last third of the run against the first third, after a warm-up. */
export const SOAK_BOUNDS = { rssGrowth: 1.25, rssSlackBytes: 16 * 2 ** 20, fdSlack: 16 } as const

/**
 * Judges a soak. Every request sent is ok, failed, or abandoned by its client on purpose; when the
 * schedule had client-abort windows, each abort point was reached at least once. RSS is flat when
 * the median of the last third is at most 25 % + 16 MiB above the median of the first third (the
 * heap settles after warm-up; a leak grows without bound); open descriptors when the last third's
 * highest is at most 16 above the first third's highest (the faults open and close connections all
 * along).
 */
export function judgeSoak(input: {
  sent: number
  ok: number
  failed: number
  /** Requests the clients abandoned on purpose, by abort point. */
  clientAborts: Readonly<Record<string, number>>
  /** Client-abort windows the schedule had. */
  abortWindows: number
  samples: readonly EngineSample[]
  openAtEnd: { listeners: number; backends: number }
  leftRunning: readonly number[]
}): SoakVerdict {
  const { samples } = input
  const third = Math.max(1, Math.floor(samples.length / 3))
  const first = samples.slice(0, third)
  const last = samples.slice(-third)
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`
  const rssFirst = median(first.map((s) => s.rssBytes))
  const rssLast = median(last.map((s) => s.rssBytes))
  const fdFirst = Math.max(0, ...first.map((s) => s.fds))
  const fdLast = Math.max(0, ...last.map((s) => s.fds))
  const aborted = Object.values(input.clientAborts).reduce((a, b) => a + b, 0)
  const byPoint = CLIENT_ABORT_POINTS.map((p) => `${input.clientAborts[p] ?? 0} ${p}`).join(', ')
  const checks = [
    { name: 'sent = ok + failed + aborted', pass: input.sent === input.ok + input.failed + aborted, detail: `${input.sent} = ${input.ok} + ${input.failed} + ${aborted} aborted by the clients` },
    {
      name: 'clients aborted at every point',
      pass: input.abortWindows === 0 || CLIENT_ABORT_POINTS.every((p) => (input.clientAborts[p] ?? 0) > 0),
      detail: input.abortWindows === 0 ? 'no client-abort window in the schedule' : `${byPoint} in ${input.abortWindows} windows`,
    },
    { name: 'engine RSS flat', pass: samples.length >= 3 && rssLast <= rssFirst * SOAK_BOUNDS.rssGrowth + SOAK_BOUNDS.rssSlackBytes, detail: `median ${mib(rssFirst)} in the first third, ${mib(rssLast)} in the last (bound ×${SOAK_BOUNDS.rssGrowth} + ${mib(SOAK_BOUNDS.rssSlackBytes)}); ${samples.length} samples` },
    { name: 'engine open fds flat', pass: samples.length >= 3 && fdLast <= fdFirst + SOAK_BOUNDS.fdSlack, detail: `at most ${fdFirst} in the first third, ${fdLast} in the last (bound +${SOAK_BOUNDS.fdSlack})` },
    { name: 'no connection or pool slot left open', pass: input.openAtEnd.listeners === 0 && input.openAtEnd.backends === 0, detail: `after the load: ${input.openAtEnd.listeners} client connection(s), ${input.openAtEnd.backends} backend connection(s) in use` },
    { name: 'no process left', pass: input.leftRunning.length === 0, detail: input.leftRunning.length === 0 ? 'every backend and the engine ended' : `still running: ${input.leftRunning.join(', ')}` },
  ]
  return { checks, pass: checks.every((c) => c.pass) }
}
