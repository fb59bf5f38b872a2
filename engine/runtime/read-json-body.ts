import type { IncomingMessage } from 'node:http'

/** What a JSON body reader rejects with: each control API names its own errors. */
export interface JsonBodyErrors {
  /** The body is longer than the limit. */
  tooLarge(): Error
  /** The body is not JSON. */
  badJson(): Error
}

/**
 * Reads the small JSON body of a control request (the admin API, the backend app's control
 * server): `{}` when empty, `tooLarge()` past `maxBytes`, `badJson()` when it does not parse.
 * An oversized body is read to its end without being kept, so the client can take in the answer
 * instead of a reset.
 */
export function readJsonBody(req: IncomingMessage, maxBytes: number, errors: JsonBodyErrors): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= maxBytes) chunks.push(c)
    })
    req.on('end', () => {
      if (size > maxBytes) return reject(errors.tooLarge())
      const text = Buffer.concat(chunks).toString('utf8').trim()
      if (text === '') return resolve({})
      try {
        resolve(JSON.parse(text))
      } catch {
        reject(errors.badJson())
      }
    })
    req.on('error', reject)
  })
}
