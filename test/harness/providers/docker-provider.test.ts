import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { backendConfigFor, backendImagePlan, buildOfflineImage, createProvider, dockerClient, pingProblem } from '../../../harness/providers/index.js'
import { demuxLogs, LABELS } from '../../../harness/providers/docker-engine.js'
import { CLI } from '../../helpers/cli.js'
import { httpGet } from './clients.js'
import { providerConformance } from './provider-conformance.js'

const problem = await pingProblem(dockerClient(), 2000)
const required = process.env.LAYERBENCH_REQUIRE_DOCKER === '1'

if (problem !== undefined && required) {
  describe('docker provider', () => {
    it('needs a Docker Engine (LAYERBENCH_REQUIRE_DOCKER=1)', () => {
      throw new Error(`no Docker Engine answers (${problem}): run harness/setup/start-dockerd.sh`)
    })
  })
}

providerConformance('docker', problem === undefined ? undefined : `no Docker Engine answers: ${problem}`)

describe.skipIf(problem !== undefined)('docker provider specifics', () => {
  it('auto picks docker when the Engine answers', async () => {
    const provider = await createProvider('auto', { runId: `auto-${process.pid}` })
    expect(provider.kind).toBe('docker')
    expect(await provider.describe()).toMatchObject({ kind: 'docker', version: expect.stringMatching(/^\d+\.\d+/) })
  })

  it('applies limits as container settings', async () => {
    const provider = await createProvider('docker', { runId: `docker-limits-${process.pid}` })
    try {
      const [b] = await provider.start([{ id: 'limited', group: 'g', protocols: ['http'], limits: { cpus: 0.5, cpuset: '0', memoryMb: 128 } }])
      const info = await dockerClient().getContainer(b!.containerId!).inspect()
      expect(info.HostConfig).toMatchObject({ NetworkMode: 'host', Init: true, NanoCpus: 500_000_000, CpusetCpus: '0', Memory: 128 * 2 ** 20 })
      expect(info.Config.Labels).toMatchObject({ layerbench: '1', 'layerbench.run': `docker-limits-${process.pid}`, 'layerbench.owner': String(process.pid), 'layerbench.backend': 'limited' })
      expect(provider.warnings).toEqual([])
      expect((await b!.stats()).memoryLimitBytes).toBe(128 * 2 ** 20)
    } finally {
      await provider.stopAll()
    }
  })

  it('builds the image offline (docker import of a root filesystem) and it runs the backend', async () => {
    const docker = dockerClient()
    const plan = backendImagePlan()
    const name = `layerbench-backend-test:${process.pid}-${Date.now().toString(36)}`
    const built = await buildOfflineImage(docker, plan, () => {}, name)
    const container = await docker.createContainer({
      Image: name,
      Env: [`LAYERBENCH_BACKEND=${JSON.stringify(backendConfigFor({ id: 'offline', group: 'g', protocols: ['http'] }, '127.3.2.1'))}`],
      Labels: { layerbench: '1', 'layerbench.run': `offline-${process.pid}`, 'layerbench.owner': String(process.pid) },
      HostConfig: { NetworkMode: 'host', Init: true },
    })
    try {
      expect(built.how).toBe('offline')
      expect(built.bytes).toBeGreaterThan(10 * 2 ** 20)
      const image = await docker.getImage(name).inspect()
      expect(image.Config.Labels).toMatchObject({ layerbench: '1', 'layerbench.build': 'offline' })
      expect(image.Config.Entrypoint).toEqual(['/usr/local/bin/node', '/app/dist/harness/backend/main.js'])
      await container.start()
      let logs = ''
      for (let i = 0; i < 100 && !logs.includes('ready '); i++) {
        await new Promise((r) => setTimeout(r, 100))
        logs = demuxLogs((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer)
      }
      expect(logs).toMatch(/^ready \{"id":"offline"/m)
      expect((await httpGet('127.3.2.1', 8080)).headers['x-backend']).toBe('offline')
    } finally {
      await container.remove({ force: true })
      await docker.getImage(name).remove()
    }
  })
})

describe.skipIf(problem !== undefined)('docker provider when the runner is killed', () => {
  // The run may build the backend image first (offline: about a minute on a slow host).
  it('removes every container of the run within 10 s of a SIGKILL to the runner', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerbench-docker-kill-'))
    const file = join(dir, 'killed.yaml')
    writeFileSync(
      file,
      [
        'name: docker-killed',
        'backends:',
        '  web: { count: 2 }',
        'balancer:',
        '  listeners:',
        '    - { name: web, protocol: http, routes: [{ pool: web }] }',
        '  pools:',
        '    web: { backends: web }',
        'load: { mode: open, rate: 50, connections: 2, duration: 120s, warmup: 100ms }',
        '',
      ].join('\n'),
    )
    const runner = spawn(process.execPath, [CLI, 'run', file, '--provider', 'docker', '--out', join(dir, 'out')], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    runner.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<NodeJS.Signals | null>((resolve) => runner.once('exit', (_code, signal) => resolve(signal)))
    const docker = dockerClient()
    // The run's containers carry its owner label: the runner's PID.
    const ours = async () => docker.listContainers({ all: true, filters: { label: [`${LABELS.owner}=${runner.pid}`] } })
    const startBound = Date.now() + 240_000
    let seen = await ours()
    while (seen.filter((c) => c.State === 'running').length < 2 && runner.exitCode === null && Date.now() < startBound) {
      await new Promise((r) => setTimeout(r, 250))
      seen = await ours()
    }
    expect(seen.filter((c) => c.State === 'running'), `the run's two backend containers; stderr: ${stderr}`).toHaveLength(2)
    runner.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    const killedAt = Date.now()
    // The run's watchdog removes them by itself; no later run is needed to reap them.
    let left = await ours()
    while (left.length > 0 && Date.now() - killedAt < 10_000) {
      await new Promise((r) => setTimeout(r, 100))
      left = await ours()
    }
    expect(left.map((c) => c.Id), `containers left ${Date.now() - killedAt} ms after the SIGKILL`).toEqual([])
    console.log(`docker containers of the killed run gone ${Date.now() - killedAt} ms after the SIGKILL`)
  }, 300_000)
})

describe('docker unavailable', () => {
  it('docker requested but unreachable throws LB_ERR_DOCKER_UNAVAILABLE naming the remedies', async () => {
    const error = await createProvider('docker', { runId: `bogus-${process.pid}`, socketPath: '/nonexistent/layerbench-docker.sock' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LB_ERR_DOCKER_UNAVAILABLE' })
    expect((error as Error).message).toMatch(/harness\/setup\/start-dockerd\.sh.*--provider process/)
  })

  it('auto falls back to the process provider and says why', async () => {
    const lines: string[] = []
    const provider = await createProvider('auto', { runId: `auto-bogus-${process.pid}`, socketPath: '/nonexistent/layerbench-docker.sock', log: (l) => lines.push(l) })
    expect(provider.kind).toBe('process')
    expect(await provider.describe()).toMatchObject({ kind: 'process' })
    expect(lines.join('\n')).toMatch(/provider: process \(no Docker Engine/)
  })
})
