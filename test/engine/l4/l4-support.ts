import { createHash } from 'node:crypto'
import { once } from 'node:events'
import net from 'node:net'
import type { Engine } from '../../../engine/runtime/engine.js'
import type { BackendStats, EngineStats, ListenerStats, PoolStats } from '../../../engine/stats/engine-stats.js'
import { admin, listenerAddress } from '../../helpers/engine.js'

/** Opens a TCP connection to a listener of the engine (always 127.0.0.1). */
export async function connectTo(engine: Engine, listener: string, options: { allowHalfOpen?: boolean } = {}): Promise<net.Socket> {
  const { port } = listenerAddress(engine, listener)
  return connectPort(port, options)
}

/** Opens a TCP connection to 127.0.0.1:port. */
export async function connectPort(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: options.allowHalfOpen ?? false, noDelay: true })
  socket.on('error', () => {})
  await once(socket, 'connect')
  return socket
}

/** What a socket received until it closed, and whether the peer ended it with a FIN (not a reset). */
export interface Received {
  readonly data: Buffer
  readonly ended: boolean
}

/** Everything `socket` receives from now until it closes. */
export function received(socket: net.Socket): Promise<Received> {
  const chunks: Buffer[] = []
  let ended = false
  socket.on('data', (c: Buffer) => chunks.push(c))
  socket.once('end', () => (ended = true))
  return new Promise((resolve) => socket.once('close', () => resolve({ data: Buffer.concat(chunks), ended })))
}

/** Resolves when `socket` is closed (at once if it already is). */
export function closed(socket: net.Socket): Promise<void> {
  if (socket.destroyed && socket.closed) return Promise.resolve()
  return new Promise((resolve) => socket.once('close', () => resolve()))
}

/** Sends `data` in 64 KiB writes, waiting for 'drain' whenever the socket asks; counts those waits. */
export async function sendAll(socket: net.Socket, data: Buffer, chunkBytes = 65_536): Promise<{ drainWaits: number }> {
  let drainWaits = 0
  for (let at = 0; at < data.length; at += chunkBytes) {
    if (!socket.write(data.subarray(at, at + chunkBytes))) {
      drainWaits++
      await once(socket, 'drain')
    }
  }
  return { drainWaits }
}

/**
 * Reads `socket` to its end slowly: after every `burstBytes` it stops reading for `pauseMs`, so
 * whoever writes to it meets backpressure. Resolves with the SHA-256 and byte count of the stream.
 */
export function slowRead(socket: net.Socket, burstBytes = 512 * 1024, pauseMs = 15): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256')
  let bytes = 0
  let sinceBreak = 0
  socket.on('data', (c: Buffer) => {
    hash.update(c)
    bytes += c.length
    sinceBreak += c.length
    if (sinceBreak >= burstBytes) {
      sinceBreak = 0
      socket.pause()
      setTimeout(() => socket.resume(), pauseMs)
    }
  })
  socket.resume()
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve({ sha256: hash.digest('hex'), bytes }))
    socket.once('close', () => reject(new Error(`closed before its end after ${bytes} bytes`)))
  })
}

/**
 * Writes the same 64 KiB chunk again and again until the socket stops draining for `quietMs` (the
 * peer and everything between stopped accepting) or `limitBytes` were accepted. Returns the bytes
 * the socket accepted (written minus what is still queued in it) and whether it stalled.
 */
export async function pushUntilStalled(socket: net.Socket, limitBytes: number, quietMs = 750): Promise<{ stalled: boolean; acceptedBytes: number; writtenBytes: number }> {
  const chunk = Buffer.alloc(65_536, 0x5a)
  let written = 0
  while (written < limitBytes) {
    written += chunk.length
    if (socket.write(chunk)) continue
    const drained = await Promise.race([once(socket, 'drain').then(() => true), new Promise<false>((r) => setTimeout(() => r(false), quietMs))])
    if (!drained) return { stalled: true, acceptedBytes: written - socket.writableLength, writtenBytes: written }
  }
  return { stalled: false, acceptedBytes: written - socket.writableLength, writtenBytes: written }
}

/** SHA-256 hex of a buffer. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** The engine's `/stats` document, fetched from its admin listener. */
export async function engineStats(engine: Engine): Promise<EngineStats> {
  const r = await admin<EngineStats>(engine, '/stats')
  if (r.status !== 200) throw new Error(`/stats answered ${r.status}`)
  return r.body
}

/** One listener of `/stats`. */
export async function listenerStats(engine: Engine, name: string): Promise<ListenerStats> {
  const l = (await engineStats(engine)).listeners.find((x) => x.name === name)
  if (l === undefined) throw new Error(`no listener ${name} in /stats`)
  return l
}

/** One pool of `/stats`. */
export async function poolStats(engine: Engine, name: string): Promise<PoolStats> {
  const p = (await engineStats(engine)).pools.find((x) => x.name === name)
  if (p === undefined) throw new Error(`no pool ${name} in /stats`)
  return p
}

/** One backend of a pool in `/stats`. */
export async function backendStats(engine: Engine, pool: string, id: string): Promise<BackendStats> {
  const b = (await poolStats(engine, pool)).backends.find((x) => x.id === id)
  if (b === undefined) throw new Error(`no backend ${id} in pool ${pool}`)
  return b
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
