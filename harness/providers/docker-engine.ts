/**
 * Reaching the local Docker Engine: the client, a ping bounded in time, the labels that mark what
 * layerbench started, and a synchronous removal for the process's last moments.
 */
import { spawnSync } from 'node:child_process'
import Docker from 'dockerode'
import { currentOwner, type OwnerRef } from './run-state.js'

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock'

/** Labels on every container (and image) layerbench creates. */
export const LABELS = {
  marker: 'layerbench',
  run: 'layerbench.run',
  owner: 'layerbench.owner',
  ownerStart: 'layerbench.owner-start',
  ownerHost: 'layerbench.owner-host',
  backend: 'layerbench.backend',
  group: 'layerbench.group',
} as const

/** The socket a client built from `socketPath` talks to. */
export function socketOf(socketPath: string | undefined): string {
  if (socketPath !== undefined) return socketPath
  const env = process.env.DOCKER_HOST
  return env?.startsWith('unix://') ? env.slice('unix://'.length) : DEFAULT_DOCKER_SOCKET
}

/** A client of the Engine at `socketPath` (default: `DOCKER_HOST` when it is a unix socket, else /var/run/docker.sock). */
export function dockerClient(socketPath?: string): Docker {
  return new Docker({ socketPath: socketOf(socketPath) })
}

/** `undefined` when the Engine answers a ping within `timeoutMs`, else why not. */
export async function pingProblem(docker: Docker, timeoutMs = 1000): Promise<string | undefined> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      controller.abort()
      resolve(`no answer within ${timeoutMs} ms`)
    }, timeoutMs)
  })
  try {
    // dockerode's ping takes an abort signal; its type declarations do not say so.
    const ping = (docker.ping as (opts: { abortSignal: AbortSignal }) => Promise<unknown>).call(docker, { abortSignal: controller.signal }).then(
      () => undefined,
      (e: Error) => e.message,
    )
    return await Promise.race([ping, late])
  } finally {
    clearTimeout(timer)
  }
}

/** The owner labels of containers started by this process. */
export function ownerLabels(owner: OwnerRef = currentOwner()): Record<string, string> {
  return {
    [LABELS.owner]: String(owner.pid),
    [LABELS.ownerHost]: owner.hostname,
    ...(owner.startTime === undefined ? {} : { [LABELS.ownerStart]: String(owner.startTime) }),
  }
}

/** The owner named by a container's labels, if it has one. */
export function ownerFromLabels(labels: Record<string, string> | undefined): OwnerRef | undefined {
  const pid = Number(labels?.[LABELS.owner])
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  const start = Number(labels?.[LABELS.ownerStart])
  return { pid, hostname: labels?.[LABELS.ownerHost] ?? '', ...(Number.isFinite(start) && labels?.[LABELS.ownerStart] !== undefined ? { startTime: start } : {}) }
}

/**
 * Removes containers with nothing asynchronous available (the `exit` hook): a short-lived Node
 * process does the Engine API calls while this one waits for it.
 */
export function removeContainersSync(socketPath: string, ids: readonly string[], timeoutMs = 15_000): void {
  deleteSync(socketPath, ids.map((id) => `/containers/${id}?force=true`), timeoutMs)
}

/** `DELETE` of each of `paths` on the Engine at `socketPath`, synchronously (see `removeContainersSync`). */
export function deleteSync(socketPath: string, paths: readonly string[], timeoutMs = 15_000): void {
  if (paths.length === 0) return
  const script = `
    const http = require('node:http')
    const paths = JSON.parse(process.env.PATHS)
    let left = paths.length
    for (const path of paths) {
      const req = http.request({ socketPath: process.env.SOCK, method: 'DELETE', path }, (res) => {
        res.resume()
        res.on('end', () => { if (--left === 0) process.exit(0) })
      })
      req.on('error', () => { if (--left === 0) process.exit(0) })
      req.end()
    }`
  spawnSync(process.execPath, ['-e', script], { env: { SOCK: socketPath, PATHS: JSON.stringify(paths) }, timeout: timeoutMs, stdio: 'ignore' })
}

/** Splits a multiplexed (non-TTY) container log into text: each frame is an 8-byte header and its payload. */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = []
  let pos = 0
  while (pos + 8 <= buf.length) {
    const size = buf.readUInt32BE(pos + 4)
    parts.push(buf.subarray(pos + 8, pos + 8 + size))
    pos += 8 + size
  }
  // Not multiplexed after all (a TTY container): the buffer is the text.
  return parts.length === 0 || pos !== buf.length ? buf.toString('utf8') : Buffer.concat(parts).toString('utf8')
}
