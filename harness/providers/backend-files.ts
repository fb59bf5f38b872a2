/**
 * The files the backend app needs at run time, and nothing else: the compiled modules reachable
 * from its entry point, the packages they import (with their own dependencies), the `.proto`
 * files its gRPC service loads at run time, and a minimal package.json. Both image builds copy exactly these files, and the image tag hashes them.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { layerbenchVersion, projectRoot } from '../system/environment.js'
import { BACKEND_PROTO_DIR, BACKEND_PROTO_FILES } from '../backend/proto-files.js'
import { BACKEND_MAIN } from './process-provider.js'

/**
 * A file of the app, `path` relative to the app root (`/app` in the image). The content is read
 * once, so the image holds exactly what its tag hashes even while dist/ is being rebuilt.
 */
export interface AppFile {
  readonly path: string
  readonly mode: number
  readonly content: Buffer
}

const IMPORT_PATTERNS = [
  /\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
]

/** The module specifiers a compiled ES module imports statically. */
export function importSpecifiers(source: string): string[] {
  const out = new Set<string>()
  for (const pattern of IMPORT_PATTERNS) for (const m of source.matchAll(pattern)) out.add(m[1]!)
  return [...out]
}

/** The package a bare specifier names: `zod/v4` → `zod`, `@scope/pkg/x` → `@scope/pkg`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
}

/** Files of a package that Node never loads. */
const SKIPPED = /(\.d\.[cm]?ts|\.[cm]?ts|\.map|\.md|\.markdown)$/i

function findPackageDir(name: string, fromDir: string, root: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dir === root || dirname(dir) === dir) throw new Error(`package ${name} (needed by the backend app) is not installed: run npm ci`)
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...listFiles(full))
    } else if (entry.isFile() && !SKIPPED.test(entry.name)) out.push(full)
  }
  return out
}

/** Every file the backend app needs, sorted by path. */
export function backendAppFiles(root: string = projectRoot()): AppFile[] {
  const files = new Map<string, AppFile>()
  const add = (source: string) => {
    const path = relative(root, source).split(sep).join('/')
    if (!files.has(path)) files.set(path, { path, mode: statSync(source).mode & 0o111 ? 0o755 : 0o644, content: readFileSync(source) })
  }
  const packages = new Set<string>()
  const addPackage = (name: string, fromDir: string) => {
    const dir = findPackageDir(name, fromDir, root)
    if (packages.has(dir)) return
    packages.add(dir)
    for (const f of listFiles(dir)) add(f)
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }
    for (const dep of Object.keys(manifest.dependencies ?? {})) addPackage(dep, dir)
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) {
      try {
        addPackage(dep, dir)
      } catch {
        // Optional and not installed here: the package copes without it.
      }
    }
  }

  const entry = join(root, BACKEND_MAIN)
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build the project first (npm run build)`)
  const queue = [entry]
  const seen = new Set<string>()
  while (queue.length > 0) {
    const file = queue.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    add(file)
    const path = relative(root, file).split(sep).join('/')
    for (const spec of importSpecifiers(files.get(path)!.content.toString('utf8'))) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec)
        if (!existsSync(target)) throw new Error(`${relative(root, file)} imports ${spec}, which is missing: rebuild the project`)
        queue.push(target)
      } else if (!spec.startsWith('node:') && !isBuiltin(spec)) addPackage(packageName(spec), dirname(file))
    }
  }
  // Read at run time rather than imported, so no import names them.
  for (const f of BACKEND_PROTO_FILES) add(join(root, BACKEND_PROTO_DIR, f))
  const manifest = { name: 'layerbench', version: layerbenchVersion(), private: true, type: 'module' }
  files.set('package.json', { path: 'package.json', mode: 0o644, content: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) })
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** A short content hash of `files` (paths, modes and bytes) and of `extra` inputs such as the Dockerfile. */
export function contentHash(files: readonly AppFile[], extra: readonly string[] = []): string {
  const h = createHash('sha256')
  for (const f of files) {
    h.update(`${f.path}\0${f.mode.toString(8)}\0`)
    h.update(`${f.content.length}\0`)
    h.update(f.content)
  }
  for (const e of extra) h.update(`\0${e}`)
  return h.digest('hex').slice(0, 12)
}
