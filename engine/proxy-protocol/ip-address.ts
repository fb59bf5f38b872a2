/**
 * Textual IP addresses ⇄ network-order bytes, strictly: IPv4 as a dotted quad without leading
 * zeros, IPv6 per RFC 4291 §2.2 without zone ids. Both the PROXY protocol (v2 carries raw bytes,
 * v1 carries text) and certificate subjectAltNames need the bytes, which node:net does not expose.
 */

/** Four bytes of a dotted-quad IPv4 address, or undefined when `text` is not one. */
export function parseIPv4(text: string): Buffer | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  const out = Buffer.alloc(4)
  for (let i = 0; i < 4; i++) {
    const octet = parseDecimal(parts[i] ?? '', 255)
    if (octet === undefined) return undefined
    out[i] = octet
  }
  return out
}

/** Sixteen bytes of an IPv6 address (`::` compression and a trailing dotted quad allowed), or undefined. */
export function parseIPv6(text: string): Buffer | undefined {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = groupsOf(halves[0] ?? '')
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : []
  if (head === undefined || tail === undefined) return undefined
  const compressed = halves.length === 2
  // A dotted quad may only end the address (so never before `::`); it is two groups wide.
  const all = [...head, ...tail]
  const quadAllowedAt = compressed && tail.length === 0 ? -1 : all.length - 1
  if (all.some((g, i) => typeof g !== 'number' && i !== quadAllowedAt)) return undefined
  const words: number[] = []
  for (const g of all) {
    if (typeof g === 'number') words.push(g)
    else words.push((g[0]! << 8) | g[1]!, (g[2]! << 8) | g[3]!)
  }
  if (compressed ? words.length > 7 : words.length !== 8) return undefined
  const out = Buffer.alloc(16)
  const headWords = compressed ? countWords(head) : 8
  for (let i = 0; i < words.length; i++) {
    const slot = i < headWords ? i : 8 - (words.length - i)
    out.writeUInt16BE(words[i]!, slot * 2)
  }
  return out
}

/** Dotted-quad text of four bytes. */
export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`
}

/**
 * RFC 5952 text of sixteen bytes: lower case, the longest run of two or more zero groups (the first
 * on a tie) as `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d` — the form inet_ntop prints.
 */
export function formatIPv6(bytes: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, i) => (bytes[i * 2]! << 8) | bytes[i * 2 + 1]!)
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${formatIPv4(bytes.subarray(12, 16))}`
  }
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i]
    i = j
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':')
  if (bestStart < 0) return hex(words)
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`
}

/** A decimal without sign or leading zeros ("0" itself allowed), at most `max`. */
export function parseDecimal(text: string, max: number): number | undefined {
  if (!/^(0|[1-9][0-9]*)$/.test(text) || text.length > String(max).length) return undefined
  const value = Number(text)
  return value <= max ? value : undefined
}

type Group = number | Buffer

function groupsOf(text: string): Group[] | undefined {
  if (text === '') return []
  const groups: Group[] = []
  for (const part of text.split(':')) {
    if (/^[0-9a-fA-F]{1,4}$/.test(part)) groups.push(parseInt(part, 16))
    else {
      const quad = parseIPv4(part)
      if (quad === undefined) return undefined
      groups.push(quad)
    }
  }
  return groups
}

function countWords(groups: readonly Group[]): number {
  return groups.reduce<number>((n, g) => n + (typeof g === 'number' ? 1 : 2), 0)
}
