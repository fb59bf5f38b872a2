import type { LbConfig } from '../../engine/config/lb-config.js'
import { caddyDriver } from './caddy/driver.js'
import { haproxyDriver } from './haproxy/driver.js'
import { nginxDriver } from './nginx/driver.js'
import { driverAvailable } from './peer-binaries.js'
import type { PeerDriver } from './peer-driver.js'
import type { PeerName } from './peer-names.js'
import { driverSupport, type PeerSupport } from './peer-support.js'

export { BALANCER_IMPLEMENTATIONS, isPeerName, PEER_NAMES, type PeerName } from './peer-names.js'

/**
 * Every peer the testbed drives, by the name scenarios give it. Adding a peer is a folder with its
 * driver, its name in `peer-names.ts` and one line here (the compiler insists on both): scenario
 * and result schemas, capability checks and report labels read them.
 */
export const peerDrivers: Readonly<Record<PeerName, PeerDriver>> = {
  haproxy: haproxyDriver,
  nginx: nginxDriver,
  caddy: caddyDriver,
}

/** The driver of a peer. */
export function peerDriver(name: PeerName): PeerDriver {
  return peerDrivers[name]
}

/** Checks a configuration against what `peer` can run. Pure. */
export function peerSupport(peer: PeerName, config: LbConfig): PeerSupport {
  return driverSupport(peerDrivers[peer], config)
}

/** Whether a peer can run here, and which version. */
export function peerAvailable(peer: PeerName): Promise<{ available: boolean; version?: string; reason?: string }> {
  return driverAvailable(peerDrivers[peer])
}
