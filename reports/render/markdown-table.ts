/** Column alignment of a Markdown table. */
export type MarkdownAlign = 'left' | 'right' | 'center'

/**
 * A GitHub-flavoured Markdown table. Cells are escaped (`|`, line breaks); `align` gives each
 * column's alignment (left when absent).
 */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly MarkdownAlign[] = []): string {
  const rule = header.map((_, i) => ({ left: '---', right: '--:', center: ':-:' })[align[i] ?? 'left'])
  const line = (cells: readonly string[]) => `| ${header.map((_, i) => markdownCell(cells[i] ?? '')).join(' | ')} |`
  return [line(header), `|${rule.join('|')}|`, ...rows.map(line)].join('\n')
}

/** Text that is safe inside a table cell: pipes escaped, line breaks (CRLF, LF or CR) as spaces. */
export function markdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r\n|\r|\n/g, ' ')
}

/**
 * Inline code that cannot be broken by backticks in the text: the fence is one backtick longer
 * than the longest run inside (CommonMark §6.1), padded with a space a side when the text touches
 * a backtick or is itself space-padded (a renderer strips one space a side from such a span). Line
 * breaks become spaces, as inside a code span they would anyway.
 */
export function markdownCode(text: string): string {
  const flat = text.replace(/\r\n|\r|\n/g, ' ')
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longest + 1)
  const spaced = flat.startsWith(' ') && flat.endsWith(' ') && flat.trim() !== ''
  const pad = flat.startsWith('`') || flat.endsWith('`') || spaced ? ' ' : ''
  return `${fence}${pad}${flat}${pad}${fence}`
}
