/**
 * Gives every backend its own loopback address. The whole of 127.0.0.0/8 routes to `lo`, so any
 * 127.a.b.c can be bound without configuring an interface. Concurrent runs stay apart three ways:
 * each allocator starts in its own random 127.a.0.0/16 (a in 100–250), each address is claimed by
 * an exclusively created file naming its owner, and the ports are probed free before use.
 */
import dgram from 'node:dgram'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { currentOwner, ownerAlive, stateDir, type OwnerRef } from './run-state.js'

/** The folder of address claims: one file per address, named by it. */
function claimsDir(): string {
  return join(stateDir(), 'addresses')
}

/** The `n`-th address of block `a`: 127.a.b.c with c in 1–254. */
export function addressAt(a: number, n: number): string {
  return `127.${a}.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`
}

function tryClaim(host: string, owner: OwnerRef): boolean {
  const path = join(claimsDir(), host)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(owner), { flag: 'wx' })
      return true
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    let holder: OwnerRef | undefined
    try {
      holder = JSON.parse(readFileSync(path, 'utf8')) as OwnerRef
    } catch {
      return false // being written by its owner right now
    }
    if (ownerAlive(holder)) return false
    rmSync(path, { force: true })
  }
  return false
}

/** Removes claims whose owner is dead; returns how many. */
export function releaseStaleClaims(): number {
  let names: string[]
  try {
    names = readdirSync(claimsDir())
  } catch {
    return 0
  }
  let released = 0
  for (const name of names) {
    const path = join(claimsDir(), name)
    try {
      if (!ownerAlive(JSON.parse(readFileSync(path, 'utf8')) as OwnerRef)) {
        rmSync(path, { force: true })
        released++
      }
    } catch {
      // Unreadable: being written, or already gone.
    }
  }
  return released
}

function tcpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4')
    socket.once('error', () => {
      socket.close()
      resolve(false)
    })
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(true)))
  })
}

/** True when every port can be bound on `host` right now. */
export async function portsFree(host: string, ports: { tcp: readonly number[]; udp: readonly number[] }): Promise<boolean> {
  for (const p of ports.tcp) if (!(await tcpFree(host, p))) return false
  for (const p of ports.udp) if (!(await udpFree(host, p))) return false
  return true
}

/** Hands out claimed loopback addresses whose ports are free. */
export class LoopbackAllocator {
  private block: number
  private next = 0
  private readonly owner = currentOwner()
  private readonly claimed = new Set<string>()

  constructor(private readonly random: () => number = Math.random) {
    this.block = this.randomBlock()
  }

  private randomBlock(): number {
    return 100 + Math.floor(this.random() * 151)
  }

  /** A claimed address on which `ports` are free; throws after many occupied candidates. */
  async allocate(ports: { tcp: readonly number[]; udp: readonly number[] }): Promise<string> {
    mkdirSync(claimsDir(), { recursive: true })
    for (let attempt = 0; attempt < 64; attempt++) {
      if (this.next >= 254 * 256) {
        this.block = this.randomBlock()
        this.next = 0
      }
      const host = addressAt(this.block, this.next++)
      if (!tryClaim(host, this.owner)) continue
      if (await portsFree(host, ports)) {
        this.claimed.add(host)
        return host
      }
      rmSync(join(claimsDir(), host), { force: true })
      // Something else uses this block: move to another one.
      this.block = this.randomBlock()
      this.next = 0
    }
    throw new Error(`no free loopback address found for ports tcp ${ports.tcp.join(',')} udp ${ports.udp.join(',')} (is something bound to 0.0.0.0 on them?)`)
  }

  /** Gives up the claim on `host`. */
  release(host: string): void {
    if (this.claimed.delete(host)) rmSync(join(claimsDir(), host), { force: true })
  }

  /** Gives up every claim. */
  releaseAll(): void {
    for (const host of [...this.claimed]) this.release(host)
  }
}
