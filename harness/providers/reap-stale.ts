/**
 * Cleans up after runs whose owner process died without cleaning up (SIGKILL, a crash, a lost
 * machine session): backend processes listed in their state files, containers labelled with a
 * dead owner, swarm services of a dead owner, and address claims. Anything whose owner still runs is left alone.
 */
import { rmSync } from 'node:fs'
import { BACKEND_CMDLINE_MARK } from './process-provider.js'
import { dockerClient, LABELS, ownerFromLabels, pingProblem } from './docker-engine.js'
import { releaseStaleClaims } from './loopback-addresses.js'
import { reapSwarm } from './swarm/swarm-reap.js'
import { ownerAlive, procCmdline, procStartTime, readRunStates } from './run-state.js'

/** What `reapStale` removed. */
export interface ReapResult {
  readonly containers: number
  readonly processes: number
  /** Swarm services, when a swarm manager is given (`swarmHost`, else `LAYERBENCH_SWARM_HOST`). */
  readonly services: number
}

/** Kills the backend processes of dead owners; each PID's command line is checked first (PIDs are reused). */
function reapProcesses(log: (line: string) => void): number {
  let killed = 0
  for (const { path, state } of readRunStates()) {
    if (ownerAlive(state.owner)) continue
    for (const b of state.backends) {
      if (b.pid === undefined) continue
      // PIDs are reused: the process must still be the one recorded, by its start time or by
      // the backend's command line.
      const same = b.startTime !== undefined ? procStartTime(b.pid) === b.startTime : (procCmdline(b.pid) ?? '').includes(BACKEND_CMDLINE_MARK)
      if (!same) continue
      try {
        process.kill(b.pid, 'SIGKILL')
        killed++
        log(`killed ${b.id} (pid ${b.pid}) left by run ${state.runId} of dead process ${state.owner.pid}`)
      } catch {
        // Exited meanwhile.
      }
    }
    rmSync(path, { force: true })
  }
  return killed
}

/** Removes layerbench containers whose owner process is dead; 0 when no Docker Engine answers. */
async function reapContainers(log: (line: string) => void, socketPath: string | undefined): Promise<number> {
  const docker = dockerClient(socketPath)
  if ((await pingProblem(docker)) !== undefined) return 0
  let removed = 0
  for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABELS.marker}=1`] } })) {
    const owner = ownerFromLabels(c.Labels)
    if (owner === undefined || ownerAlive(owner)) continue
    try {
      await docker.getContainer(c.Id).remove({ force: true })
      removed++
      log(`removed container ${c.Id.slice(0, 12)} (${c.Names[0] ?? ''}) left by dead process ${owner.pid}`)
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) log(`cannot remove container ${c.Id.slice(0, 12)}: ${(e as Error).message}`)
    }
  }
  return removed
}

/** Removes what crashed runs left behind: processes, containers, swarm services, and address claims. */
export async function reapStale(log: (line: string) => void = () => {}, options: { socketPath?: string; swarmHost?: string } = {}): Promise<ReapResult> {
  const processes = reapProcesses(log)
  const containers = await reapContainers(log, options.socketPath)
  const swarmHost = options.swarmHost ?? process.env.LAYERBENCH_SWARM_HOST
  const services = swarmHost === undefined || swarmHost === '' ? 0 : await reapSwarm(swarmHost, log)
  releaseStaleClaims()
  return { containers, processes, services }
}
