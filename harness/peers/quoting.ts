/** Values every peer's configuration writes alike: regular expressions (PCRE) and durations. */

/** A literal for a PCRE pattern (HAProxy and nginx use PCRE). */
export function pcreLiteral(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')
}

/** A route regex anchored as the engine anchors it (`^(?:…)$`). */
export function pcreAnchored(source: string): string {
  return `^(?:${source})$`
}

/** Milliseconds as a duration the peers read (`1500ms`). */
export function ms(n: number): string {
  return `${Math.round(n)}ms`
}
