/**
 * The run's watchdog, for what cannot watch a liveness pipe itself (HAProxy, nginx, containers):
 *
 *   node dist/harness/system/watchdog-main.js      (started by the harness, stdin a pipe from it)
 *
 * The harness writes one JSON line per thing to look after: `{"op":"watch","pid","startTime"?,
 * "group"?}`, `{"op":"forget","pid"}`, `{"op":"container","id","socket"}`, `{"op":"forget-container","id"}`.
 * When stdin ends — the harness exited or was killed — it sends SIGTERM to every process still
 * watched (its process group when `group`), SIGKILL after 2 s to what is left, force-removes the
 * containers through the Docker Engine API, and exits. A PID is signalled only while its start
 * time is the one recorded, so a reused PID is never hit.
 */
import http from 'node:http'
import { procStartTime } from '../providers/run-state.js'

interface Watched {
  readonly pid: number
  readonly startTime?: number
  readonly group?: boolean
}

const processes = new Map<number, Watched>()
const containers = new Map<string, string>()
const KILL_AFTER_MS = 2000

function sameProcess(w: Watched): boolean {
  const now = procStartTime(w.pid)
  return now !== undefined && (w.startTime === undefined || now === w.startTime)
}

function signal(w: Watched, sig: NodeJS.Signals): void {
  try {
    process.kill(w.group === true ? -w.pid : w.pid, sig)
  } catch {
    // Gone already.
  }
}

function removeContainer(id: string, socketPath: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, method: 'DELETE', path: `/containers/${encodeURIComponent(id)}?force=true` }, (res) => {
      res.resume()
      res.on('end', () => resolve())
    })
    req.setTimeout(5000, () => req.destroy())
    req.on('error', () => resolve())
    req.end()
  })
}

async function endEverything(): Promise<void> {
  const live = [...processes.values()].filter(sameProcess)
  for (const w of live) signal(w, 'SIGTERM')
  const removals = Promise.all([...containers].map(([id, socket]) => removeContainer(id, socket)))
  const deadline = Date.now() + KILL_AFTER_MS
  while (live.some(sameProcess) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  for (const w of live.filter(sameProcess)) signal(w, 'SIGKILL')
  await removals
  process.exit(0)
}

let pending = ''
process.stdin.on('data', (d: Buffer) => {
  pending += d.toString()
  let nl: number
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl)
    pending = pending.slice(nl + 1)
    try {
      const m = JSON.parse(line) as { op: string; pid?: number; startTime?: number; group?: boolean; id?: string; socket?: string }
      if (m.op === 'watch' && Number.isInteger(m.pid)) processes.set(m.pid!, { pid: m.pid!, ...(m.startTime === undefined ? {} : { startTime: m.startTime }), ...(m.group === true ? { group: true } : {}) })
      else if (m.op === 'forget' && m.pid !== undefined) processes.delete(m.pid)
      else if (m.op === 'container' && typeof m.id === 'string' && typeof m.socket === 'string') containers.set(m.id, m.socket)
      else if (m.op === 'forget-container' && m.id !== undefined) containers.delete(m.id)
    } catch {
      // A torn line from a dying parent: nothing to act on.
    }
  }
})
process.stdin.on('end', () => void endEverything())
process.stdin.on('error', () => void endEverything())
// Signals meant for the harness's terminal group do not concern it: only the pipe does.
for (const s of ['SIGINT', 'SIGHUP'] as const) process.on(s, () => {})
