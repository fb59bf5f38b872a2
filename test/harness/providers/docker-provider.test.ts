import { describe, expect, it } from 'vitest'
import { backendConfigFor, backendImagePlan, buildOfflineImage, createProvider, dockerClient, pingProblem } from '../../../harness/providers/index.js'
import { demuxLogs } from '../../../harness/providers/docker-engine.js'
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
