import { dirname, isAbsolute, resolve } from 'node:path'
import { lbConfigSchema, type LbConfig } from './lb-config.js'
import { loadDocument, validateDocument } from './load-document.js'

/** Reads and validates `lb.yaml`; relative certificate paths resolve against the file's folder. */
export function loadLbConfig(file: string): LbConfig {
  return resolvePaths(loadDocument(lbConfigSchema, file), dirname(resolve(file)))
}

/** Validates an in-memory configuration (scenarios embed one); paths resolve against `baseDir`. */
export function parseLbConfig(value: unknown, source: string, baseDir = process.cwd()): LbConfig {
  return resolvePaths(validateDocument(lbConfigSchema, value, source), baseDir)
}

function resolvePaths(config: LbConfig, baseDir: string): LbConfig {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p))
  return {
    ...config,
    listeners: config.listeners.map((l) =>
      l.tls === undefined
        ? l
        : { ...l, tls: { certificates: l.tls.certificates.map((c) => ('certFile' in c ? { certFile: at(c.certFile), keyFile: at(c.keyFile) } : c)) } },
    ),
    pools: Object.fromEntries(
      Object.entries(config.pools).map(([name, p]) => [name, p.tls?.caFile === undefined ? p : { ...p, tls: { ...p.tls, caFile: at(p.tls.caFile) } }]),
    ),
  }
}
