import { processAlive } from '../../../harness/system/process-cpu.js'
/**
 * The behaviour every backend provider must show, run once per provider: addressing, faults,
 * control, CPU accounting, clean-up, and reaping what a crashed owner left behind.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type Docker from 'dockerode'
import { createProvider, dockerClient, reapStale, type BackendProvider, type RunningBackend } from '../../../harness/providers/index.js'
import { dockerAt, managerEndpoint } from '../../../harness/providers/swarm/swarm-engines.js'
import { procCmdline } from '../../../harness/providers/run-state.js'
import { failureCode, httpGet, tcpLine, udpExchange } from './clients.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/owner.mjs', import.meta.url))
const DIST_INDEX = fileURLToPath(new URL('../../../dist/harness/providers/index.js', import.meta.url))

/** True while `pid` is a backend process (a reused PID running something else does not count). */
function backendProcessAlive(pid: number): boolean {
  return (procCmdline(pid) ?? '').includes('harness/backend/main.js')
}

type Kind = 'process' | 'docker' | 'swarm'

/** The Engines a provider's containers run on: the local one, or every labelled node of the swarm. */
async function enginesOf(kind: Kind): Promise<Docker[]> {
  if (kind !== 'swarm') return [dockerClient()]
  const nodes = (await swarmManager().listNodes()) as { Spec?: { Labels?: Record<string, string> } }[]
  return nodes.flatMap((n) => (n.Spec?.Labels?.['layerbench.engine'] === undefined ? [] : [dockerAt(n.Spec.Labels['layerbench.engine'])]))
}

function swarmManager(): Docker {
  return dockerAt(managerEndpoint() ?? 'unix:///nonexistent')
}

/** Containers (and, on a swarm, services) labelled with `runId`, wherever they run. */
async function leftOfRun(kind: Kind, runId: string): Promise<string[]> {
  const filters = { label: [`layerbench.run=${runId}`] }
  const out: string[] = []
  for (const docker of await enginesOf(kind)) for (const c of await docker.listContainers({ all: true, filters })) out.push(c.Id)
  if (kind === 'swarm') for (const s of (await swarmManager().listServices({ filters })) as { ID: string }[]) out.push(s.ID)
  return out
}

async function containerExists(kind: Kind, id: string): Promise<boolean> {
  for (const docker of await enginesOf(kind)) {
    try {
      await docker.getContainer(id).inspect()
      return true
    } catch {
      // Not on this Engine.
    }
  }
  return false
}

interface OwnerReport {
  kind: string
  host: string
  port: number
  pid?: number
  containerId?: string
  listeners: { SIGINT: number; SIGTERM: number }
}

/** Starts the fixture owner (see fixtures/owner.mjs) in a child process. */
function startOwner(kind: Kind, runId: string, mode: 'hang' | 'handlers' | 'throw' | 'exit') {
  const child = spawn(process.execPath, [FIXTURE, kind, runId, mode], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => setImmediate(() => resolve({ code, signal, stderr }))),
  )
  const info = new Promise<OwnerReport>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as OwnerReport)
    })
    void exited.then(({ code, signal }) => reject(new Error(`owner exited before reporting (${signal ?? code}): ${stderr}`)))
  })
  return { child, info, exited }
}

/** Registers the conformance suite of the provider `kind`; `skip` (a reason) skips it. */
export function providerConformance(kind: Kind, skip?: string): void {
  const containers = kind !== 'process'
  // Swarm backends listen on their node's lab addresses (198.18.0.0/15), the others on loopback.
  const address = kind === 'swarm' ? /^198\.1[89]\.\d+\.\d+$/ : /^127\.\d+\.\d+\.\d+$/
  const title = skip === undefined ? `${kind} provider conformance` : `${kind} provider conformance (skipped: ${skip})`
  describe.skipIf(skip !== undefined)(title, () => {
    const runId = `conformance-${kind}-${process.pid}-${Date.now().toString(36)}`
    let provider: BackendProvider
    let backends: RunningBackend[]
    let a: RunningBackend
    const pids = new Set<number>()

    beforeAll(async () => {
      provider = await createProvider(kind, { runId })
      backends = await provider.start([
        { id: 'alpha', group: 'stable', protocols: ['http', 'tcp', 'udp'] },
        { id: 'beta', group: 'canary', protocols: ['http', 'tcp', 'udp'], seed: 7 },
      ])
      a = backends[0]!
      for (const b of backends) if (b.pid !== undefined) pids.add(b.pid)
    }, 120_000)

    afterAll(async () => {
      await provider?.stopAll()
    })

    it('reports its kind', async () => {
      expect(provider.kind).toBe(kind)
      const described = await provider.describe()
      expect(described.kind).toBe(kind)
      expect(described.version).toBeTruthy()
    })

    it('gives each backend its own address with the fixed ports', () => {
      const hosts = backends.map((b) => b.host)
      expect(new Set(hosts).size).toBe(2)
      for (const b of backends) {
        expect(b.host).toMatch(address)
        expect(b.host).not.toBe('127.0.0.1')
        expect(b.ports).toEqual({ http: 8080, tcp: 5432, udp: 5353, control: 9900 })
      }
      if (containers) for (const b of backends) expect(b.containerId).toMatch(/^[0-9a-f]{64}$/)
      else for (const b of backends) expect(b.pid).toBeGreaterThan(0)
    })

    it('answers HTTP, TCP and UDP on its own address as itself', async () => {
      for (const b of backends) {
        const res = await httpGet(b.host, b.ports.http!)
        expect(res.status).toBe(200)
        expect(res.headers['x-backend']).toBe(b.spec.id)
        expect(await tcpLine(b.host, b.ports.tcp!, 'hello')).toBe(`${b.spec.id} hello`)
        expect(await udpExchange(b.host, b.ports.udp!, 'ping')).toBe(`${b.spec.id}:ping`)
      }
    })

    it('kill refuses connections; restart brings it back at the same address and ports', async () => {
      const { host, ports } = a
      await a.kill()
      expect(await failureCode(httpGet(host, ports.http!, '/', 2000))).toBe('ECONNREFUSED')
      // The other backend is untouched.
      expect((await httpGet(backends[1]!.host, 8080)).headers['x-backend']).toBe('beta')
      await a.restart()
      if (a.pid !== undefined) pids.add(a.pid)
      expect(a.host).toBe(host)
      expect(a.ports).toEqual(ports)
      const res = await httpGet(host, ports.http!)
      expect(res.status).toBe(200)
      expect(res.headers['x-backend']).toBe('alpha')
    })

    it('pause hangs it (requests time out); resume answers again', async () => {
      await a.pause()
      expect(await failureCode(httpGet(a.host, a.ports.http!, '/', 400))).toBe('TIMEOUT')
      await a.resume()
      expect((await httpGet(a.host, a.ports.http!)).status).toBe(200)
    })

    it('configure changes the behaviour (latency) through the control API', async () => {
      await a.configure({ latency: { kind: 'fixed', ms: 150 } })
      const slow = await httpGet(a.host, a.ports.http!)
      expect(slow.status).toBe(200)
      expect(slow.ms).toBeGreaterThanOrEqual(140)
      expect(await a.state()).toMatchObject({ id: 'alpha', behaviour: { latency: { kind: 'fixed', ms: 150 } } })
      await a.configure({ latency: null })
      expect(await a.state()).toMatchObject({ behaviour: {} })
    })

    it('setHealthy(false) makes /health answer 503, setHealthy(true) 200', async () => {
      await a.setHealthy(false)
      expect((await httpGet(a.host, a.ports.http!, '/health')).status).toBe(503)
      await a.setHealthy(true)
      expect((await httpGet(a.host, a.ports.http!, '/health')).status).toBe(200)
    })

    it('counts CPU time, growing with load', async () => {
      const before = await a.cpuUs()
      expect(before).toBeGreaterThan(0)
      // CPU time is read in clock ticks: load until it moves (a fast host needs more requests for
      // one tick), within a bound far above what any host needs.
      let after = before
      for (let i = 0; i < 200 && after === before; i++) {
        await Promise.all(Array.from({ length: 20 }, () => httpGet(a.host, a.ports.http!)))
        after = await a.cpuUs()
      }
      expect(after).toBeGreaterThan(before!)
      const stats = await a.stats()
      expect(stats.cpuUs).toBeGreaterThanOrEqual(after!)
      if (containers) expect(stats.memoryBytes).toBeGreaterThan(0)
    })

    it('stopAll leaves no process or container of the run', async () => {
      const recorded = backends.map((b) => ({ pid: b.pid, containerId: b.containerId }))
      await provider.stopAll()
      for (const pid of pids) expect(backendProcessAlive(pid)).toBe(false)
      if (containers) {
        expect(await leftOfRun(kind, runId)).toEqual([])
        for (const r of recorded) expect(await containerExists(kind, r.containerId!)).toBe(false)
      }
      for (const b of backends) expect(await failureCode(httpGet(b.host, 8080, '/', 2000))).toBe('ECONNREFUSED')
      await provider.stopAll() // idempotent
    })

    it('reapStale removes what a crashed owner left behind', async () => {
      expect(existsSync(DIST_INDEX), `${DIST_INDEX} is missing: build first (npm run build)`).toBe(true)
      const ownerRun = `${runId}-crashed`
      const { child, info, exited } = startOwner(kind, ownerRun, 'hang')
      const left = await info
      expect(left.kind).toBe(kind)
      child.kill('SIGKILL')
      await exited
      const gone = async () => (kind === 'process' ? !backendProcessAlive(left.pid!) : !(await containerExists(kind, left.containerId!)))
      // Killing and removing complete asynchronously: give them a moment.
      const waitGone = async () => {
        for (let i = 0; i < 100 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 20))
        return gone()
      }
      // The owner is dead; its backend lives on until a reaper runs. Another test file's reapStale
      // may run concurrently and get there first: then it must be gone, which is the point anyway.
      const answer = await httpGet(left.host, left.port).catch((e: unknown) => e as Error)
      if (answer instanceof Error) expect(await waitGone()).toBe(true)
      else expect(answer.headers['x-backend']).toBe('orphan')

      const reaped = await reapStale()
      // A concurrent test file may reap it first, so the counts are not asserted: what matters is that it is gone.
      expect(reaped).toEqual({ processes: expect.any(Number), containers: expect.any(Number), services: expect.any(Number) })
      expect(await waitGone()).toBe(true)
      if (containers) expect(await leftOfRun(kind, ownerRun)).toEqual([])
      expect(await failureCode(httpGet(left.host, left.port, '/', 2000))).toBe('ECONNREFUSED')
    }, 60_000)

    it.each([
      ['SIGTERM', 'handlers', 143],
      ['SIGINT', 'handlers', 130],
      ['an uncaught error', 'throw', 1],
      ['process.exit without stopAll', 'exit', 0],
    ] as const)('nothing survives an owner ended by %s', async (_what, mode, exitCode) => {
      const ownerRun = `${runId}-${mode}-${exitCode}`
      const { child, info, exited } = startOwner(kind, ownerRun, mode)
      const left = await info
      if (mode === 'handlers') {
        // Installed twice, registered once.
        expect(left.listeners).toEqual({ SIGINT: 1, SIGTERM: 1 })
        child.kill(exitCode === 143 ? 'SIGTERM' : 'SIGINT')
      }
      const end = await exited
      expect(end.code, end.stderr).toBe(exitCode)
      if (mode === 'throw') expect(end.stderr).toMatch(/uncaught error: Error: owner failed/)
      if (kind === 'process') {
        expect(backendProcessAlive(left.pid!)).toBe(false)
        // A process past its command line may still be closing its sockets: wait (bounded) until
        // it is reaped before expecting its port to refuse.
        for (let i = 0; i < 100 && processAlive(left.pid!); i++) await new Promise((r) => setTimeout(r, 50))
      }
      else {
        expect(await containerExists(kind, left.containerId!)).toBe(false)
        expect(await leftOfRun(kind, ownerRun)).toEqual([])
      }
      expect(await failureCode(httpGet(left.host, left.port, '/', 2000))).toBe('ECONNREFUSED')
    }, 60_000)

    it('rejects invalid specs with every problem at once', async () => {
      const p = await createProvider(kind, { runId: `${runId}-invalid` })
      const error = await p.start([
        { id: 'x', group: 'g', protocols: [] },
        { id: 'x', group: 'g', protocols: ['https'] },
      ]).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'LB_ERR_INVALID_CONFIG' })
      expect((error as { issues: unknown[] }).issues).toHaveLength(3)
      await p.stopAll()
    })
  })
}
