/**
 * Host-name hygiene for names that steer routing (SNI) or go into certificates (subjectAltName).
 * Deliberately plain LDH: letters, digits and hyphens in dot-separated labels of 1–63 characters,
 * 253 characters at most. Anything else in an SNI is either a broken client or an attempt to
 * confuse the router, and an internationalised name travels as its `xn--` A-label anyway.
 */

const LABEL = /^[A-Za-z0-9-]{1,63}$/

/**
 * `name` lower-cased and without one trailing dot when it is a plausible DNS host name, else
 * undefined. With `allowWildcard`, a leftmost `*` label (as in certificates) is accepted.
 */
export function normaliseHostName(name: string, options: { readonly allowWildcard?: boolean } = {}): string | undefined {
  const host = name.endsWith('.') ? name.slice(0, -1) : name
  if (host.length === 0 || host.length > 253) return undefined
  const labels = host.split('.')
  const ok = labels.every((label, i) => LABEL.test(label) || (i === 0 && label === '*' && options.allowWildcard === true && labels.length > 1))
  // Lower-case only after the ASCII check: some non-ASCII letters lower-case to ASCII ones.
  return ok ? host.toLowerCase() : undefined
}
