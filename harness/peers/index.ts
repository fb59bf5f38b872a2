/**
 * HAProxy and nginx as balancers under test, configured from the engine's `LbConfig`, so a run
 * compares the reference engine with what production runs.
 */
export { peerAvailable } from './peer-binaries.js'
export { peerSupport, type PeerSupport } from './peer-support.js'
export { startPeer } from './start-peer.js'
export { haproxyConfig } from './haproxy-config.js'
export { nginxConfig, type NginxBuild } from './nginx-config.js'
export type { Peer, PeerConfigInput, PeerConfigOutput, PeerFile } from './peer-types.js'
