import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { PeerFile } from './peer-types.js'

/** Writes a generated configuration's files, private keys 0600. */
export function writePeerFiles(files: readonly PeerFile[]): void {
  for (const f of files) {
    mkdirSync(dirname(f.path), { recursive: true })
    writeFileSync(f.path, f.content, { mode: f.secret === true ? 0o600 : 0o644 })
    if (f.secret === true) chmodSync(f.path, 0o600)
  }
}
