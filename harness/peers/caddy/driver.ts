import type { PeerDriver } from '../peer-driver.js'
import { caddyConfig } from './config.js'
import { caddyRuntime } from './runtime.js'
import { caddyCapabilities, caddyChecks } from './support.js'

/** The version in `caddy version` output ("v2.6.2" or "2.6.2" → "2.6.2"). */
export function parseCaddyVersion(text: string): string | undefined {
  return /^v?(\d+\.\d+\.\d+\S*)/m.exec(text.trim())?.[1]
}

/** Caddy 2.6: HTTP and HTTPS through reverse_proxy from a JSON configuration; runtime changes through its admin API on a loopback port of the run's own. */
export const caddyDriver: PeerDriver = {
  name: 'caddy',
  label: 'Caddy',
  capabilities: caddyCapabilities,
  binary: { names: ['caddy'], env: 'LAYERBENCH_CADDY', versionArgs: ['version'], parseVersion: parseCaddyVersion },
  checks: caddyChecks,
  adminPort: true,
  render: (input) => caddyConfig(input),
  checkArgs: (configPath) => ['validate', '--config', configPath],
  runArgs: (configPath) => ['run', '--config', configPath],
  attach({ input }) {
    const runtime = caddyRuntime(input.adminPort!, input.config, (config) => JSON.parse(caddyConfig({ ...input, config }).text))
    // Caddy 2.6 counts a checked upstream down until a check passes; the first checks run at
    // start, so one interval and a timeout cover them.
    const firstChecksMs = Math.max(0, ...Object.values(input.config.pools).map((p) => (p.healthCheck === undefined ? 0 : p.healthCheck.intervalMs + p.healthCheck.timeoutMs)))
    return { ...runtime, ready: () => new Promise((resolve) => setTimeout(resolve, Math.min(firstChecksMs, 5000))) }
  },
}
