/**
 * The control API, plain HTTP/JSON on its own port and never delayed by the injected behaviour:
 * `GET /state`, `PUT /behaviour` (a partial behaviour; `null` clears a field), `POST /health`
 * `{ healthy }`, `POST /reset-counters`. Errors are `{ code, message, issues? }`.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { z } from 'zod'
import { behaviourPatchSchema, zodIssues } from './backend-config.js'
import type { BackendState } from './backend-state.js'
import { readJsonBody } from '../../engine/runtime/read-json-body.js'

/** Stable codes of the control API's error answers. */
export const controlErrors = {
  BACKEND_ERR_NOT_FOUND: 'no such control endpoint',
  BACKEND_ERR_BAD_JSON: 'request body is not JSON',
  BACKEND_ERR_BAD_REQUEST: 'invalid request body',
  BACKEND_ERR_BODY_TOO_LARGE: 'request body over 64 KiB',
  BACKEND_ERR_INTERNAL: 'the control API failed',
} as const

const MAX_BODY_BYTES = 65_536
const healthSchema = z.strictObject({ healthy: z.boolean() })
const emptySchema = z.strictObject({})

class ControlProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: keyof typeof controlErrors,
    readonly issues?: { path: string; message: string }[],
  ) {
    super(controlErrors[code])
  }
}

/** A bound control server. */
export interface ControlServer {
  readonly port: number
  close(): Promise<void>
}

const controlBodyErrors = {
  tooLarge: () => new ControlProblem(413, 'BACKEND_ERR_BODY_TOO_LARGE'),
  badJson: () => new ControlProblem(400, 'BACKEND_ERR_BAD_JSON'),
}
const readJson = (req: IncomingMessage) => readJsonBody(req, MAX_BODY_BYTES, controlBodyErrors)

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value)
  if (!r.success) throw new ControlProblem(400, 'BACKEND_ERR_BAD_REQUEST', zodIssues(r.error))
  return r.data
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n'
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

/** Binds the control API for `state`; `log` records every change. */
export function listenControl(state: BackendState, host: string, port: number, log: (message: string) => void): Promise<ControlServer> {
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]
    const key = `${req.method ?? 'GET'} ${path}`
    switch (key) {
      case 'GET /state':
        return send(res, 200, state.snapshot())
      case 'PUT /behaviour': {
        const behaviour = state.changeBehaviour(parse(behaviourPatchSchema, await readJson(req)))
        log(`behaviour ${JSON.stringify(behaviour)}`)
        return send(res, 200, state.snapshot())
      }
      case 'POST /health': {
        const { healthy } = parse(healthSchema, await readJson(req))
        state.changeBehaviour({ healthy })
        log(`health ${healthy ? 'healthy' : 'unhealthy'}`)
        return send(res, 200, state.snapshot())
      }
      case 'POST /reset-counters':
        parse(emptySchema, await readJson(req))
        state.resetCounters()
        return send(res, 200, state.snapshot())
      default:
        req.resume()
        throw new ControlProblem(404, 'BACKEND_ERR_NOT_FOUND')
    }
  }
  const server = http.createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (e instanceof ControlProblem) {
        return send(res, e.status, { code: e.code, message: e.message, ...(e.issues === undefined ? {} : { issues: e.issues }) })
      }
      log(`control API error: ${String(e)}`)
      send(res, 500, { code: 'BACKEND_ERR_INTERNAL', message: controlErrors.BACKEND_ERR_INTERNAL })
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject)
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}
