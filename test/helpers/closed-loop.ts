import type { Backend, Picker } from '../../engine/balancing/types.js'

/**
 * A minimal deterministic closed loop for behaviour tables: `clients` clients each send a request,
 * wait for it, send the next. Request time on a backend is `serviceUs(backend)`, fixed (no queueing
 * model: every backend serves its requests in parallel). Returns requests completed per backend.
 * The real simulator lives in the harness; this only drives pickers with honest feedback.
 */
export function runClosedLoop(
  picker: Picker,
  serviceUs: (b: Backend) => number,
  clients: number,
  requests: number,
  clock: { nowUs(): number; advanceUs(us: number): void },
): Map<string, number> {
  const served = new Map<string, number>()
  const inFlight: { end: number; start: number; backend: Backend }[] = []
  const send = () => {
    const b = picker.pick({ nowUs: clock.nowUs() })
    if (b === undefined) throw new Error('picker returned no backend')
    picker.onStart?.(b)
    inFlight.push({ start: clock.nowUs(), end: clock.nowUs() + serviceUs(b), backend: b })
  }
  for (let c = 0; c < clients; c++) send()
  for (let done = 0; done < requests; done++) {
    let next = 0
    for (let i = 1; i < inFlight.length; i++) if (inFlight[i]!.end < inFlight[next]!.end) next = i
    const r = inFlight.splice(next, 1)[0]!
    clock.advanceUs(r.end - clock.nowUs())
    picker.onDone?.(r.backend, { ok: true, latencyUs: r.end - r.start })
    served.set(r.backend.id, (served.get(r.backend.id) ?? 0) + 1)
    send()
  }
  return served
}
