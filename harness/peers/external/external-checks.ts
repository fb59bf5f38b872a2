import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Issue } from '../../../engine/errors.js'
import type { ExternalSpec } from './external-schema.js'
import { HOOK_PLACEHOLDERS } from './hooks.js'
import { checkTemplate, type TemplateShape } from './template.js'

/**
 * Reads `balancer.external.config.templateFile` (relative to the scenario) into `template`, so
 * every variant is checked and run with the same text. Leaves the document alone otherwise.
 */
export function inlineTemplateFile(body: Record<string, unknown>, scenarioFile: string, issues: Issue[]): void {
  const config = ((body.balancer as Record<string, unknown> | undefined)?.external as Record<string, unknown> | undefined)?.config as Record<string, unknown> | undefined
  const path = config?.templateFile
  if (config === undefined || typeof path !== 'string') return
  try {
    config.template = readFileSync(resolve(dirname(scenarioFile), path), 'utf8')
    delete config.templateFile
  } catch (e) {
    issues.push({ path: 'balancer.external.config.templateFile', message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` })
  }
}

/** What the implementation and its `external` section must agree on, and every problem of the template, the commands and the hooks. */
export function externalIssues(implementation: string, external: ExternalSpec | undefined, shape: TemplateShape): Issue[] {
  const issues: Issue[] = []
  if (implementation === 'external' && external === undefined) issues.push({ path: 'balancer.external', message: 'implementation external needs balancer.external (a command and its config template, or the address of a running balancer)' })
  if (implementation !== 'external' && external !== undefined) issues.push({ path: 'balancer.external', message: `only for implementation external (this balancer is ${implementation})` })
  if (external === undefined) return issues
  const where = (path: string, line: number) => (line > 0 ? `${path} (line ${line})` : path)
  if (external.config?.template !== undefined) {
    for (const i of checkTemplate(external.config.template, shape)) issues.push({ path: where('balancer.external.config.template', i.line), message: i.message })
  }
  for (const key of ['command', 'check'] as const) {
    external[key]?.forEach((arg, k) => {
      for (const i of checkTemplate(arg, shape, { requirePorts: false })) issues.push({ path: `balancer.external.${key}[${k}]`, message: i.message })
    })
  }
  for (const [action, hook] of Object.entries(external.hooks)) {
    const texts = hook === undefined ? [] : 'http' in hook ? [hook.http.url, hook.http.body ?? ''] : hook.command
    for (const t of texts) {
      for (const m of t.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
        if (!(HOOK_PLACEHOLDERS as readonly string[]).includes(m[1]!)) issues.push({ path: `balancer.external.hooks.${action}`, message: `{{${m[1]}}} is not a hook placeholder (${HOOK_PLACEHOLDERS.join(', ')})` })
      }
    }
  }
  return issues
}
