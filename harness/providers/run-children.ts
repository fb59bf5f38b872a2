/**
 * Every process and container a run starts beyond its provider's backends — the balancer under
 * test, peers, the watchdog — listed in a state file of their own (so a later run can reap them)
 * and handed to the run's watchdog (so they end within seconds if this process dies).
 */
import type { ChildProcess } from 'node:child_process'
import { runWatchdog } from '../system/watchdog.js'
import { procStartTime, RunStateFile, type RecordedBackend } from './run-state.js'

const entries = new Map<string, RecordedBackend>()
let file: RunStateFile | undefined
let seq = 0

function record(): void {
  file ??= new RunStateFile('children', 'process')
  if (entries.size === 0) return file.remove()
  file.write([...entries.values()])
}

function add(entry: RecordedBackend): () => void {
  const key = `${seq++}`
  const watchdog = runWatchdog()
  if (entries.size === 0 && watchdog.pid !== undefined) {
    const startTime = procStartTime(watchdog.pid)
    entries.set('watchdog', { id: 'watchdog', host: '', pid: watchdog.pid, ...(startTime === undefined ? {} : { startTime }) })
  }
  entries.set(key, entry)
  record()
  return () => {
    entries.delete(key)
    if (entries.size === 1 && entries.has('watchdog')) entries.delete('watchdog')
    record()
  }
}

/** Tracks a child process until it exits; `group` when it leads a process group that goes with it. */
export function trackChildProcess(role: string, child: ChildProcess, options: { group?: boolean } = {}): void {
  const pid = child.pid
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const startTime = procStartTime(pid)
  runWatchdog().watch(pid, { ...(startTime === undefined ? {} : { startTime }), ...(options.group === true ? { group: true } : {}) })
  const remove = add({ id: role, host: '', pid, ...(startTime === undefined ? {} : { startTime }) })
  child.once('exit', () => {
    runWatchdog().forget(pid)
    remove()
  })
}

/** Tracks a container until `untrack` is called (after it was removed). */
export function trackContainer(role: string, containerId: string, socketPath: string): () => void {
  runWatchdog().watchContainer(containerId, socketPath)
  const remove = add({ id: role, host: '', containerId })
  return () => {
    runWatchdog().forgetContainer(containerId)
    remove()
  }
}
