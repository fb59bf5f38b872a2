import { describe, expect, it } from 'vitest'
import { benchCommand } from '../../../harness/cli/commands/bench.js'
import { CliError, ExitCode } from '../../../harness/cli/exit-codes.js'

describe('bench --dataplane options', () => {
  it.each([
    [{ newConnections: true, lowRate: true }, '--new-connections and --low-rate: choose one'],
    [{ rate: '300' }, '--rate: only with --low-rate'],
    [{ lowRate: true, rate: '0' }, '--rate: expected a whole number from 1 to 5000'],
    [{ tls: 'dsa-1024' }, '--tls: expected one of ecdsa-p256, rsa-2048, got "dsa-1024"'],
  ])('%j is bad input (exit 2) before anything runs', async (opts, message) => {
    const run = benchCommand({ out: 'out', dataplane: true, ...opts })
    await expect(run).rejects.toBeInstanceOf(CliError)
    await expect(run).rejects.toMatchObject({ exitCode: ExitCode.BadInput })
    await expect(run).rejects.toThrow(message)
  })
})
