/**
 * Tar archives for a Docker build context or a root filesystem for `docker import`, written by
 * tar-stream (ustar, with PAX headers for paths and link targets too long for it). Entries go in
 * the order given with a fixed owner and modification time, so the same files give the same bytes.
 */
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import tar from 'tar-stream'

/** One entry of the archive; paths are relative, `/`-separated, without a leading slash. */
export type TarEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string }
  | { readonly type: 'file'; readonly path: string; readonly mode?: number; readonly content: Buffer }
  /** A file streamed from disk; `size` must be its size (it is read up to that many bytes). */
  | { readonly type: 'disk-file'; readonly path: string; readonly mode?: number; readonly source: string; readonly size: number }

// 2020-01-01: a fixed time keeps archives reproducible.
const MTIME = new Date(1_577_836_800_000)
const OWNER = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: MTIME } as const

function add(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, content?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ ...OWNER, ...header }, content ?? Buffer.alloc(0), (e) => (e ? reject(e) : resolve()))
  })
}

async function write(pack: tar.Pack, entries: Iterable<TarEntry>): Promise<void> {
  for (const e of entries) {
    switch (e.type) {
      case 'dir':
        await add(pack, { name: e.path.endsWith('/') ? e.path : `${e.path}/`, type: 'directory', mode: e.mode ?? 0o755 })
        break
      case 'symlink':
        await add(pack, { name: e.path, type: 'symlink', linkname: e.target, mode: 0o777 })
        break
      case 'file':
        await add(pack, { name: e.path, type: 'file', mode: e.mode ?? 0o644, size: e.content.length }, e.content)
        break
      case 'disk-file': {
        if (e.size === 0) {
          await add(pack, { name: e.path, type: 'file', mode: e.mode ?? 0o644, size: 0 })
          break
        }
        let read = 0
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry({ ...OWNER, name: e.path, type: 'file', mode: e.mode ?? 0o644, size: e.size }, (err) => (err ? reject(err) : resolve()))
          const source = createReadStream(e.source, { start: 0, end: e.size - 1 })
          source.on('error', reject)
          sink.on('error', reject)
          source.on('data', (chunk) => {
            read += chunk.length
            if (!sink.write(chunk as Buffer)) source.pause()
          })
          sink.on('drain', () => source.resume())
          source.on('end', () => {
            // A file that shrank since it was measured: the header already promised more bytes.
            if (read !== e.size) reject(new Error(`${e.source} changed size while being archived (${read} of ${e.size} bytes)`))
            else sink.end(undefined)
          })
        })
        break
      }
    }
  }
  pack.finalize()
}

/** The archive of `entries` as a Node stream; a file that cannot be read fails it. */
export function tarStream(entries: Iterable<TarEntry>): Readable {
  const pack = tar.pack()
  write(pack, entries).catch((e: Error) => pack.destroy(e))
  // tar-stream's streams are streamx ones; Docker's client and node:stream want Node's.
  return Readable.from(pack)
}

/** Adds a `dir` entry before the first entry under each folder that has none, so every parent exists. */
export function withParentDirs(entries: readonly TarEntry[]): TarEntry[] {
  const dirs = new Set(entries.filter((e) => e.type === 'dir').map((e) => e.path.replace(/\/$/, '')))
  const out: TarEntry[] = []
  for (const e of entries) {
    const parts = e.path.replace(/\/$/, '').split('/')
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      if (!dirs.has(dir)) {
        dirs.add(dir)
        out.push({ type: 'dir', path: dir })
      }
    }
    out.push(e)
  }
  return out
}
