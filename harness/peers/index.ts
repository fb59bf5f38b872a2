/**
 * Production balancers as balancers under test, configured from the engine's `LbConfig`, so a run
 * compares the reference engine with what production runs. Each peer is a folder with its driver;
 * `registry.ts` lists them.
 */
export { BALANCER_IMPLEMENTATIONS, isPeerName, PEER_NAMES, peerAvailable, peerDriver, peerDrivers, peerSupport, type PeerName } from './registry.js'
export type { PeerSupport } from './peer-support.js'
export { startPeer, type RunningPeer } from './start-peer.js'
export type { PeerCapabilities, PeerDriver, PeerInstall, PeerRuntime, TimelineAction } from './peer-driver.js'
export type { PeerConfigInput, PeerConfigOutput, PeerFile } from './peer-types.js'
