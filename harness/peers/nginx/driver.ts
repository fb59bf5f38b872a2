import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { runBriefly } from '../peer-binaries.js'
import { childPids } from '../peer-process.js'
import { writePeerFiles } from '../peer-files.js'
import type { PeerDriver } from '../peer-driver.js'
import { nginxConfig } from './config.js'
import { nginxCapabilities, nginxChecks } from './support.js'

/** The version in `nginx -v` output ("nginx version: nginx/1.22.1" → "1.22.1"). */
export function parseNginxVersion(text: string): string | undefined {
  return /nginx version: [^/\s]+\/(\S+)/.exec(text)?.[1]
}

/**
 * Where `nginx -V` says the stream module is: 'static' (built in), a module file path, or
 * undefined when the build has none.
 */
export function parseNginxStream(configureOutput: string, exists: (path: string) => boolean = existsSync): string | undefined {
  if (/--with-stream(?=\s|$)/.test(configureOutput)) return 'static'
  const modules = /--modules-path=(\S+)/.exec(configureOutput)?.[1] ?? '/usr/lib/nginx/modules'
  const file = join(modules, 'ngx_stream_module.so')
  return exists(file) ? file : undefined
}

/** nginx open source: one worker under its master in the foreground; no runtime API. */
export const nginxDriver: PeerDriver = {
  name: 'nginx',
  label: 'nginx',
  capabilities: nginxCapabilities,
  binary: { names: ['nginx'], env: 'LAYERBENCH_NGINX', versionArgs: ['-v'], parseVersion: parseNginxVersion },
  async inspect(binary) {
    const stream = parseNginxStream((await runBriefly(binary, ['-V'])).output)
    if (stream === undefined) return { lacks: { layer: 4, reason: 'nginx has no stream module: tcp, udp and tls listeners cannot run' } }
    return stream === 'static' ? {} : { modules: [stream] }
  },
  checks: nginxChecks,
  render: (input, install) => nginxConfig(input, install.modules?.[0] === undefined ? {} : { streamModule: install.modules[0] }),
  checkArgs: (configPath, dir) => ['-t', '-q', '-c', configPath, '-p', `${dir}/`, '-e', 'stderr'],
  // The configuration says `daemon off` itself.
  runArgs: (configPath, dir) => ['-c', configPath, '-p', `${dir}/`, '-e', 'stderr'],
  prepare(dir) {
    for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, 'temp', t), { recursive: true })
  },
  attach({ install, input, started }) {
    return {
      // nginx re-reads its configuration on SIGHUP: new workers take the new one, old ones finish their requests.
      async reload(config) {
        const out = nginxConfig({ ...input, config }, install.modules?.[0] === undefined ? {} : { streamModule: install.modules[0] })
        writePeerFiles(out.files)
        const before = childPids(started.child.pid!)
        started.child.kill('SIGHUP')
        // Reloaded once the old workers are gone and new ones run.
        const deadline = Date.now() + 10_000
        while (Date.now() < deadline) {
          const now = childPids(started.child.pid!)
          if (now.length > 0 && now.every((p) => !before.includes(p))) return
          await new Promise((r) => setTimeout(r, 20))
        }
        throw new Error('nginx did not replace its workers within 10 s of SIGHUP')
      },
    }
  },
}
