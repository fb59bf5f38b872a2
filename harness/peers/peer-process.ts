import { spawn, execFile, type ChildProcess } from 'node:child_process'
import dgram from 'node:dgram'
import { readdirSync, readFileSync } from 'node:fs'
import net, { type AddressInfo } from 'node:net'
import { parseEndpoint, type LbConfig } from '../../engine/config/lb-config.js'
import { processAlive, processCpuUs, reapedChildrenCpuUs } from '../system/process-cpu.js'
import { registerChildProcess } from '../providers/cleanup.js'

/**
 * Running a peer as a child process: ports picked before it starts, its configuration checked by
 * the tool itself, readiness read from the kernel's socket tables, and a stop that waits for the
 * whole process tree.
 */

/** A port for each listener: the configured one, or a free one on the listener's host when it says 0. */
export async function allocatePorts(config: LbConfig): Promise<Record<string, number>> {
  const held: (net.Server | dgram.Socket)[] = []
  const ports: Record<string, number> = {}
  try {
    for (const l of config.listeners) {
      const { host, port } = parseEndpoint(l.bind)!
      if (port !== 0) {
        ports[l.name] = port
        continue
      }
      // Every allocated port stays held until all are chosen, so two listeners never get the same one.
      if (l.protocol === 'udp') {
        const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4')
        await new Promise<void>((resolve, reject) => s.once('error', reject).bind(0, host, () => resolve()))
        held.push(s)
        ports[l.name] = s.address().port
      } else {
        const s = net.createServer()
        await new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, host, () => resolve()))
        held.push(s)
        ports[l.name] = (s.address() as AddressInfo).port
      }
    }
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((resolve) => (s instanceof net.Server ? s.close(() => resolve()) : s.close(() => resolve())))))
  }
  return ports
}

/** A free TCP port on `host`, for a peer's admin API (held only while it is chosen). */
export async function freePort(host: string): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, host, () => resolve()))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

/** Runs a configuration check (`haproxy -c`, `nginx -t`); rejects with the tool's own message. */
export function checkConfig(binary: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error === null) return resolve()
      reject(new Error(`${what} was rejected by ${binary} ${args.join(' ')}:\n${`${stdout}${stderr}`.trim()}`))
    })
  })
}

/** Ports in LISTEN state (tcp) or bound (udp) in this network namespace, from /proc/net. */
export function boundPorts(kind: 'tcp' | 'udp'): Set<number> {
  const ports = new Set<number>()
  for (const file of [`/proc/net/${kind}`, `/proc/net/${kind}6`]) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      const local = f[1]
      const state = f[3]
      if (local === undefined || state === undefined) continue
      // TCP state 0A is LISTEN; a bound UDP socket shows 07 (CLOSE).
      if (kind === 'tcp' && state !== '0A') continue
      ports.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16))
    }
  }
  return ports
}

/** A child process with the tail of its output kept for error messages. */
export interface PeerChild {
  readonly child: ChildProcess
  output(): string
}

/** Starts a peer in the foreground. */
export function spawnPeer(binary: string, args: string[]): PeerChild {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  registerChildProcess(child)
  let tail = ''
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-8000))
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  child.on('error', (e) => keep(Buffer.from(`\n${e.message}\n`)))
  return { child, output: () => tail.trim() }
}

/** Resolves once every port is bound; rejects if the process exits first or `timeoutMs` passes. */
export async function waitBound(p: PeerChild, ports: readonly { port: number; udp: boolean }[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`exited with ${p.child.exitCode ?? p.child.signalCode} while starting:\n${p.output()}`)
    const tcp = boundPorts('tcp')
    const udp = boundPorts('udp')
    if (ports.every(({ port, udp: isUdp }) => (isUdp ? udp : tcp).has(port))) return
    if (Date.now() > deadline) throw new Error(`did not bind ${ports.map((x) => x.port).join(', ')} within ${timeoutMs} ms:\n${p.output()}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** CPU time of a process and its children (nginx's worker does the proxying), µs; undefined once it is gone. */
export function treeCpuUs(pid: number): number | undefined {
  const own = processCpuUs(pid)
  if (own === undefined) return undefined
  // Workers replaced by a reload are gone from the tree; their CPU stays counted in the master's.
  return childPids(pid).reduce((sum, c) => sum + (processCpuUs(c) ?? 0), own + (reapedChildrenCpuUs(pid) ?? 0))
}

/** Children of a process (nginx workers), from the parent field of /proc/<pid>/stat. */
export function childPids(pid: number): number[] {
  const out: number[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return out
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(Number(e))
    } catch {
      // The process ended while the table was read.
    }
  }
  return out
}

/**
 * Ends a peer and its children: SIGTERM (both peers stop at once on it), SIGKILL after
 * `graceMs`, resolving when none of them is left.
 */
export async function stopTree(child: ChildProcess, graceMs = 3000): Promise<void> {
  const pid = child.pid
  if (pid === undefined) return
  const children = childPids(pid)
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => {
    child.kill('SIGKILL')
    for (const c of children) signal(c, 'SIGKILL')
  }, graceMs)
  await exited
  const deadline = Date.now() + graceMs + 2000
  while (children.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  clearTimeout(timer)
}

/** Alive and not a zombie (a reparented child may wait a while to be reaped). */
function isRunning(pid: number): boolean {
  if (!processAlive(pid)) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z'
  } catch {
    return false
  }
}

function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig)
  } catch {
    // Already gone.
  }
}
