import { execFile } from 'node:child_process'
import { Unsupported, type BalancerControl } from '../../runner/balancer-process.js'
import type { ExternalSpec } from './external-schema.js'

/** What a hook's placeholders are filled from. */
export interface HookValues {
  readonly pool: string
  readonly backend: string
  readonly host?: string
  readonly port?: number
  readonly weight?: number
  /** The run's folder (the rendered configuration, sockets the template put there). */
  readonly dir?: string
}

/** Placeholders of a hook: `{{pool}}`, `{{backend}}`, `{{host}}`, `{{port}}`, `{{address}}`, `{{weight}}`, `{{dir}}`. */
export const HOOK_PLACEHOLDERS = ['pool', 'backend', 'host', 'port', 'address', 'weight', 'dir'] as const

/** `text` with the hook's placeholders filled in (each value passed through `encode`). Pure. */
export function fillHook(text: string, v: HookValues, encode: (s: string) => string = (s) => s): string {
  const values: Record<string, string | undefined> = {
    pool: v.pool,
    backend: v.backend,
    host: v.host,
    port: v.port === undefined ? undefined : String(v.port),
    address: v.host === undefined || v.port === undefined ? undefined : v.host.includes(':') ? `[${v.host}]:${v.port}` : `${v.host}:${v.port}`,
    weight: v.weight === undefined ? undefined : String(v.weight),
    dir: v.dir,
  }
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (all, name: string) => {
    const value = values[name]
    return value === undefined ? all : encode(value)
  })
}

function runCommand(argv: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 30_000 }, (error, stdout, stderr) => (error === null ? resolve() : reject(new Error(`hook ${argv.join(' ')} failed: ${`${stdout}${stderr}`.trim() || error.message}`))))
  })
}

async function callHttp(h: Extract<ExternalSpec['hooks'][keyof ExternalSpec['hooks']], { http: unknown }>['http'], v: HookValues): Promise<void> {
  const url = fillHook(h.url, v, encodeURIComponent)
  const res = await fetch(url, { method: h.method, headers: h.headers, ...(h.body === undefined ? {} : { body: fillHook(h.body, v) }), signal: AbortSignal.timeout(30_000) })
  const text = await res.text()
  if (!res.ok) throw new Error(`hook ${h.method} ${url} answered ${res.status}: ${text.trim().slice(0, 200)}`)
}

/** Runs the hook of one action. */
export async function runHook(spec: ExternalSpec, action: keyof ExternalSpec['hooks'], v: HookValues, dir?: string): Promise<void> {
  const hook = spec.hooks[action]
  if (hook === undefined) throw new Unsupported(`${spec.name} has no ${action} hook (balancer.external.hooks.${action})`)
  const values = dir === undefined ? v : { ...v, dir }
  if ('http' in hook) return callHttp(hook.http, values)
  await runCommand(hook.command.map((a) => fillHook(a, values)))
}

/** The timeline's runtime changes as the user's hooks; an action without a hook is `Unsupported`, with the reason. */
export function hookControl(spec: ExternalSpec, dir: string): BalancerControl {
  return {
    setWeight: (pool, backend, weight) => runHook(spec, 'set-weight', { pool, backend, weight }, dir),
    setDraining: (pool, backend, draining) => runHook(spec, draining ? 'drain' : 'undrain', { pool, backend }, dir),
    addBackend: (pool, b) => runHook(spec, 'add-backend', { pool, backend: b.id, host: b.host, port: b.port, weight: b.weight }, dir),
    removeBackend: (pool, backend) => runHook(spec, 'remove-backend', { pool, backend }, dir),
  }
}
