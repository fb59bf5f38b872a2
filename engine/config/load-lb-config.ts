import { dirname, isAbsolute, resolve } from 'node:path'
import { lbConfigSchema, type LbConfig } from './lb-config.js'
import { loadDocument, validateDocument } from './load-document.js'
import type { FilterConfig } from '../l7/filters/filter-config.js'
import { resolveFilterPaths } from '../l7/filters/filter-paths.js'

/** Reads and validates `lb.yaml`; relative paths (certificates, CA files, filters' files) resolve against the file's folder. */
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
    listeners: config.listeners.map((l) => {
      const filters = (list: readonly FilterConfig[] | undefined) => (list === undefined ? {} : { filters: list.map((c) => resolveFilterPaths(c, at)) })
      return {
        ...l,
        ...(l.tls === undefined ? {} : { tls: { certificates: l.tls.certificates.map((c) => ('certFile' in c ? { certFile: at(c.certFile), keyFile: at(c.keyFile) } : c)) } }),
        ...filters(l.filters),
        ...(l.routes === undefined ? {} : { routes: l.routes.map((r) => ({ ...r, ...filters(r.filters) })) }),
      }
    }),
    pools: Object.fromEntries(
      Object.entries(config.pools).map(([name, p]) => [name, p.tls?.caFile === undefined ? p : { ...p, tls: { ...p.tls, caFile: at(p.tls.caFile) } }]),
    ),
  }
}
