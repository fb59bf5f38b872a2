import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import { startPeer, type PeerName } from '../../peers/index.js'
import { startEngineProcess } from '../../runner/balancer-process.js'
import { layerbenchVersion } from '../../system/environment.js'
import { childPids } from '../../peers/peer-process.js'
import { processCpuFineUs } from '../../system/process-cpu.js'
import type { CertificateAndKey } from '../../../engine/tls/self-signed.js'
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

/** Keys and tokens of the auth rows: an HS256 secret, an ES256 public key, a token signed by each. */
export interface BenchCredentials {
  readonly hsSecret: string
  readonly hsToken: string
  readonly esPublicKey: string
  readonly esToken: string
}

/** What a subject is started with. */
export interface SubjectContext {
  readonly backendPort: number
  /** A folder for configurations and certificate files. */
  readonly dir: string
  /** The certificate of the TLS rows, as PEM text and as files. */
  readonly certificate?: CertificateAndKey & { readonly certFile: string; readonly keyFile: string }
  /** Keys and tokens of the auth rows, made once per bench. */
  readonly credentials: BenchCredentials
}

/** A subject and how to start it in front of the backend. */
export interface BenchSubject extends DataplaneSubject {
  /** Whether clients speak TLS to it (the direct run never does). */
  readonly tls: boolean
  /** `undefined`: no proxy (the direct run). */
  start(ctx: SubjectContext): Promise<Started | undefined>
  /** Header lines its requests carry (CRLF-ended): a bearer token. */
  requestHeaders?(ctx: SubjectContext): string
}

/** The listener's layer 7 settings of a bench engine or peer: forwarded headers on, as a proxy usually runs. */
const L7 = { routes: [{ pool: 'backend' }], headers: { forwarded: true, requestId: false } }

/** One listener in front of the backend, as the engine, HAProxy and nginx are all configured; `l7` replaces the layer 7 settings. */
export function benchConfig(protocol: 'tcp' | 'http' | 'https', ctx: SubjectContext, l7: Record<string, unknown> = L7) {
  return parseLbConfig(
    {
      listeners: [
        protocol === 'tcp'
          ? { name: 'bench', protocol, bind: '127.0.0.1:0', pool: 'backend' }
          : protocol === 'http'
            ? { name: 'bench', protocol, bind: '127.0.0.1:0', ...l7 }
            : { name: 'bench', protocol, bind: '127.0.0.1:0', ...l7, tls: { certificates: [{ cert: ctx.certificate!.cert, key: ctx.certificate!.key }] } },
      ],
      pools: { backend: { backends: [{ host: '127.0.0.1', port: ctx.backendPort }] } },
    },
    'bench',
  )
}

/** The engine or a peer (HAProxy, nginx, Caddy) with one listener of `protocol`. */
const balancer =
  (kind: 'engine' | PeerName, protocol: 'tcp' | 'http' | 'https') =>
  async (ctx: SubjectContext): Promise<Started> => {
    const config = benchConfig(protocol, ctx)
    const b = kind === 'engine' ? await startEngineProcess(config, ctx.dir, layerbenchVersion()) : await startPeer(kind, config, ctx.dir)
    return { port: b.listeners.get('bench')!.port, cpuUs: () => treeCpuUs(b.pid), stop: () => b.stop() }
  }

/** A hand-written Node proxy of this folder (`file`), with its arguments after the listen port. */
const script = (file: string, kind: string) => (ctx: SubjectContext) => {
  const tlsFiles = ctx.certificate === undefined || kind !== 'https' ? [] : [ctx.certificate.certFile, ctx.certificate.keyFile]
  return startChild(process.execPath, [here(file), kind, '0', String(ctx.backendPort), ...tlsFiles], /ready (\d+)/)
}

/** An engine with an http listener configured as `config` gives (the filter-chain rows). */
export const engineWith =
  (l7: (ctx: SubjectContext) => Record<string, unknown>) =>
  async (ctx: SubjectContext): Promise<Started> => {
    const b = await startEngineProcess(benchConfig('http', ctx, l7(ctx)), ctx.dir, layerbenchVersion())
    return { port: b.listeners.get('bench')!.port, cpuUs: () => treeCpuUs(b.pid), stop: () => b.stop() }
  }

/** Every subject of the bench, in the order of the table. */
export const SUBJECTS: readonly BenchSubject[] = [
  { name: 'direct', layer: 0, tls: false, description: 'client → backend, no proxy', start: async () => undefined },
  { name: 'engine-l4', layer: 4, tls: false, description: 'layerbench engine, tcp listener', start: balancer('engine', 'tcp') },
  { name: 'engine-l7', layer: 7, tls: false, description: 'layerbench engine, http listener (X-Forwarded-For on)', relativeTo: 'engine-l7-bare', start: balancer('engine', 'http') },
  { name: 'engine-https', layer: 7, tls: true, description: 'layerbench engine, https listener terminating TLS (X-Forwarded-For on)', start: balancer('engine', 'https') },
  { name: 'floor-http', layer: 7, tls: false, description: 'the Node floor: raw-socket HTTP/1.1 keep-alive proxy, head end and Content-Length only', start: script('./floor-proxy.js', 'http') },
  { name: 'floor-https', layer: 7, tls: true, description: 'the Node floor with node:tls termination in front', start: script('./floor-proxy.js', 'https') },
  { name: 'naive-pipe', layer: 4, tls: false, description: 'Node net server piping to a backend socket', start: script('./naive-proxies.js', 'pipe') },
  { name: 'naive-http', layer: 7, tls: false, description: 'Node http server forwarding with a keep-alive Agent', start: script('./naive-proxies.js', 'http') },
  { name: 'haproxy-l4', layer: 4, tls: false, description: 'HAProxy mode tcp, 1 thread', start: balancer('haproxy', 'tcp') },
  { name: 'haproxy-l7', layer: 7, tls: false, description: 'HAProxy mode http, option forwardfor, http-reuse always, 1 thread', start: balancer('haproxy', 'http') },
  { name: 'haproxy-https', layer: 7, tls: true, description: 'HAProxy mode http with bind … ssl, 1 thread', start: balancer('haproxy', 'https') },
  { name: 'nginx-l4', layer: 4, tls: false, description: 'nginx stream proxy, 1 worker', start: balancer('nginx', 'tcp') },
  { name: 'nginx-l7', layer: 7, tls: false, description: 'nginx http proxy with upstream keepalive, 1 worker', start: balancer('nginx', 'http') },
  { name: 'nginx-https', layer: 7, tls: true, description: 'nginx http proxy with listen … ssl, 1 worker', start: balancer('nginx', 'https') },
  { name: 'caddy-l7', layer: 7, tls: false, description: 'Caddy reverse_proxy, round_robin, automatic HTTPS off', start: balancer('caddy', 'http') },
]
