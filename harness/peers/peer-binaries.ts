import { execFile } from 'node:child_process'
import type { PeerDriver, PeerInstall } from './peer-driver.js'

/** Runs a binary briefly and returns what it printed (both streams), whether it exited 0. */
export function runBriefly(binary: string, args: readonly string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(binary, [...args], { timeout: 10_000 }, (error, stdout, stderr) => resolve({ ok: error === null, output: `${stdout}${stderr}` }))
  })
}

function candidates(driver: PeerDriver): string[] {
  const configured = process.env[driver.binary.env]
  if (configured !== undefined && configured !== '') return [configured]
  return driver.binary.names.flatMap((n) => [n, `/usr/sbin/${n}`, `/usr/local/sbin/${n}`, `/usr/bin/${n}`])
}

/** Finds and identifies an installed peer; rejects with the reason it cannot be used. */
export async function findPeer(driver: PeerDriver): Promise<PeerInstall> {
  const tried: string[] = []
  for (const binary of new Set(candidates(driver))) {
    const r = await runBriefly(binary, driver.binary.versionArgs)
    const version = driver.binary.parseVersion(r.output)
    if (version === undefined) {
      tried.push(`${binary}: ${r.output.trim().split('\n')[0] || 'not found'}`)
      continue
    }
    return { binary, version, ...(driver.inspect === undefined ? {} : await driver.inspect(binary)) }
  }
  throw new Error(`${driver.name} is not installed (${tried.join('; ')}); set ${driver.binary.env} to its path`)
}

/** Whether a peer can run here, and which version. */
export async function driverAvailable(driver: PeerDriver): Promise<{ available: boolean; version?: string; reason?: string }> {
  try {
    const install = await findPeer(driver)
    return { available: true, version: install.version, ...(install.lacks === undefined ? {} : { reason: install.lacks.reason }) }
  } catch (e) {
    return { available: false, reason: (e as Error).message }
  }
}
