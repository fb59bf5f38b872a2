import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const connections = new WeakMap<net.Server, Set<net.Socket>>()

/** Starts listening on 127.0.0.1 (an ephemeral port unless `port` is given) and returns the port. */
export function listen(server: net.Server, port = 0): Promise<number> {
  if (!connections.has(server)) {
    const open = new Set<net.Socket>()
    connections.set(server, open)
    server.on('connection', (socket: net.Socket) => {
      open.add(socket)
      socket.on('close', () => open.delete(socket))
    })
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as net.AddressInfo).port)
    })
  })
}

/** Closes a server and every connection it still holds. */
export function close(server: net.Server): Promise<void> {
  for (const socket of connections.get(server) ?? []) socket.destroy()
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
  })
}

/** A port on 127.0.0.1 where nothing listens (it was bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  const port = await listen(server)
  await close(server)
  return port
}

/** A TCP server that accepts connections and never says a word; tracks the connections it holds. */
export function silentServer(): { server: net.Server; sockets: Set<net.Socket> } {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    // Reading (and discarding) is what lets the server notice the peer hanging up.
    socket.resume()
    socket.on('close', () => sockets.delete(socket))
  })
  return { server, sockets }
}

/** Polls `check` until it holds or the generous deadline passes; returns whether it held. */
export async function eventually(check: () => boolean, deadlineMs = 5000): Promise<boolean> {
  const until = Date.now() + deadlineMs
  while (!check()) {
    if (Date.now() > until) return false
    await new Promise((r) => setTimeout(r, 10))
  }
  return true
}

/** A throwaway self-signed P-256 certificate for CN=localhost, made by the openssl binary; undefined without one. */
export function selfSignedCertificate(): { key: string; cert: string } | undefined {
  if (spawnSync('openssl', ['version']).status !== 0) return undefined
  const dir = mkdtempSync(join(tmpdir(), 'layerbench-health-'))
  try {
    const keyPath = join(dir, 'key.pem')
    const certPath = join(dir, 'cert.pem')
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', keyPath, '-out', certPath]
    if (spawnSync('openssl', args, { stdio: 'ignore' }).status !== 0) return undefined
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
