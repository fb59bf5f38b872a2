/**
 * The template language of `implementation: external` configurations: the user's own
 * configuration file with the run's addresses filled in. Deliberately small:
 *
 * - `{{dir}}`, `{{configFile}}`: the run's folder and the rendered file's path;
 * - `{{listeners.<name>.host}}`, `.port`, `.address` (host:port), `.protocol`;
 * - `{{#listeners}} … {{/listeners}}`: once per listener, with `{{name}}`, `{{host}}`, `{{port}}`,
 *   `{{address}}`, `{{protocol}}`, `{{index}}`;
 * - `{{pools.<name>.algorithm}}`;
 * - `{{#pools}} … {{/pools}}`: once per pool, with `{{name}}`, `{{algorithm}}` and, inside,
 *   `{{#backends}} … {{/backends}}` over its backends;
 * - `{{#backends <pool>}} … {{/backends}}`: once per backend of a named pool, with `{{id}}`,
 *   `{{host}}`, `{{port}}`, `{{address}}`, `{{weight}}`, `{{index}}`, `{{backup}}` (true/false).
 *
 * Anything else between `{{ }}` is an error, found before anything runs, as is a listener whose
 * port the template never writes (the balancer would not listen where the load goes).
 */

/** What a template is rendered with. */
export interface TemplateContext {
  readonly dir: string
  readonly configFile: string
  readonly listeners: readonly { readonly name: string; readonly host: string; readonly port: number; readonly protocol: string }[]
  readonly pools: readonly {
    readonly name: string
    readonly algorithm: string
    readonly backends: readonly { readonly id: string; readonly host: string; readonly port: number; readonly weight: number; readonly backup: boolean }[]
  }[]
}

/** What a template may name, for checking it before the run (the names of listeners and pools). */
export interface TemplateShape {
  readonly listeners: readonly string[]
  readonly pools: readonly string[]
}

type Node = { kind: 'text'; text: string } | { kind: 'var'; name: string; line: number } | { kind: 'section'; name: string; arg?: string; line: number; body: Node[] }

/** A problem in a template, with its line. */
export interface TemplateIssue {
  readonly line: number
  readonly message: string
}

const TAG_SOURCE = String.raw`\{\{\s*([#/]?)([A-Za-z0-9_.-]+)(?:\s+([A-Za-z0-9_-]+))?\s*\}\}`
const LISTENER_FIELDS = ['name', 'host', 'port', 'address', 'protocol', 'index']
const BACKEND_FIELDS = ['id', 'host', 'port', 'address', 'weight', 'index', 'backup']

function parse(source: string, issues: TemplateIssue[]): Node[] {
  const root: Node[] = []
  const stack: { name: string; line: number; body: Node[] }[] = [{ name: '', line: 0, body: root }]
  const lineAt = (i: number) => source.slice(0, i).split('\n').length
  let last = 0
  for (const m of source.matchAll(new RegExp(TAG_SOURCE, 'g'))) {
    const top = stack[stack.length - 1]!
    if (m.index > last) top.body.push({ kind: 'text', text: source.slice(last, m.index) })
    last = m.index + m[0].length
    const [, sigil, name, arg] = m as unknown as [string, string, string, string | undefined]
    const line = lineAt(m.index)
    if (sigil === '#') {
      const section: Node = { kind: 'section', name, ...(arg === undefined ? {} : { arg }), line, body: [] }
      top.body.push(section)
      stack.push({ name, line, body: section.body })
    } else if (sigil === '/') {
      if (stack.length === 1 || top.name !== name) issues.push({ line, message: `{{/${name}}} closes ${stack.length === 1 ? 'nothing' : `{{#${top.name}}} of line ${top.line}`}` })
      else stack.pop()
    } else {
      top.body.push({ kind: 'var', name, line })
    }
  }
  // `{{` left that is no tag: a typo the user should hear about.
  const rest = source.slice(last)
  stack[stack.length - 1]!.body.push({ kind: 'text', text: rest })
  for (const s of stack.slice(1)) issues.push({ line: s.line, message: `{{#${s.name}}} is never closed` })
  const tagHere = new RegExp(TAG_SOURCE, 'y')
  for (const m of source.matchAll(/\{\{/g)) {
    tagHere.lastIndex = m.index
    if (!tagHere.test(source)) issues.push({ line: lineAt(m.index), message: `"${source.slice(m.index, m.index + 24).split('\n')[0]}" is not a placeholder` })
  }
  return root
}

type Scope = 'top' | 'listener' | 'pool' | 'backend'

/**
 * Every problem of a template at once: unknown placeholders and sections, unknown listener and
 * pool names, sections left open, listeners whose port it never writes. Pure.
 */
export function checkTemplate(source: string, shape: TemplateShape, options: { requirePorts?: boolean } = {}): TemplateIssue[] {
  const issues: TemplateIssue[] = []
  const tree = parse(source, issues)
  const bound = new Set<string>()
  const walk = (nodes: Node[], scope: Scope) => {
    for (const n of nodes) {
      if (n.kind === 'text') continue
      if (n.kind === 'var') {
        const problem = varProblem(n.name, scope, shape, bound)
        if (problem !== undefined) issues.push({ line: n.line, message: problem })
        continue
      }
      if (n.name === 'listeners' && scope === 'top' && n.arg === undefined) walk(n.body, 'listener')
      else if (n.name === 'pools' && scope === 'top' && n.arg === undefined) walk(n.body, 'pool')
      else if (n.name === 'backends' && scope === 'pool' && n.arg === undefined) walk(n.body, 'backend')
      else if (n.name === 'backends' && scope === 'top' && n.arg !== undefined) {
        if (!shape.pools.includes(n.arg)) issues.push({ line: n.line, message: `{{#backends ${n.arg}}}: no pool "${n.arg}" (pools: ${shape.pools.join(', ')})` })
        walk(n.body, 'backend')
      } else issues.push({ line: n.line, message: `{{#${n.name}${n.arg === undefined ? '' : ` ${n.arg}`}}} is not a section here (sections: #listeners and #pools at the top, #backends inside #pools, #backends <pool> at the top)` })
    }
  }
  walk(tree, 'top')
  if (options.requirePorts !== false) for (const l of shape.listeners) if (!bound.has(l)) issues.push({ line: 0, message: `the template never writes listener ${l}'s port ({{listeners.${l}.port}} or .address, or {{port}} in {{#listeners}}): the balancer would not listen where the load goes` })
  return issues
}

function varProblem(name: string, scope: Scope, shape: TemplateShape, bound: Set<string>): string | undefined {
  if (name === 'dir' || name === 'configFile') return undefined
  const parts = name.split('.')
  if (parts[0] === 'listeners' && parts.length === 3) {
    if (!shape.listeners.includes(parts[1]!)) return `{{${name}}}: no listener "${parts[1]}" (listeners: ${shape.listeners.join(', ')})`
    if (!['host', 'port', 'address', 'protocol'].includes(parts[2]!)) return `{{${name}}}: a listener has host, port, address and protocol`
    if (parts[2] === 'port' || parts[2] === 'address') bound.add(parts[1]!)
    return undefined
  }
  if (parts[0] === 'pools' && parts.length === 3) {
    if (!shape.pools.includes(parts[1]!)) return `{{${name}}}: no pool "${parts[1]}" (pools: ${shape.pools.join(', ')})`
    return parts[2] === 'algorithm' ? undefined : `{{${name}}}: a pool has algorithm (its backends come from {{#backends ${parts[1]}}})`
  }
  const fields = scope === 'listener' ? LISTENER_FIELDS : scope === 'backend' ? BACKEND_FIELDS : scope === 'pool' ? ['name', 'algorithm', 'index'] : []
  if (fields.includes(name)) {
    if (scope === 'listener' && (name === 'port' || name === 'address')) for (const l of shape.listeners) bound.add(l)
    return undefined
  }
  return `{{${name}}} is not a placeholder${fields.length > 0 ? ` here (inside this section: ${fields.join(', ')})` : ''}`
}

/** The rendered text. The template must have passed `checkTemplate` for the context's shape. */
export function renderTemplate(source: string, context: TemplateContext): string {
  const issues: TemplateIssue[] = []
  const tree = parse(source, issues)
  const address = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)
  const emit = (nodes: Node[], values: Record<string, string>, pool?: TemplateContext['pools'][number]): string =>
    nodes
      .map((n) => {
        if (n.kind === 'text') return n.text
        if (n.kind === 'var') return values[n.name] ?? lookup(n.name)
        const backends = (p: TemplateContext['pools'][number] | undefined) =>
          (p?.backends ?? []).map((b, index) => emit(n.body, { ...values, id: b.id, host: b.host, port: String(b.port), address: address(b.host, b.port), weight: String(b.weight), index: String(index), backup: String(b.backup) })).join('')
        if (n.name === 'listeners') return context.listeners.map((l, index) => emit(n.body, { ...values, name: l.name, host: l.host, port: String(l.port), address: address(l.host, l.port), protocol: l.protocol, index: String(index) })).join('')
        if (n.name === 'pools') return context.pools.map((p, index) => emit(n.body, { ...values, name: p.name, algorithm: p.algorithm, index: String(index) }, p)).join('')
        return backends(n.arg === undefined ? pool : context.pools.find((p) => p.name === n.arg))
      })
      .join('')
  const lookup = (name: string): string => {
    if (name === 'dir') return context.dir
    if (name === 'configFile') return context.configFile
    const [kind, which, field] = name.split('.')
    if (kind === 'listeners') {
      const l = context.listeners.find((x) => x.name === which)
      if (l === undefined) return ''
      return field === 'address' ? address(l.host, l.port) : String(l[field as 'host' | 'port' | 'protocol'])
    }
    return context.pools.find((p) => p.name === which)?.algorithm ?? ''
  }
  return emit(tree, {})
}
