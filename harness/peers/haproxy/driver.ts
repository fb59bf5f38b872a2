import { rmSync } from 'node:fs'
import type { PeerDriver } from '../peer-driver.js'
import { haproxyConfig, haproxySocketPath } from './config.js'
import { HaproxyRuntime } from './runtime.js'
import { haproxyCapabilities, haproxyChecks } from './support.js'

/** How often HAProxy's server states are read when health checks can change them. */
const HEALTH_POLL_MS = 200

/** The version in `haproxy -v` output ("HAProxy version 2.6.12-1+deb12u4 2023/… - https://…" → "2.6.12-1+deb12u4"). */
export function parseHaproxyVersion(text: string): string | undefined {
  return /HA-?Proxy version (\S+)/i.exec(text)?.[1]
}

/** HAProxy 2.6: one thread in the foreground, runtime changes and health states over its admin socket. */
export const haproxyDriver: PeerDriver = {
  name: 'haproxy',
  label: 'HAProxy',
  capabilities: haproxyCapabilities,
  binary: { names: ['haproxy'], env: 'LAYERBENCH_HAPROXY', versionArgs: ['-v'], parseVersion: parseHaproxyVersion },
  checks: haproxyChecks,
  render: (input) => haproxyConfig(input),
  checkArgs: (configPath) => ['-c', '-q', '-f', configPath],
  // -db: foreground, no daemon.
  runArgs: (configPath) => ['-db', '-f', configPath],
  attach({ config, input }) {
    const runtime = new HaproxyRuntime(haproxySocketPath(input.dir), config, input.dir)
    // Checks change states between the runner's polls: read them often enough to time transitions.
    const poller = Object.values(config.pools).some((p) => p.healthCheck !== undefined) ? setInterval(() => void runtime.poll().catch(() => {}), HEALTH_POLL_MS) : undefined
    poller?.unref()
    return {
      pollEvents: () => runtime.pollEvents(),
      setWeight: (pool, backend, weight) => runtime.setWeight(pool, backend, weight),
      setDraining: (pool, backend, draining) => runtime.setDraining(pool, backend, draining),
      addBackend: (pool, backend) => runtime.addBackend(pool, backend),
      removeBackend: (pool, backend) => runtime.removeBackend(pool, backend),
      metrics: () => runtime.metrics(),
      beforeStop() {
        if (poller !== undefined) clearInterval(poller)
      },
      afterStop: () => rmSync(haproxySocketPath(input.dir), { force: true }),
    }
  },
}
