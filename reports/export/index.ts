import type { ResultFile } from '../result/result-model.js'
import { rowsToCsv } from './csv.js'
import { exportRows, type ExportGrain } from './export-rows.js'
import { resultsToOpenMetrics } from './openmetrics-export.js'

export type { ExportGrain, ExportRow } from './export-rows.js'

/** Each export format: how it writes saved results at a grain. One line here adds a format to the CLI. */
export const exportFormats = {
  csv: (results: readonly ResultFile[], grain: ExportGrain) => rowsToCsv(exportRows(results, grain)),
  'json-lines': (results: readonly ResultFile[], grain: ExportGrain) => exportRows(results, grain).map((r) => JSON.stringify(r) + '\n').join(''),
  openmetrics: resultsToOpenMetrics,
} as const satisfies Record<string, (results: readonly ResultFile[], grain: ExportGrain) => string>

/** The name of an export format. */
export type ExportFormat = keyof typeof exportFormats

/** Whether `name` is an export format. */
export function isExportFormat(name: string): name is ExportFormat {
  return Object.hasOwn(exportFormats, name)
}
