import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The built CLI (`npm test` builds first), run as users run it. */
export const CLI = fileURLToPath(new URL('../../dist/harness/cli/main.js', import.meta.url))

/** Runs `layerbench …` to completion and returns its exit code and output. */
export function layerbench(args: string[], options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 60_000,
    ...(options.env === undefined ? {} : { env: { ...process.env, ...options.env } }),
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
