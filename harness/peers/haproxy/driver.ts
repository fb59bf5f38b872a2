import { rmSync } from 'node:fs'
import type { PeerDriver } from '../peer-driver.js'
import { writePeerFiles } from '../peer-files.js'
import { haproxyConfig, haproxyMasterSocketPath, haproxySocketPath } from './config.js'
import { HaproxyRuntime } from './runtime.js'
import { haproxyCapabilities, haproxyChecks } from './support.js'

/** How long a reload may take to bring up the new worker. */
const RELOAD_TIMEOUT_MS = 10_000

/** How long one look at the worker's id may take during a reload. */
const RELOAD_POLL_TIMEOUT_MS = 250

/** How often HAProxy's server states are read when health checks can change them. */
const HEALTH_POLL_MS = 200

/** The version in `haproxy -v` output ("HAProxy version 2.6.12-1+deb12u4 2023/… - https://…" → "2.6.12-1+deb12u4"). */
export function parseHaproxyVersion(text: string): string | undefined {
  return /HA-?Proxy version (\S+)/i.exec(text)?.[1]
}

/** HAProxy 2.6: one thread under its master in the foreground, runtime changes and health states over its admin socket, reloads by SIGUSR2. */
export const haproxyDriver: PeerDriver = {
  name: 'haproxy',
  label: 'HAProxy',
  capabilities: haproxyCapabilities,
  binary: { names: ['haproxy'], env: 'LAYERBENCH_HAPROXY', versionArgs: ['-v'], parseVersion: parseHaproxyVersion },
  checks: haproxyChecks,
  render: (input) => haproxyConfig(input),
  checkArgs: (configPath) => ['-c', '-q', '-f', configPath],
  // -W: master-worker, so a reload replaces the worker under the same master (the process the
  // harness watches and whose tree it measures); -S: the master's CLI, through which runtime
  // commands reach the current worker; -db: in the foreground.
  runArgs: (configPath, dir) => ['-W', '-db', '-S', haproxyMasterSocketPath(dir), '-f', configPath],
  attach({ config, input, started }) {
    const runtime = new HaproxyRuntime(haproxyMasterSocketPath(input.dir), config, input.dir)
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
      // The master re-reads its configuration on SIGUSR2 and starts a new worker, which takes the
      // listening sockets over from the old one (-x sockpair); the old one finishes its connections.
      async reload(next) {
        writePeerFiles(haproxyConfig({ ...input, config: next }).files)
        const before = await runtime.workerPid()
        started.child.kill('SIGUSR2')
        const deadline = Date.now() + RELOAD_TIMEOUT_MS
        while (Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20))
          // Briefly: the master's CLI is away while the master re-executes itself.
          const now = await runtime.workerPid(RELOAD_POLL_TIMEOUT_MS).catch(() => undefined)
          if (now !== undefined && now !== before) return runtime.track(next)
        }
        throw new Error(`HAProxy did not start a new worker within ${RELOAD_TIMEOUT_MS / 1000} s of SIGUSR2:\n${started.output().split('\n').slice(-12).join('\n')}`)
      },
      beforeStop() {
        if (poller !== undefined) clearInterval(poller)
      },
      afterStop() {
        for (const path of [haproxySocketPath(input.dir), haproxyMasterSocketPath(input.dir)]) rmSync(path, { force: true })
      },
    }
  },
}
