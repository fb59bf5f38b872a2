/**
 * The pure parts of a soak: the fault schedule it plays and the verdict on what it measured.
 * A soak runs one scenario for a long time with faults cycling through its backends, one fault at
 * a time so the pool always has a backend left, and then asks whether anything leaked.
 */

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
 * Judges a soak. RSS is flat when the median of the last third is at most 25 % + 16 MiB above the
 * median of the first third (the heap settles after warm-up; a leak grows without bound); open
 * descriptors when the last third's highest is at most 16 above the first third's highest (the
 * faults open and close connections all along).
 */
export function judgeSoak(input: {
  sent: number
  ok: number
  failed: number
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
  const checks = [
    { name: 'sent = ok + failed', pass: input.sent === input.ok + input.failed, detail: `${input.sent} = ${input.ok} + ${input.failed}` },
    { name: 'engine RSS flat', pass: samples.length >= 3 && rssLast <= rssFirst * SOAK_BOUNDS.rssGrowth + SOAK_BOUNDS.rssSlackBytes, detail: `median ${mib(rssFirst)} in the first third, ${mib(rssLast)} in the last (bound ×${SOAK_BOUNDS.rssGrowth} + ${mib(SOAK_BOUNDS.rssSlackBytes)}); ${samples.length} samples` },
    { name: 'engine open fds flat', pass: samples.length >= 3 && fdLast <= fdFirst + SOAK_BOUNDS.fdSlack, detail: `at most ${fdFirst} in the first third, ${fdLast} in the last (bound +${SOAK_BOUNDS.fdSlack})` },
    { name: 'no connection or pool slot left open', pass: input.openAtEnd.listeners === 0 && input.openAtEnd.backends === 0, detail: `after the load: ${input.openAtEnd.listeners} client connection(s), ${input.openAtEnd.backends} backend connection(s) in use` },
    { name: 'no process left', pass: input.leftRunning.length === 0, detail: input.leftRunning.length === 0 ? 'every backend and the engine ended' : `still running: ${input.leftRunning.join(', ')}` },
  ]
  return { checks, pass: checks.every((c) => c.pass) }
}
