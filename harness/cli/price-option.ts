import { CliError, ExitCode } from './exit-codes.js'

/** `--price-per-core-hour`: a positive number of USD, or a coded bad-input error. */
export function pricePerCoreHour(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const price = Number(text)
  if (!Number.isFinite(price) || price <= 0) throw new CliError(`--price-per-core-hour: expected a positive number of USD, got "${text}"`, ExitCode.BadInput)
  return price
}
