/** A Markdown table line's cells, split on unescaped pipes and unescaped as GitHub does. */
export function cells(line: string): string[] {
  const out: string[] = []
  let cell = ''
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (c === '\\' && i + 1 < line.length) cell += line[++i]
    else if (c === '|') {
      out.push(cell.trim())
      cell = ''
    } else cell += c
  }
  out.push(cell.trim())
  // The leading and trailing pipes leave an empty cell at each end.
  return out.slice(1, -1)
}
