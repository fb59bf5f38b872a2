import type { AddressInfo, Server } from 'node:net'
import { EngineError } from '../errors.js'

/**
 * Binds a TCP server (a listener, the admin API) and resolves with the address it got. A bind
 * failure rejects with `LB_ERR_BIND` naming `what` and the address asked for, so `serve` can
 * tell the user which listener could not start.
 */
export async function bindServer(server: Server, options: { host: string; port: number; backlog?: number }, what: string): Promise<{ host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new EngineError('LB_ERR_BIND', `${what}: ${e.code ?? e.message}`)))
    server.listen(options, () => resolve())
  })
  const a = server.address() as AddressInfo
  return { host: a.address, port: a.port }
}
