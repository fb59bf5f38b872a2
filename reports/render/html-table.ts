import { escapeHtml } from './html-document.js'

/** A table cell: text (escaped), or markup with an optional class. Numbers are right-aligned. */
export type HtmlCell = string | number | { readonly html: string; readonly class?: string } | { readonly text: string; readonly class: string }

function cell(tag: 'td' | 'th', c: HtmlCell): string {
  if (typeof c === 'number') return `<${tag} class="num">${escapeHtml(c)}</${tag}>`
  if (typeof c === 'string') return `<${tag}>${escapeHtml(c)}</${tag}>`
  const cls = c.class === undefined ? '' : ` class="${escapeHtml(c.class)}"`
  return `<${tag}${cls}>${'html' in c ? c.html : escapeHtml(c.text)}</${tag}>`
}

/** An HTML table; `numeric` marks columns whose text cells are right-aligned figures. */
export function htmlTable(header: readonly string[], rows: readonly (readonly HtmlCell[])[], numeric: readonly number[] = []): string {
  const body = rows.map((r) => `<tr>${r.map((c, i) => cell('td', numeric.includes(i) && typeof c === 'string' ? { text: c, class: 'num' } : c)).join('')}</tr>`)
  return `<table><thead><tr>${header.map((h) => cell('th', h)).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`
}

/** ✓ or ✗, coloured. */
export function passMark(pass: boolean): HtmlCell {
  return pass ? { text: '✓', class: 'pass' } : { text: '✗', class: 'fail' }
}
