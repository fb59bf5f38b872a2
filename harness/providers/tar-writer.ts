/**
 * A streaming POSIX tar (ustar, with PAX headers for long paths) writer: enough for a Docker build
 * context or a root filesystem for `docker import`. Entries are written in the order given with a
 * fixed modification time, so the same files always give the same bytes.
 */
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'

/** One entry of the archive; paths are relative, `/`-separated, without a leading slash. */
export type TarEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string }
  | { readonly type: 'file'; readonly path: string; readonly mode?: number; readonly content: Buffer }
  /** A file streamed from disk; `size` must be its size (it is read up to that many bytes). */
  | { readonly type: 'disk-file'; readonly path: string; readonly mode?: number; readonly source: string; readonly size: number }

const BLOCK = 512
const MTIME = 1_577_836_800 // 2020-01-01: a fixed time keeps archives reproducible

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0'
}

/** Splits a path into ustar's prefix (≤ 155 bytes) and name (≤ 100 bytes), if possible. */
export function splitUstarPath(path: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path }
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i)
    const name = path.slice(i + 1)
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return { prefix, name }
  }
  return undefined
}

/** A PAX extended-header record: `<length> <key>=<value>\n`, where the length counts itself. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`
  const bodyLen = Buffer.byteLength(body)
  let len = bodyLen
  for (;;) {
    const total = bodyLen + String(len).length
    if (total === len) return `${len}${body}`
    len = total
  }
}

interface HeaderFields {
  name: string
  prefix: string
  mode: number
  size: number
  type: '0' | '2' | '5' | 'x'
  linkname: string
}

function header(h: HeaderFields): Buffer {
  const b = Buffer.alloc(BLOCK)
  b.write(h.name, 0, 100, 'utf8')
  b.write(octal(h.mode, 8), 100, 'ascii')
  b.write(octal(0, 8), 108, 'ascii') // uid
  b.write(octal(0, 8), 116, 'ascii') // gid
  b.write(octal(h.size, 12), 124, 'ascii')
  b.write(octal(MTIME, 12), 136, 'ascii')
  b.write('        ', 148, 'ascii') // checksum is computed over spaces here
  b.write(h.type, 156, 'ascii')
  b.write(h.linkname, 157, 100, 'utf8')
  b.write('ustar\0', 257, 'ascii')
  b.write('00', 263, 'ascii')
  b.write('root', 265, 'ascii')
  b.write('root', 297, 'ascii')
  b.write(h.prefix, 345, 155, 'utf8')
  let sum = 0
  for (const byte of b) sum += byte
  b.write(octal(sum, 7) + ' ', 148, 'ascii')
  return b
}

function padding(size: number): Buffer {
  const rest = size % BLOCK
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest)
}

/** The header block(s) of an entry: a PAX header first when the path or link target is too long. */
export function entryHeaders(path: string, fields: Omit<HeaderFields, 'name' | 'prefix'>): Buffer[] {
  const split = splitUstarPath(path)
  const linkTooLong = Buffer.byteLength(fields.linkname) > 100
  if (split !== undefined && !linkTooLong) return [header({ ...fields, ...split })]
  const pax = Buffer.from((split === undefined ? paxRecord('path', path) : '') + (linkTooLong ? paxRecord('linkpath', fields.linkname) : ''))
  const short = (split ?? { prefix: '', name: path.slice(-100) }) as { prefix: string; name: string }
  return [
    header({ name: `PaxHeader/${short.name}`.slice(0, 100), prefix: '', mode: 0o644, size: pax.length, type: 'x', linkname: '' }),
    pax,
    padding(pax.length),
    header({ ...fields, ...short, linkname: fields.linkname.slice(0, 100) }),
  ]
}

async function* blocks(entries: Iterable<TarEntry>): AsyncGenerator<Buffer> {
  for (const e of entries) {
    const path = e.type === 'dir' && !e.path.endsWith('/') ? `${e.path}/` : e.path
    switch (e.type) {
      case 'dir':
        yield* entryHeaders(path, { mode: e.mode ?? 0o755, size: 0, type: '5', linkname: '' })
        break
      case 'symlink':
        yield* entryHeaders(path, { mode: 0o777, size: 0, type: '2', linkname: e.target })
        break
      case 'file':
        yield* entryHeaders(path, { mode: e.mode ?? 0o644, size: e.content.length, type: '0', linkname: '' })
        yield e.content
        yield padding(e.content.length)
        break
      case 'disk-file': {
        yield* entryHeaders(path, { mode: e.mode ?? 0o644, size: e.size, type: '0', linkname: '' })
        let read = 0
        if (e.size > 0) {
          for await (const chunk of createReadStream(e.source, { start: 0, end: e.size - 1 })) {
            read += (chunk as Buffer).length
            yield chunk as Buffer
          }
        }
        if (read !== e.size) throw new Error(`${e.source} changed size while being archived (${read} of ${e.size} bytes)`)
        yield padding(e.size)
        break
      }
    }
  }
  yield Buffer.alloc(BLOCK * 2)
}

/** The archive of `entries` as a stream. */
export function tarStream(entries: Iterable<TarEntry>): Readable {
  return Readable.from(blocks(entries), { objectMode: false })
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
