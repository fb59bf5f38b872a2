import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import { startPeer } from '../../peers/index.js'
import { startEngineProcess } from '../../runner/balancer-process.js'
import { layerbenchVersion } from '../../system/environment.js'
import { childPids } from '../../peers/peer-process.js'
import { processCpuFineUs } from '../../system/process-cpu.js'
import type { DataplaneSubject } from './dataplane-model.js'

/** A subject (or the backend) running as its own process. */
export interface Started {
  readonly port: number
  /** CPU time of the subject's processes so far, µs. */
  cpuUs(): number
  stop(): Promise<void>
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

/** CPU time of a process and its children (nginx's workers), µs, at nanosecond resolution. */
function treeCpuUs(pid: number): number {
  return childPids(pid).reduce((sum, c) => sum + (processCpuFineUs(c) ?? 0), processCpuFineUs(pid) ?? 0)
}

/** Spawns a child that prints a line matching `ready`, and returns its port. */
export function startChild(command: string, args: string[], ready: RegExp): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    const fail = (why: string) => reject(new Error(`${command} ${args.join(' ')}: ${why}\n${err}`))
    child.once('exit', (code) => fail(`exited with ${code}`))
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = ready.exec(out)
      if (m === null) return
      child.removeAllListeners('exit')
      resolve({
        port: Number(m[1]),
        cpuUs: () => treeCpuUs(child.pid!),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done()
            child.once('exit', () => done())
            child.kill('SIGTERM')
            setTimeout(() => child.kill('SIGKILL'), 3000).unref()
          }),
      })
    })
  })
}

/** The fixed-response backend every subject forwards to. */
export const startBackend = () => startChild(process.execPath, [here('./fixed-response-server.js'), '0'], /ready (\d+)/)

/** One listener in front of the backend, as the engine, HAProxy and nginx are all configured. */
function benchConfig(layer: 4 | 7, backendPort: number) {
  return parseLbConfig(
    {
      listeners: [
        layer === 4
          ? { name: 'bench', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'backend' }
          : { name: 'bench', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 'backend' }], headers: { forwarded: true, requestId: false } },
      ],
      pools: { backend: { backends: [{ host: '127.0.0.1', port: backendPort }] } },
    },
    'bench',
  )
}

/** Every subject of the bench, in the order of the table. */
export const SUBJECTS: readonly DataplaneSubject[] = [
  { name: 'direct', layer: 0, description: 'client → backend, no proxy' },
  { name: 'engine-l4', layer: 4, description: 'layerbench engine, tcp listener' },
  { name: 'engine-l7', layer: 7, description: 'layerbench engine, http listener (X-Forwarded-For on)' },
  { name: 'naive-pipe', layer: 4, description: 'Node net server piping to a backend socket' },
  { name: 'naive-http', layer: 7, description: 'Node http server forwarding with a keep-alive Agent' },
  { name: 'haproxy-l4', layer: 4, description: 'HAProxy mode tcp, 1 thread' },
  { name: 'haproxy-l7', layer: 7, description: 'HAProxy mode http, option forwardfor, http-reuse always, 1 thread' },
  { name: 'nginx-l4', layer: 4, description: 'nginx stream proxy, 1 worker' },
  { name: 'nginx-l7', layer: 7, description: 'nginx http proxy with upstream keepalive, 1 worker' },
]

/** Starts one subject in front of `backendPort`; `undefined` for the direct run. */
export async function startSubject(subject: string, backendPort: number, dir: string): Promise<Started | undefined> {
  if (subject === 'direct') return undefined
  if (subject.startsWith('naive-')) return startChild(process.execPath, [here('./naive-proxies.js'), subject.slice(6), '0', String(backendPort)], /ready (\d+)/)
  const [kind, l] = subject.split('-') as ['engine' | 'haproxy' | 'nginx', string]
  const config = benchConfig(l === 'l4' ? 4 : 7, backendPort)
  const balancer = kind === 'engine' ? await startEngineProcess(config, dir, layerbenchVersion()) : await startPeer(kind, config, dir)
  return { port: balancer.listeners.get('bench')!.port, cpuUs: () => treeCpuUs(balancer.pid), stop: () => balancer.stop() }
}
