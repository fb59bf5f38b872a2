import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { backendConfigFor, parseReadyLine, portsFor, specIssues } from '../../../harness/providers/backend-launch.js'
import { importSpecifiers, packageName } from '../../../harness/providers/backend-files.js'
import { demuxLogs, ownerFromLabels, ownerLabels } from '../../../harness/providers/docker-engine.js'
import { addressAt } from '../../../harness/providers/loopback-addresses.js'
import { parseLdd } from '../../../harness/providers/offline-rootfs.js'
import { OutputTail } from '../../../harness/providers/output-tail.js'
import { currentOwner, ownerAlive } from '../../../harness/providers/run-state.js'
import { tarStream, withParentDirs, type TarEntry } from '../../../harness/providers/tar-writer.js'
import type { BackendSpec } from '../../../harness/providers/types.js'

const spec = (over: Partial<BackendSpec>): BackendSpec => ({ id: 'b', group: 'g', protocols: ['http'], ...over })

describe('ports and app configuration', () => {
  it.each([
    [['http'], { http: 8080, control: 9900 }],
    [['https'], { https: 8443, control: 9900 }],
    [['tcp', 'udp'], { tcp: 5432, udp: 5353, control: 9900 }],
    [['http', 'tcp', 'udp'], { http: 8080, tcp: 5432, udp: 5353, control: 9900 }],
    [['http', 'grpc'], { http: 8080, grpc: 50051, control: 9900 }],
  ] as const)('%j listens on %j', (protocols, ports) => {
    expect(portsFor(spec({ protocols }))).toEqual(ports)
  })

  it('puts TLS on the one HTTP listener for https', () => {
    const tls = { cert: '-----BEGIN CERTIFICATE-----', key: '-----BEGIN PRIVATE KEY-----' }
    expect(backendConfigFor(spec({ protocols: ['https', 'udp'], tls, seed: 3, proxyProtocol: 'v2' }), '127.1.2.3')).toEqual({
      id: 'b',
      host: '127.1.2.3',
      http: { port: 8443, tls },
      udp: { port: 5353 },
      control: { port: 9900 },
      proxyProtocol: 'v2',
      behaviour: {},
      seed: 3,
    })
  })

  it('gives gRPC its own listener and passes the maximum connection age on', () => {
    expect(backendConfigFor(spec({ protocols: ['grpc'], connectionAge: { maxMs: 2500.4, graceMs: 500 } }), '127.1.2.4')).toEqual({
      id: 'b',
      host: '127.1.2.4',
      grpc: { port: 50051 },
      control: { port: 9900 },
      proxyProtocol: 'none',
      connectionAge: { maxMs: 2500, graceMs: 500 },
      behaviour: {},
    })
  })

  it('reports every problem of a batch with its path', () => {
    const issues = specIssues([
      spec({ id: 'has space' }),
      spec({ id: 'dup' }),
      spec({ id: 'dup', protocols: ['http', 'https'] }),
      spec({ id: 'c', protocols: [] }),
      spec({ id: 'd', behaviour: { errorRate: 2 }, seed: 0.5 }),
      spec({ id: 'e', limits: { cpus: 0, cpuset: 'x', memoryMb: 1 } }),
    ])
    expect(issues.map((i) => i.path)).toEqual([
      '[0].id',
      '[2].id',
      '[2].protocols',
      '[2].tls',
      '[3].protocols',
      '[4].behaviour.errorRate',
      '[4].seed',
      '[5].limits.cpus',
      '[5].limits.cpuset',
      '[5].limits.memoryMb',
    ])
  })

  it.each([
    ['ready {"id":"a","http":8080,"control":9900}', { id: 'a', http: 8080, control: 9900 }],
    ['ready not-json', undefined],
    ['listening', undefined],
  ])('parses the ready line %j', (line, parsed) => {
    expect(parseReadyLine(line)).toEqual(parsed)
  })
})

describe('loopback addresses', () => {
  it.each([
    [0, '127.150.0.1'],
    [253, '127.150.0.254'],
    [254, '127.150.1.1'],
    [254 * 256 - 1, '127.150.255.254'],
  ])('address %i of block 150 is %s', (n, host) => {
    expect(addressAt(150, n)).toBe(host)
  })
})

describe('owners', () => {
  it('this process is alive; a dead PID or a reused one is not; another host is assumed alive', () => {
    const me = currentOwner()
    expect(ownerAlive(me)).toBe(true)
    expect(ownerAlive({ ...me, pid: 2 ** 22 + 1 })).toBe(false)
    expect(ownerAlive({ ...me, startTime: (me.startTime ?? 0) + 1 })).toBe(false)
    expect(ownerAlive({ ...me, pid: 2 ** 22 + 1, hostname: `not-${me.hostname}` })).toBe(true)
  })

  it('round-trips through container labels', () => {
    const me = currentOwner()
    expect(ownerFromLabels(ownerLabels(me))).toEqual(me)
    expect(ownerFromLabels({ layerbench: '1' })).toBeUndefined()
  })
})

describe('output tail', () => {
  it('keeps the last bytes and marks what it dropped', () => {
    const tail = new OutputTail(10)
    tail.push('0123456789')
    expect(tail.text()).toBe('0123456789')
    tail.push('abc\ndef')
    // Whole chunks are dropped while the rest exceeds the limit.
    expect(tail.text()).toBe('…abc\ndef')
    expect(tail.lastLines(1)).toBe('def')
  })
})

describe('container logs', () => {
  it('demultiplexes stdout and stderr frames', () => {
    const frame = (stream: number, s: string) => {
      const h = Buffer.alloc(8)
      h[0] = stream
      h.writeUInt32BE(Buffer.byteLength(s), 4)
      return Buffer.concat([h, Buffer.from(s)])
    }
    expect(demuxLogs(Buffer.concat([frame(1, 'ready {}\n'), frame(2, 'log line\n')]))).toBe('ready {}\nlog line\n')
    expect(demuxLogs(Buffer.from('plain text\n'))).toBe('plain text\n')
  })
})

describe('ldd output', () => {
  it('lists the libraries and the loader, not the vDSO', () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f41)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f41)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f41)',
    ].join('\n')
    expect(parseLdd(out)).toEqual(['/lib/x86_64-linux-gnu/libdl.so.2', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'])
    expect(() => parseLdd('\tlibfoo.so.1 => not found')).toThrow(/not found/)
  })
})

describe('import scanning', () => {
  it('finds static, side-effect and dynamic imports of compiled modules', () => {
    const source = `import { a } from './a.js';\nimport {\n  b,\n  c\n} from "zod";\nexport * from '../x.js'\nimport './side.js'\nconst m = await import('node:fs')\nimport x from '@scope/pkg/sub'`
    expect(importSpecifiers(source).sort()).toEqual(['../x.js', './a.js', './side.js', '@scope/pkg/sub', 'node:fs', 'zod'])
  })

  it.each([
    ['zod', 'zod'],
    ['zod/v4', 'zod'],
    ['@scope/pkg/sub', '@scope/pkg'],
  ])('%s belongs to package %s', (spec, name) => {
    expect(packageName(spec)).toBe(name)
  })
})

describe('tar writer', () => {
  it('fails the archive when a file on disk is shorter than its entry says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-tar-'))
    try {
      writeFileSync(join(dir, 'short'), Buffer.alloc(10))
      const read = async () => {
        for await (const _ of tarStream([{ type: 'disk-file', path: 'short', source: join(dir, 'short'), size: 1000 }]));
      }
      await expect(read()).rejects.toThrow()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('writes an archive that tar lists and extracts, long paths, modes and links included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-tar-'))
    try {
      const src = join(dir, 'src.bin')
      writeFileSync(src, Buffer.alloc(1500, 7))
      const long = `app/node_modules/${'deep/'.repeat(30)}index.js`
      const entries: TarEntry[] = withParentDirs([
        { type: 'dir', path: 'tmp', mode: 0o1777 },
        { type: 'file', path: 'etc/hosts', content: Buffer.from('127.0.0.1 localhost\n') },
        { type: 'disk-file', path: 'usr/local/bin/tool', source: src, size: 1500, mode: 0o755 },
        { type: 'file', path: long, content: Buffer.from('export {}\n') },
        { type: 'symlink', path: 'usr/bin/tool', target: '../local/bin/tool' },
        { type: 'symlink', path: 'usr/bin/far', target: `../${'far/'.repeat(30)}tool` },
      ])
      const archive = join(dir, 'out.tar')
      const chunks: Buffer[] = []
      for await (const c of tarStream(entries)) chunks.push(c as Buffer)
      writeFileSync(archive, Buffer.concat(chunks))
      expect(Buffer.concat(chunks).length % 512).toBe(0)
      const listing = execFileSync('tar', ['-tvf', archive], { encoding: 'utf8' })
      expect(listing).toMatch(/^drwxrwxrwt .* tmp\/$/m)
      expect(listing).toMatch(/^-rwxr-xr-x .* 1500 .* usr\/local\/bin\/tool$/m)
      expect(listing).toMatch(/^lrwxrwxrwx .* usr\/bin\/tool -> \.\.\/local\/bin\/tool$/m)
      expect(listing).toContain(long)
      const out = join(dir, 'x')
      mkdirSync(out)
      execFileSync('tar', ['-xf', archive, '-C', out])
      expect(readFileSync(join(out, long), 'utf8')).toBe('export {}\n')
      expect(statSync(join(out, 'usr/local/bin/tool')).size).toBe(1500)
      expect(readlinkSync(join(out, 'usr/bin/far'))).toBe(`../${'far/'.repeat(30)}tool`)
      // The same entries give the same bytes.
      const again: Buffer[] = []
      for await (const c of tarStream(entries)) again.push(c as Buffer)
      expect(Buffer.concat(again).equals(Buffer.concat(chunks))).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
