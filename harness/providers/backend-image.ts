/**
 * The backend's container image, `layerbench-backend:<layerbench version>-<content hash>`, built
 * when absent: from docker/backend.Dockerfile when its base image is present or can be pulled,
 * otherwise offline, by `docker import` of a root filesystem assembled from this machine.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { layerbenchVersion, projectRoot } from '../system/environment.js'
import { backendAppFiles, contentHash, type AppFile } from './backend-files.js'
import { assembleRootFs, importChanges } from './offline-rootfs.js'
import { currentOwner, ownerAlive, stateDir, type OwnerRef } from './run-state.js'
import { tarStream, withParentDirs, type TarEntry } from './tar-writer.js'

export const IMAGE_REPOSITORY = 'layerbench-backend'
export const BASE_IMAGE = 'node:20-bookworm-slim'
const DOCKERFILE = 'docker/backend.Dockerfile'
const DEFAULT_PULL_TIMEOUT_MS = 60_000
const LOCK_WAIT_MS = 5 * 60_000
/** Backend images kept: the current one and a few before it, for runs still using them. */
const KEEP_IMAGES = 3

/** How the image was obtained. */
export interface ImageResult {
  readonly name: string
  readonly how: 'existing' | 'registry' | 'offline'
  readonly seconds?: number
  /** Bytes of the root filesystem (offline build). */
  readonly bytes?: number
}

/** The image's name and content, computed from the files it will contain. */
export interface ImagePlan {
  readonly name: string
  readonly files: readonly AppFile[]
  readonly dockerfile: string
  readonly labels: Record<string, string>
}

/** What the image for the current build of the backend app is called and contains. */
export function backendImagePlan(root: string = projectRoot()): ImagePlan {
  const files = backendAppFiles(root)
  const dockerfile = readFileSync(join(root, DOCKERFILE), 'utf8')
  const version = layerbenchVersion()
  const name = `${IMAGE_REPOSITORY}:${version}-${contentHash(files, [dockerfile])}`
  return { name, files, dockerfile, labels: { layerbench: '1', 'layerbench.version': version } }
}

/** Reads a Docker JSON progress stream to its end; rejects on an `error` message in it. */
export function followProgress(docker: Docker, stream: NodeJS.ReadableStream, onLine?: (o: Record<string, unknown>) => void): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Record<string, unknown>[]) => {
        if (err) return reject(err)
        const failed = output.find((o) => o.error !== undefined || o.errorDetail !== undefined)
        if (failed !== undefined) return reject(new Error(String(failed.error ?? JSON.stringify(failed.errorDetail))))
        resolve(output)
      },
      onLine,
    )
  })
}

/** Whether the Engine has the image `name`. */
export async function imageExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect()
    return true
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false
    throw e
  }
}

/** Whether the registry build can run: its base image is present, or pulling it works. */
async function baseImageAvailable(docker: Docker, timeoutMs: number, log: (l: string) => void): Promise<boolean> {
  if (await imageExists(docker, BASE_IMAGE)) return true
  try {
    const stream = await docker.pull(BASE_IMAGE, { abortSignal: AbortSignal.timeout(timeoutMs) })
    await followProgress(docker, stream)
    return true
  } catch (e) {
    log(`cannot pull ${BASE_IMAGE} (${(e as Error).message.split('\n')[0]}): building the backend image offline`)
    return false
  }
}

/** Builds `plan` from docker/backend.Dockerfile with a context of exactly the app's files. */
export async function buildRegistryImage(docker: Docker, plan: ImagePlan, log: (l: string) => void): Promise<ImageResult> {
  const started = Date.now()
  const entries: TarEntry[] = [{ type: 'file', path: 'Dockerfile', content: Buffer.from(plan.dockerfile) }]
  for (const f of plan.files) entries.push({ type: 'file', path: f.path, mode: f.mode, content: f.content })
  const stream = await docker.buildImage(tarStream(withParentDirs(entries)), { t: plan.name, labels: { ...plan.labels, 'layerbench.build': 'registry' }, rm: true, forcerm: true })
  await followProgress(docker, stream)
  const seconds = (Date.now() - started) / 1000
  log(`built ${plan.name} from ${DOCKERFILE} in ${seconds.toFixed(1)} s`)
  return { name: plan.name, how: 'registry', seconds }
}

/**
 * Builds `plan` without any registry: streams the root filesystem (see offline-rootfs.ts) to the
 * Engine's `POST /images/create?fromSrc=-` with the entry point, environment and labels as changes.
 */
export async function buildOfflineImage(docker: Docker, plan: ImagePlan, log: (l: string) => void, name: string = plan.name): Promise<ImageResult> {
  const started = Date.now()
  const rootfs = assembleRootFs(plan.files)
  const [repo, tag] = splitName(name)
  const labels = { ...plan.labels, 'layerbench.build': 'offline', 'layerbench.node': process.version }
  const stream = await docker.importImage(tarStream(rootfs.entries), {
    repo,
    tag,
    changes: importChanges(rootfs, labels),
    message: `layerbench backend ${plan.labels['layerbench.version']} (offline build)`,
  })
  await followProgress(docker, stream)
  const seconds = (Date.now() - started) / 1000
  log(`built ${name} offline (${(rootfs.bytes / 2 ** 20).toFixed(0)} MiB root filesystem) in ${seconds.toFixed(1)} s`)
  return { name, how: 'offline', seconds, bytes: rootfs.bytes }
}

/** `repo:tag` split at the last colon after the last slash. */
export function splitName(name: string): [string, string] {
  const colon = name.lastIndexOf(':')
  return colon > name.lastIndexOf('/') ? [name.slice(0, colon), name.slice(colon + 1)] : [name, 'latest']
}

/**
 * Holds a lock file while building, so concurrent runs build each image once: a run that finds
 * the lock held by a live owner waits for the image instead.
 */
async function withBuildLock<T>(docker: Docker, name: string, build: () => Promise<T>, existing: () => T): Promise<T> {
  mkdirSync(stateDir(), { recursive: true })
  const lock = join(stateDir(), `image-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`)
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      writeFileSync(lock, JSON.stringify(currentOwner()), { flag: 'wx' })
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    let holder: OwnerRef | undefined
    try {
      holder = JSON.parse(readFileSync(lock, 'utf8')) as OwnerRef
    } catch {
      holder = undefined
    }
    if (holder !== undefined && !ownerAlive(holder)) rmSync(lock, { force: true })
    else if (Date.now() > deadline) throw new Error(`waited ${LOCK_WAIT_MS / 1000} s for another run to build ${name} (lock ${lock})`)
    else await new Promise((r) => setTimeout(r, 250))
    if (await imageExists(docker, name)) return existing()
  }
  try {
    return (await imageExists(docker, name)) ? existing() : await build()
  } finally {
    rmSync(lock, { force: true })
  }
}

/**
 * Removes backend images beyond the `keep` newest: every rebuild of the app makes a new tag.
 * Removal is never forced, so an image a container still uses stays.
 */
export async function pruneOldImages(docker: Docker, keep: number, log: (l: string) => void): Promise<number> {
  const images = await docker.listImages({ filters: { reference: [IMAGE_REPOSITORY], label: ['layerbench=1'] } })
  let removed = 0
  for (const image of images.sort((a, b) => b.Created - a.Created).slice(keep)) {
    try {
      await docker.getImage(image.Id).remove()
      removed++
      log(`removed old backend image ${image.RepoTags?.join(', ') ?? image.Id}`)
    } catch {
      // In use, or removed by a concurrent run.
    }
  }
  return removed
}

/** Makes sure the backend image of the current build exists; returns its name and how it came to be. */
export async function ensureBackendImage(
  docker: Docker,
  options: { build?: 'auto' | 'registry' | 'offline'; log?: (l: string) => void; pullTimeoutMs?: number } = {},
): Promise<ImageResult> {
  const log = options.log ?? (() => {})
  const plan = backendImagePlan()
  if (await imageExists(docker, plan.name)) return { name: plan.name, how: 'existing' }
  const mode = options.build ?? 'auto'
  return withBuildLock(
    docker,
    plan.name,
    async () => {
      let result: ImageResult
      if (mode === 'offline') result = await buildOfflineImage(docker, plan, log)
      else if (await baseImageAvailable(docker, options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS, log)) result = await buildRegistryImage(docker, plan, log)
      else if (mode === 'registry') throw new Error(`${BASE_IMAGE} cannot be pulled and the registry build was asked for`)
      else result = await buildOfflineImage(docker, plan, log)
      await pruneOldImages(docker, KEEP_IMAGES, log).catch(() => 0)
      return result
    },
    () => ({ name: plan.name, how: 'existing' as const }),
  )
}
