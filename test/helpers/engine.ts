import { parseLbConfig } from '../../engine/config/load-lb-config.js'
import { startEngine, type Engine, type EngineOptions } from '../../engine/runtime/engine.js'

/** Engines started by a test file, stopped by `stopEngines` (call it in afterEach/afterAll). */
const running = new Set<Engine>()

/** Validates an inline balancer configuration and starts it (ports 0 bind ephemeral ports). */
export async function engineFrom(config: unknown, options: EngineOptions = {}): Promise<Engine> {
  const engine = await startEngine(parseLbConfig(config, 'test config'), options)
  running.add(engine)
  return engine
}

/** Stops every engine this file started (no drain). */
export async function stopEngines(): Promise<void> {
  await Promise.all([...running].map((e) => e.stop({ drainMs: 0 })))
  running.clear()
}

/** `host:port` of a listener by name. */
export function listenerAddress(engine: Engine, name: string): { host: string; port: number } {
  const l = engine.listeners.find((x) => x.name === name)
  if (l === undefined) throw new Error(`no listener ${name}`)
  return l.address
}

/** Fetches JSON from the engine's admin server. */
export async function admin<T = unknown>(engine: Engine, path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: T }> {
  const a = engine.admin!
  const r = await fetch(`http://${a.host}:${a.port}${path}`, {
    method: init?.method ?? 'GET',
    ...(init?.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
  })
  const text = await r.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // text endpoints (/metrics, /healthz)
  }
  return { status: r.status, body: body as T }
}

/** Waits until `check` passes or the deadline passes (then rethrows its last error). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await check()
      return
    } catch (e) {
      if (Date.now() > deadline) throw e
      await new Promise((r) => setTimeout(r, everyMs))
    }
  }
}
