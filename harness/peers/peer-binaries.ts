import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Peer } from './peer-types.js'

/** An installed peer: how to run it and what it is. */
export interface PeerInstall {
  readonly binary: string
  readonly version: string
  /** nginx: the dynamic stream module to load; undefined when built in or missing (see `streamMissing`). */
  readonly streamModule?: string
  /** nginx: no stream module at all, so tcp, udp and tls listeners cannot run. */
  readonly streamMissing?: boolean
}

/** Environment variables naming a peer binary, for installs outside PATH. */
export const BINARY_ENV: Readonly<Record<Peer, string>> = { haproxy: 'LAYERBENCH_HAPROXY', nginx: 'LAYERBENCH_NGINX' }

/** The version in `haproxy -v` output ("HAProxy version 2.6.12-1+deb12u4 2023/… - https://…" → "2.6.12-1+deb12u4"). */
export function parseHaproxyVersion(text: string): string | undefined {
  return /HA-?Proxy version (\S+)/i.exec(text)?.[1]
}

/** The version in `nginx -v` output ("nginx version: nginx/1.22.1" → "1.22.1"). */
export function parseNginxVersion(text: string): string | undefined {
  return /nginx version: [^/\s]+\/(\S+)/.exec(text)?.[1]
}

/**
 * Where `nginx -V` says the stream module is: 'static' (built in), a module file path, or
 * undefined when the build has none.
 */
export function parseNginxStream(configureOutput: string, exists: (path: string) => boolean = existsSync): string | undefined {
  if (/--with-stream(?=\s|$)/.test(configureOutput)) return 'static'
  const modules = /--modules-path=(\S+)/.exec(configureOutput)?.[1] ?? '/usr/lib/nginx/modules'
  const file = join(modules, 'ngx_stream_module.so')
  return exists(file) ? file : undefined
}

function run(binary: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 10_000 }, (error, stdout, stderr) => resolve({ ok: error === null, output: `${stdout}${stderr}` }))
  })
}

function candidates(peer: Peer): string[] {
  const configured = process.env[BINARY_ENV[peer]]
  return configured !== undefined && configured !== '' ? [configured] : [peer, `/usr/sbin/${peer}`, `/usr/local/sbin/${peer}`]
}

/** Finds and identifies an installed peer; rejects with the reason it cannot be used. */
export async function findPeer(peer: Peer): Promise<PeerInstall> {
  const tried: string[] = []
  for (const binary of candidates(peer)) {
    const r = await run(binary, ['-v'])
    const version = peer === 'haproxy' ? parseHaproxyVersion(r.output) : parseNginxVersion(r.output)
    if (version === undefined) {
      tried.push(`${binary}: ${r.output.trim().split('\n')[0] || 'not found'}`)
      continue
    }
    if (peer === 'haproxy') return { binary, version }
    const stream = parseNginxStream((await run(binary, ['-V'])).output)
    return { binary, version, ...(stream === undefined ? { streamMissing: true } : stream === 'static' ? {} : { streamModule: stream }) }
  }
  throw new Error(`${peer} is not installed (${tried.join('; ')}); set ${BINARY_ENV[peer]} to its path`)
}

/** Whether a peer can run here, and which version. */
export async function peerAvailable(peer: Peer): Promise<{ available: boolean; version?: string; reason?: string }> {
  try {
    const install = await findPeer(peer)
    return { available: true, version: install.version, ...(install.streamMissing === true ? { reason: 'nginx has no stream module: tcp, udp and tls listeners cannot run' } : {}) }
  } catch (e) {
    return { available: false, reason: (e as Error).message }
  }
}
