/**
 * Writing values into HAProxy and nginx configuration files, where quotes, spaces, `%`, `$` and
 * backslashes all mean something.
 */

/** A literal for a PCRE pattern (both peers use PCRE). */
export function pcreLiteral(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')
}

/** A route regex anchored as the engine anchors it (`^(?:…)$`). */
export function pcreAnchored(source: string): string {
  return `^(?:${source})$`
}

/**
 * One HAProxy configuration word holding `s` verbatim: single-quoted (no escapes or environment
 * expansion inside), an embedded `'` written as `'\''` as in a shell.
 */
export function haproxyWord(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_./:@=+-]+$/.test(s)) return s
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** A HAProxy log-format string producing `s` literally (set-header values, check headers). */
export function haproxyLiteralFormat(s: string): string {
  return haproxyWord(s.replace(/%/g, '%%'))
}

/** Names HAProxy can take as a sample-fetch argument without quoting (header, cookie, parameter names). */
export function haproxySafeArgument(name: string): boolean {
  return /^[A-Za-z0-9._~!*+^`|-]+$/.test(name)
}

/** An nginx string token holding `s` verbatim where variables are not expanded (map keys, regexes). */
export function nginxString(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`
}

/** The nginx variable holding a literal `$` (a `geo` block defines it): values are scripts, `$` cannot be escaped. */
export const NGINX_DOLLAR = 'lb_dollar'

/** An nginx string token for a value where variables are expanded (header values): `s` stays literal. */
export function nginxValue(s: string): string {
  return nginxString(s).replace(/\$/g, `\${${NGINX_DOLLAR}}`)
}

/** The nginx variable of a request header (`$http_x_user` for X-User). */
export function nginxHeaderVariable(name: string): string {
  return `$http_${name.toLowerCase().replace(/-/g, '_')}`
}

/** Header names nginx exposes as `$http_` variables (letters, digits, '-' and, with underscores_in_headers, '_'). */
export function nginxHeaderNameOk(name: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(name)
}

/** Milliseconds as a duration both peers read (`1500ms`). */
export function ms(n: number): string {
  return `${Math.round(n)}ms`
}
