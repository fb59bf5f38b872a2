/**
 * Nothing a run started may outlive it. Providers register here while they own backends; the
 * process's exit hook kills what is left synchronously, and `installCleanupHandlers` (called once
 * by the CLI) adds a graceful stop on SIGINT, SIGTERM and uncaught errors.
 */

import { trackChildProcess } from './run-children.js'

/** What the clean-up needs from a provider. */
export interface Cleanable {
  /** Graceful removal of everything the provider started. */
  stopAll(): Promise<void>
  /** Last resort from the `exit` hook, where nothing asynchronous runs: kill everything now. */
  killNowSync(): void
}

const live = new Set<Cleanable>()
let exitHookInstalled = false
let handlersInstalled = false
let cleaning: Promise<void> | undefined

function killAllSync(): void {
  for (const c of live) {
    try {
      c.killNowSync()
    } catch {
      // Keep going: the others must still be killed.
    }
  }
  live.clear()
}

/** Registers a provider that owns backends; returns the function that unregisters it. */
export function registerForCleanup(c: Cleanable): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.on('exit', killAllSync)
  }
  live.add(c)
  return () => void live.delete(c)
}

/** Stops every registered provider, waiting at most `timeoutMs`, then kills what is left. */
export function cleanupAll(timeoutMs = 10_000): Promise<void> {
  cleaning ??= (async () => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    await Promise.race([Promise.allSettled([...live].map((c) => c.stopAll())), timeout])
    clearTimeout(timer)
    killAllSync()
  })().finally(() => (cleaning = undefined))
  return cleaning
}

const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 }

/**
 * Stops every provider's backends on SIGINT, SIGTERM, an uncaught exception or an unhandled
 * rejection. After a signal the process exits with 128 + the signal number, unless another
 * listener for that signal exists (then exiting is that listener's business); a second signal
 * kills the backends at once and exits. An uncaught error is printed and exits 1. Idempotent.
 */
export function installCleanupHandlers(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  if (handlersInstalled) return
  handlersInstalled = true
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.on('exit', killAllSync)
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      if (cleaning !== undefined) {
        killAllSync()
        process.exit(SIGNAL_EXIT[signal])
      }
      const othersListen = process.listenerCount(signal) > 1
      if (live.size > 0) log(`${signal}: stopping backends`)
      void cleanupAll().then(() => {
        if (!othersListen) process.exit(SIGNAL_EXIT[signal])
      })
    }
    process.on(signal, onSignal)
  }
  process.on('uncaughtException', (error) => {
    log(`uncaught error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    void cleanupAll().then(() => process.exit(1))
  })
}

/**
 * Registers a child process the run started (the balancer under test) so that it goes with the
 * run: SIGTERM on a graceful clean-up (SIGKILL after 3 s), SIGKILL from the exit hook. It leaves
 * the register by itself when it exits.
 */
export function registerChildProcess(child: import('node:child_process').ChildProcess, options: { group?: boolean; role?: string } = {}): void {
  // Listed in the run's state file and watched by the run's watchdog: it goes even if this
  // process is killed outright.
  trackChildProcess(options.role ?? `child ${child.spawnfile}`, child, options)
  const gone = () => child.exitCode !== null || child.signalCode !== null
  // A child leading its own process group (a profiler and the engine it runs) goes as a group.
  const kill = (signal: NodeJS.Signals) => {
    try {
      if (options.group === true && child.pid !== undefined) process.kill(-child.pid, signal)
      else child.kill(signal)
    } catch {
      // Already gone.
    }
  }
  const unregister = registerForCleanup({
    stopAll: () =>
      new Promise<void>((resolve) => {
        if (gone()) return resolve()
        child.once('exit', () => resolve())
        kill('SIGTERM')
        setTimeout(() => kill('SIGKILL'), 3000).unref()
      }),
    killNowSync: () => {
      if (!gone()) kill('SIGKILL')
    },
  })
  child.once('exit', unregister)
}
