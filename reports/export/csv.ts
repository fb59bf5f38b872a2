import type { ExportRow } from './export-rows.js'

/** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; nothing for null. */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return ''
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** A CSV document: a header row, then one line per row, CRLF-terminated as RFC 4180 has it. */
export function csvText(header: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',') + '\r\n').join('')
}

/** Rows of differing columns as one CSV: the columns in order of first appearance, blanks where a row lacks one. */
export function rowsToCsv(rows: readonly ExportRow[]): string {
  const columns: string[] = []
  const seen = new Set<string>()
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) seen.add(k), columns.push(k)
  return csvText(columns, rows.map((r) => columns.map((c) => r[c])))
}
