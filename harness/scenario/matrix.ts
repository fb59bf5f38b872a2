import type { Issue } from '../../engine/errors.js'
import type { MatrixValue, VariantPattern } from './scenario-schema.js'

/** One combination of matrix values: dimension → the value's name (or the scalar itself). */
export type VariantLabel = Readonly<Record<string, string | number | boolean>>

/** A combination with what it changes. */
export interface MatrixCombination {
  readonly label: VariantLabel
  /** `${dim}` substitutions. */
  readonly values: Readonly<Record<string, string | number | boolean>>
  /** Path overrides, in dimension order. */
  readonly sets: readonly (readonly [string, unknown])[]
}

/** Every combination of the dimensions, in a stable order (first dimension slowest). */
export function combinations(matrix: Readonly<Record<string, readonly MatrixValue[]>>): MatrixCombination[] {
  let out: MatrixCombination[] = [{ label: {}, values: {}, sets: [] }]
  for (const [dim, options] of Object.entries(matrix)) {
    const next: MatrixCombination[] = []
    for (const c of out) {
      for (const o of options) {
        const isObject = typeof o === 'object'
        const labelValue = isObject ? o.name : o
        const scalar = isObject ? (o.value ?? o.name) : o
        next.push({
          label: { ...c.label, [dim]: labelValue },
          values: { ...c.values, [dim]: scalar },
          sets: [...c.sets, ...(isObject ? Object.entries(o.set) : [])],
        })
      }
    }
    out = next
  }
  return out
}

/** Whether a label has every entry of a pattern (a value, or one of a list; compared as text). */
export function matchesPattern(label: VariantLabel, pattern: VariantPattern): boolean {
  return Object.entries(pattern).every(([dim, want]) => {
    if (!Object.hasOwn(label, dim)) return false
    const have = String(label[dim])
    return Array.isArray(want) ? want.some((w) => String(w) === have) : String(want) === have
  })
}

/** The combinations no pattern matches (a pattern matches when the label has all its entries). */
export function withoutExcluded<C extends { readonly label: VariantLabel }>(combos: readonly C[], patterns: readonly VariantPattern[]): C[] {
  return combos.filter((c) => !patterns.some((p) => matchesPattern(c.label, p)))
}

/**
 * Problems with exclusion patterns: a dimension the matrix lacks, a value no option of that
 * dimension has (a typo would silently exclude nothing), an empty pattern (it would exclude everything).
 */
export function patternIssues(matrix: Readonly<Record<string, readonly MatrixValue[]>>, patterns: readonly VariantPattern[], path: string): Issue[] {
  const issues: Issue[] = []
  patterns.forEach((p, i) => {
    if (Object.keys(p).length === 0) issues.push({ path: `${path}[${i}]`, message: 'an empty pattern would exclude every combination' })
    for (const [dim, want] of Object.entries(p)) {
      const options = matrix[dim]
      if (options === undefined) {
        issues.push({ path: `${path}[${i}].${dim}`, message: `no matrix dimension "${dim}" (dimensions: ${Object.keys(matrix).join(', ') || 'none'})` })
        continue
      }
      const names = options.map((o) => String(typeof o === 'object' ? o.name : o))
      for (const w of Array.isArray(want) ? want : [want]) {
        if (!names.includes(String(w))) issues.push({ path: `${path}[${i}].${dim}`, message: `"${String(w)}" is not a value of ${dim} (values: ${names.join(', ')})` })
      }
    }
  })
  return issues
}

/** A path such as `balancer.listeners[0].protocol` as its steps. */
export function pathSteps(path: string): (string | number)[] | undefined {
  const steps: (string | number)[] = []
  const re = /([^.[\]]+)|\[(\d+)\]/g
  let consumed = 0
  for (let m = re.exec(path); m !== null; m = re.exec(path)) {
    if (m.index !== consumed && !(path[consumed] === '.' && m.index === consumed + 1)) return undefined
    steps.push(m[1] !== undefined ? m[1] : Number(m[2]))
    consumed = m.index + m[0].length
  }
  return consumed === path.length && steps.length > 0 ? steps : undefined
}

/** Sets (or, for null, deletes) the value at `steps` in a plain object tree, creating objects on the way. */
export function setPath(root: Record<string, unknown>, steps: readonly (string | number)[], value: unknown): void {
  let node: Record<string | number, unknown> = root
  for (let i = 0; i < steps.length - 1; i++) {
    const s = steps[i]!
    let child = node[s]
    if (typeof child !== 'object' || child === null) {
      child = typeof steps[i + 1] === 'number' ? [] : {}
      node[s] = child
    }
    node = child as Record<string | number, unknown>
  }
  const last = steps[steps.length - 1]!
  if (value === null) {
    if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1)
    else delete node[last]
  } else {
    node[last] = structuredClone(value)
  }
}

/**
 * Replaces `${dim}` in every string of a tree. A string that is exactly `${dim}` becomes the
 * value itself (keeping numbers numbers); inside a longer string the value is interpolated.
 */
export function substitute(value: unknown, values: Readonly<Record<string, string | number | boolean>>): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([a-z0-9_-]+)\}$/i.exec(value)
    if (whole !== null && Object.hasOwn(values, whole[1]!)) return values[whole[1]!]
    return value.replace(/\$\{([a-z0-9_-]+)\}/gi, (all, dim: string) => (Object.hasOwn(values, dim) ? String(values[dim]) : all))
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, values))
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, values)]))
  return value
}

/** A short text form of a label: `algorithm=p2c layer=L4` (empty for a scenario without a matrix). */
export function labelText(label: VariantLabel): string {
  return Object.entries(label)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
}
