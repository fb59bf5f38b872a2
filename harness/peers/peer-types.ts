import type { CertificateAndKey } from '../../engine/tls/self-signed.js'
import type { LbConfig } from '../../engine/config/lb-config.js'

/** What a peer's configuration is generated from. Everything here is resolved: no I/O is left to do. */
export interface PeerConfigInput {
  readonly config: LbConfig
  /** The port each listener binds, by listener name (peers cannot report ephemeral ports, so the caller picks them). */
  readonly ports: Readonly<Record<string, number>>
  /** The run directory: the configuration, certificates, sockets, pid and temp files live here. */
  readonly dir: string
  /** Certificates of each https listener by listener name, PEM, in configuration order. */
  readonly certificates?: Readonly<Record<string, readonly CertificateAndKey[]>>
  /** A loopback port for the peer's admin API, when its driver asks for one. */
  readonly adminPort?: number
}

/** A file to write before the peer starts. */
export interface PeerFile {
  readonly path: string
  readonly content: string
  /** Private keys are written 0600. */
  readonly secret?: boolean
}

/** A generated configuration: the main file and everything it refers to. */
export interface PeerConfigOutput {
  /** Path of the main configuration file (also among `files`). */
  readonly configPath: string
  readonly text: string
  readonly files: readonly PeerFile[]
}
