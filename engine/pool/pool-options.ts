import { z } from 'zod'

/** One backend of a pool as configured. */
export const memberSpecSchema = z.strictObject({
  /** Stable identity; defaults to `host:port`. Hash algorithms place backends by it. */
  id: z.string().min(1).max(256).optional(),
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65_535),
  /** Relative weight; 0 takes the backend out of rotation without removing it. */
  weight: z.number().min(0).max(1_000_000).default(1),
  /** Backup backends take traffic only when no primary backend is ready. */
  backup: z.boolean().default(false),
})

/** A backend of a pool as configured (input form, before defaults). */
export type MemberSpec = z.input<typeof memberSpecSchema>

/** Options of a backend pool, validated strictly; every default is what most users want. */
export const poolOptionsSchema = z.strictObject({
  /** Algorithm name or alias from the registry. */
  algorithm: z.string().min(1).default('round-robin'),
  /** The algorithm's own options, validated by the algorithm's schema. */
  algorithmOptions: z.record(z.string(), z.unknown()).default({}),
  backends: z.array(memberSpecSchema).default([]),
  health: z
    .strictObject({
      /** Consecutive passing checks that bring a backend back (HAProxy `rise`, default 2). */
      rise: z.number().int().min(1).max(1000).default(2),
      /** Consecutive failing checks that take a backend out (HAProxy `fall`, default 3). */
      fall: z.number().int().min(1).max(1000).default(3),
      /** State before the first check: HAProxy starts servers up; Envoy waits for a check. */
      initial: z.enum(['healthy', 'unhealthy']).default('healthy'),
    })
    .prefault({}),
  slowStart: z
    .strictObject({
      /** Length of the ramp for a backend that becomes ready (added, recovered, undrained). */
      windowMs: z.number().positive().max(3_600_000),
      /** 1 ramps linearly; larger values ramp faster at first (Envoy `aggression`). */
      aggression: z.number().positive().max(100).default(1),
      /** Weight at the start of the ramp, percent of the configured weight (Envoy default 10). */
      minWeightPercent: z.number().min(1).max(100).default(10),
    })
    .optional(),
})

/** Options of a backend pool (input form: defaults may be omitted). */
export type BackendPoolOptions = z.input<typeof poolOptionsSchema>
