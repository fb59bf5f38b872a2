/** Writing values into nginx configuration files, where quotes, spaces, `$` and backslashes all mean something. */

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
