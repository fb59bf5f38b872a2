import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The project root: the nearest folder above this file whose package.json names layerbench. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'layerbench') return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error('layerbench package.json not found above ' + fileURLToPath(import.meta.url))
    dir = parent
  }
}

/** layerbench's own version, from package.json. */
export function layerbenchVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version
}

/** The git revision of the checkout (with `-dirty` when there are uncommitted changes), if any. */
export function gitRevision(cwd = projectRoot()): string | undefined {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
    return dirty === '' ? rev : `${rev}-dirty`
  } catch {
    return undefined
  }
}

/** Facts about the machine a measurement was taken on. */
export interface MachineFacts {
  readonly node: string
  readonly platform: string
  readonly arch: string
  readonly cpuModel: string
  readonly cpus: number
  readonly memoryGiB: number
  readonly layerbench: string
  readonly git?: string
}

/** Reads the machine facts recorded with every result. */
export function machineFacts(): MachineFacts {
  const cpus = os.cpus()
  const git = gitRevision()
  return {
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    layerbench: layerbenchVersion(),
    ...(git === undefined ? {} : { git }),
  }
}
