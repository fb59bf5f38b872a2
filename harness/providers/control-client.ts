/**
 * A client of the backend app's control API (`GET /state`, `PUT /behaviour`, `POST /health`),
 * shared by both providers: the API is the same wherever the backend runs.
 */
import http from 'node:http'
import type { BehaviourPatch } from '../backend/backend-config.js'

/** A control API answer that was not a 2xx. */
export class ControlApiError extends Error {
  override readonly name = 'ControlApiError'
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 500)}`)
  }
}

/** One request to the control API; resolves with the parsed JSON body (or `undefined` when empty). */
export function controlRequest(host: string, port: number, method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown, timeoutMs = 5000): Promise<unknown> {
  const what = `${method} http://${host}:${port}${path}`
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const req = http.request(
      {
        host,
        port,
        method,
        path,
        agent: false,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const status = res.statusCode ?? 0
          if (status < 200 || status > 299) return reject(new ControlApiError(status, text, what))
          if (text.trim() === '') return resolve(undefined)
          try {
            resolve(JSON.parse(text))
          } catch {
            reject(new ControlApiError(status, text, `${what}: not JSON`))
          }
        })
      },
    )
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${what}: no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(payload)
  })
}

/** The control API of one backend. */
export class ControlClient {
  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  state(timeoutMs?: number): Promise<unknown> {
    return controlRequest(this.host, this.port, 'GET', '/state', undefined, timeoutMs)
  }

  /**
   * Polls `GET /state` every `pollMs` until it answers. Every `checkEvery`-th miss runs `check`,
   * which throws when the backend can no longer come up (its container exited, its task failed);
   * past `timeoutMs`, throws what `timedOut` gives.
   */
  async waitReady(o: { readonly timeoutMs: number; readonly pollMs: number; readonly checkEvery: number; readonly check: () => Promise<void>; readonly timedOut: () => Error | Promise<Error>; readonly signal?: AbortSignal | undefined }): Promise<void> {
    const deadline = Date.now() + o.timeoutMs
    for (let i = 0; ; i++) {
      o.signal?.throwIfAborted()
      try {
        await this.state(1000)
        return
      } catch {
        // Not listening yet (a cold node may still be loading the image).
      }
      if (i % o.checkEvery === o.checkEvery - 1) await o.check()
      if (Date.now() > deadline) throw await o.timedOut()
      await new Promise((r) => setTimeout(r, o.pollMs))
    }
  }

  async configure(behaviour: BehaviourPatch): Promise<void> {
    await controlRequest(this.host, this.port, 'PUT', '/behaviour', behaviour)
  }

  async setHealthy(healthy: boolean): Promise<void> {
    await controlRequest(this.host, this.port, 'POST', '/health', { healthy })
  }
}

/**
 * The part of a running backend that is the same under every provider: the faults and probes done
 * through its control API.
 */
export abstract class ControlledBackend {
  protected abstract readonly control: ControlClient

  /** Changes the behaviour (`PUT /behaviour`): absent fields are kept, `null` clears one. */
  configure(behaviour: BehaviourPatch): Promise<void> {
    return this.control.configure(behaviour)
  }

  /** What `/health` answers from now on (`POST /health`). */
  setHealthy(healthy: boolean): Promise<void> {
    return this.control.setHealthy(healthy)
  }

  /** `GET /state`. */
  state(): Promise<unknown> {
    return this.control.state()
  }
}
