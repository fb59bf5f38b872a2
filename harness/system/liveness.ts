/**
 * Children that end with the process that started them, however it ends (HAProxy's
 * master-worker idea). The parent gives each child one end of a pipe on an extra file descriptor
 * and never writes to it; the kernel closes the parent's end when the parent dies — exit, crash or
 * SIGKILL — and the child, which watches its end, sees end-of-file and stops.
 */
import { Socket } from 'node:net'
import type { StdioOptions } from 'node:child_process'

/** The environment variable naming the child's descriptor of the liveness pipe. */
export const LIVENESS_FD_ENV = 'LAYERBENCH_LIVENESS_FD'

/**
 * Spawn options that add the liveness pipe after `stdio` (three entries) and tell the child
 * which descriptor it is. The parent keeps its end open for the child's whole life.
 */
export function withLivenessPipe(stdio: readonly ('ignore' | 'pipe' | 'inherit')[], env: NodeJS.ProcessEnv = process.env): { stdio: StdioOptions; env: NodeJS.ProcessEnv } {
  return { stdio: [...stdio, 'pipe'], env: { ...env, [LIVENESS_FD_ENV]: String(stdio.length) } }
}

/**
 * In a child: calls `onParentGone` once when the liveness pipe closes. Does nothing (returns
 * false) when the process was not started with one — by hand, or in a container. The watch does
 * not keep the process alive by itself.
 */
export function watchParentLiveness(onParentGone: () => void, env: NodeJS.ProcessEnv = process.env): boolean {
  const fd = Number(env[LIVENESS_FD_ENV])
  if (!Number.isInteger(fd) || fd < 3) return false
  // Grandchildren (a profiler's node) must not take the parent's pipe for theirs.
  delete process.env[LIVENESS_FD_ENV]
  let socket: Socket
  try {
    socket = new Socket({ fd, readable: true, writable: false })
  } catch {
    return false
  }
  let fired = false
  const gone = () => {
    if (fired) return
    fired = true
    onParentGone()
  }
  socket.on('end', gone)
  socket.on('close', gone)
  socket.on('error', gone)
  socket.resume()
  socket.unref()
  return true
}
