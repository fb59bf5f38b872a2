import { z } from 'zod'
import { parseEndpoint } from '../../../engine/config/lb-config.js'

const endpoint = z.string().refine((s) => parseEndpoint(s) !== undefined, { message: 'expected host:port (IPv6 as [::1]:port)' })
const argv = z.array(z.string().min(1)).min(1)

/** One timeline action as the user's balancer takes it: an HTTP call or a command, with placeholders. */
export const hookSchema = z.union([
  z.strictObject({
    http: z.strictObject({
      method: z.string().regex(/^[A-Z]+$/).default('POST'),
      /** `{{pool}}`, `{{backend}}`, `{{host}}`, `{{port}}`, `{{address}}`, `{{weight}}` are filled in (URL-encoded). */
      url: z.url({ protocol: /^https?$/ }),
      headers: z.record(z.string(), z.string()).default({}),
      body: z.string().optional(),
    }),
  }),
  z.strictObject({ command: argv }),
])

/** Timeline actions a hook can take. */
export const HOOK_ACTIONS = ['set-weight', 'drain', 'undrain', 'add-backend', 'remove-backend'] as const

/**
 * The user's own balancer (`balancer.implementation: external`). Either `command` (with a
 * `config` template rendered to a file it reads) is started and stopped by the run, or `address`
 * names one already running. `hooks` map timeline actions to the user's calls; an action without
 * one is skipped with that reason.
 */
export const externalSchema = z
  .strictObject({
    /** How reports and result.json name it. */
    name: z.string().regex(/^[A-Za-z0-9][\w .+-]{0,63}$/, 'a name of letters, digits, space, . + - _'),
    /** Reported as its version. */
    version: z.string().min(1).default('unknown'),
    /** The command that runs it in the foreground; placeholders as in the template (`{{configFile}}`, `{{dir}}`, …). */
    command: argv.optional(),
    /** A command that checks the rendered configuration first (`haproxy -c -f {{configFile}}`); exit 0 passes. */
    check: argv.optional(),
    config: z
      .strictObject({
        /** The template itself… */
        template: z.string().min(1).optional(),
        /** …or its file, relative to the scenario. */
        templateFile: z.string().min(1).optional(),
        /** The rendered file's name inside the run's folder. */
        file: z.string().regex(/^[\w.-]+$/, 'a file name').default('balancer.conf'),
      })
      .refine((c) => (c.template === undefined) !== (c.templateFile === undefined), { message: 'give template or templateFile' })
      .optional(),
    /** A running balancer: one address for the scenario's single listener, or one per listener name. */
    address: z.union([endpoint, z.record(z.string(), endpoint)]).optional(),
    hooks: z.partialRecord(z.enum(HOOK_ACTIONS), hookSchema).default({}),
    /** How long the command may take to listen on every port. */
    startTimeoutMs: z.number().int().min(100).max(120_000).default(15_000),
  })
  .superRefine((e, ctx) => {
    if ((e.command === undefined) === (e.address === undefined)) ctx.addIssue({ code: 'custom', path: ['command'], message: 'give command (the run starts it) or address (it is running)' })
    if (e.command !== undefined && e.config === undefined) ctx.addIssue({ code: 'custom', path: ['config'], message: 'a command needs its config template' })
    if (e.address !== undefined && (e.config !== undefined || e.check !== undefined)) ctx.addIssue({ code: 'custom', path: ['address'], message: 'a running balancer takes no config or check' })
  })

/** The `balancer.external` section, as parsed. */
export type ExternalSpec = z.output<typeof externalSchema>
