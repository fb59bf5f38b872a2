/** Writing values into HAProxy configuration files, where quotes, spaces, `%` and backslashes all mean something. */

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
