import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('./watchdog-main.js', import.meta.url))

/** The harness's side of the run's watchdog (see watchdog-main.ts): started on first use, one per harness process. */
export interface Watchdog {
  readonly pid: number | undefined
  watch(pid: number, options?: { startTime?: number; group?: boolean }): void
  forget(pid: number): void
  watchContainer(id: string, socketPath: string): void
  forgetContainer(id: string): void
}

let instance: (Watchdog & { child: ChildProcess | undefined }) | undefined

/**
 * The watchdog of this process. Its stdin is the liveness pipe: nothing but the death of this
 * process (or its normal exit) closes it. It neither keeps this process alive nor is it ended by
 * a terminal's Ctrl-C (its own process group). Without a build (tests from source) it is a no-op.
 */
export function runWatchdog(): Watchdog {
  if (instance !== undefined) return instance
  let child: ChildProcess | undefined
  if (existsSync(MAIN)) {
    child = spawn(process.execPath, [MAIN], { stdio: ['pipe', 'ignore', 'ignore'], detached: true })
    child.on('error', () => {})
    child.stdin!.on('error', () => {})
    child.unref()
    ;(child.stdin as unknown as { unref?(): void }).unref?.()
  }
  const send = (m: Record<string, unknown>) => {
    if (child?.stdin?.writable === true) child.stdin.write(`${JSON.stringify(m)}\n`)
  }
  instance = {
    child,
    pid: child?.pid,
    watch: (pid, options = {}) => send({ op: 'watch', pid, ...options }),
    forget: (pid) => send({ op: 'forget', pid }),
    watchContainer: (id, socket) => send({ op: 'container', id, socket }),
    forgetContainer: (id) => send({ op: 'forget-container', id }),
  }
  return instance
}
