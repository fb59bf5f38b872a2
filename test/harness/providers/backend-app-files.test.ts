import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { afterAll, describe, expect, it } from 'vitest'
import { backendProtos } from '../../../harness/backend/grpc-protos.js'
import { backendAppFiles } from '../../../harness/providers/backend-files.js'
import { BACKEND_MAIN } from '../../../harness/providers/process-provider.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('the backend app files (what both images hold)', () => {
  it('are enough to serve gRPC: the .proto files are found beside dist/', async () => {
    const files = backendAppFiles()
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['harness/backend/proto/echo.proto', 'harness/backend/proto/health.proto']))
    // Lay the files out as the image does under /app, and run the app from there.
    const app = mkdtempSync(join(tmpdir(), 'layerbench-app-'))
    dirs.push(app)
    for (const f of files) {
      mkdirSync(dirname(join(app, f.path)), { recursive: true })
      writeFileSync(join(app, f.path), f.content, { mode: f.mode })
    }
    const config = JSON.stringify({ id: 'image-files', grpc: { port: 0 }, control: { port: 0 } })
    const child = spawn(process.execPath, [join(app, BACKEND_MAIN), '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], cwd: app })
    try {
      const ready = await new Promise<{ grpc: number }>((resolve, reject) => {
        let out = ''
        let err = ''
        child.stderr.on('data', (d: Buffer) => (err += d.toString()))
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          const m = /^ready (.*)$/m.exec(out)
          if (m !== null) resolve(JSON.parse(m[1]!) as { grpc: number })
        })
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)))
      })
      const Echo = grpc.makeGenericClientConstructor(backendProtos().echo, 'Echo')
      const client = new Echo(`127.0.0.1:${ready.grpc}`, grpc.credentials.createInsecure())
      const reply = await new Promise<{ backend: string }>((resolve, reject) =>
        (client as unknown as Record<string, Function>)['Unary']!.call(client, { message: 'm' }, (e: Error | null, r: { backend: string }) => (e === null ? resolve(r) : reject(e))),
      )
      client.close()
      expect(reply.backend).toBe('image-files')
    } finally {
      child.kill('SIGTERM')
    }
  })
})
