/**
 * A root filesystem for the backend image assembled from this machine alone, for `docker import`
 * when no registry can provide a base image: the running Node binary, the shared libraries `ldd`
 * lists for it (the dynamic loader included), minimal /etc files, /tmp, and the app under /app.
 */
import { execFileSync } from 'node:child_process'
import { realpathSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import type { AppFile } from './backend-files.js'
import { withParentDirs, type TarEntry } from './tar-writer.js'

/** Where things live in the image. */
export const ROOTFS = {
  node: '/usr/local/bin/node',
  app: '/app',
  user: '1000:1000',
} as const

/**
 * The absolute paths of the shared objects in `ldd` output: `libc.so.6 => /lib/…/libc.so.6 (0x…)`
 * and the loader's own line `/lib64/ld-linux-x86-64.so.2 (0x…)`. The vDSO has no file and is skipped.
 */
export function parseLdd(output: string): string[] {
  const out: string[] = []
  for (const raw of output.split('\n')) {
    const line = raw.trim()
    const arrow = /=>\s*(\/\S+)/.exec(line)
    if (arrow !== null) out.push(arrow[1]!)
    else if (line.startsWith('/')) out.push(line.split(/\s+/)[0]!)
    else if (/=>\s*not found/.test(line)) throw new Error(`ldd: ${line}`)
  }
  return [...new Set(out)]
}

/** The shared libraries the binary at `path` loads, from `ldd`. */
export function sharedLibraries(path: string): string[] {
  let output: string
  try {
    output = execFileSync('ldd', [path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (e) {
    // A static binary makes ldd exit non-zero: then it needs no libraries.
    const stdout = String((e as { stdout?: unknown }).stdout ?? '')
    if (/not a dynamic executable|statically linked/.test(stdout + String((e as { stderr?: unknown }).stderr ?? ''))) return []
    throw new Error(`ldd ${path} failed: ${(e as Error).message}`)
  }
  return parseLdd(output)
}

const ETC: Record<string, string> = {
  'etc/passwd': 'root:x:0:0:root:/root:/usr/sbin/nologin\nnode:x:1000:1000:node:/app:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  'etc/group': 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n',
  'etc/nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\n',
  'etc/hosts': '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n',
}

/** What the offline image is made of, before it is streamed. */
export interface RootFs {
  readonly entries: TarEntry[]
  /** Folders of the shared libraries, for `LD_LIBRARY_PATH` (there is no ld.so.cache). */
  readonly libraryDirs: string[]
  readonly bytes: number
}

function diskFile(path: string, source: string, mode: number): TarEntry {
  const real = realpathSync(source)
  return { type: 'disk-file', path: path.replace(/^\//, ''), source: real, size: statSync(real).size, mode }
}

/** The root filesystem: the Node binary at `nodePath`, its libraries, /etc, /tmp and `app` under /app. */
export function assembleRootFs(app: readonly AppFile[], nodePath: string = process.execPath): RootFs {
  const entries: TarEntry[] = [
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'root', mode: 0o700 },
    diskFile(ROOTFS.node, nodePath, 0o755),
  ]
  const libs = sharedLibraries(nodePath)
  // Libraries are stored at the path the loader asks for, dereferenced: no symlink chains to get wrong.
  for (const lib of libs) entries.push(diskFile(lib, lib, 0o755))
  for (const [path, text] of Object.entries(ETC)) entries.push({ type: 'file', path, content: Buffer.from(text) })
  for (const f of app) {
    const path = `${ROOTFS.app.slice(1)}/${f.path}`
    entries.push({ type: 'file', path, mode: f.mode, content: f.content })
  }
  const bytes = entries.reduce((n, e) => n + (e.type === 'disk-file' ? e.size : e.type === 'file' ? e.content.length : 0), 0)
  return { entries: withParentDirs(entries), libraryDirs: [...new Set(libs.map((l) => dirname(l)))], bytes }
}

/** The Dockerfile instructions `docker import` applies to the root filesystem. */
export function importChanges(rootfs: RootFs, labels: Record<string, string>): string[] {
  return [
    `ENV NODE_ENV=production`,
    `ENV LD_LIBRARY_PATH=${rootfs.libraryDirs.join(':')}`,
    `WORKDIR ${ROOTFS.app}`,
    `USER ${ROOTFS.user}`,
    `ENTRYPOINT ${JSON.stringify([ROOTFS.node, `${ROOTFS.app}/dist/harness/backend/main.js`])}`,
    `CMD []`,
    ...Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
  ]
}
