import type { Backend, Outcome, Picker } from './types.js'

/**
 * Position of a backend in a snapshot, for feedback calls: by object first (the common case), then
 * by id. Feedback about a backend no longer in the snapshot (it left in a rebuild while its request
 * was in flight) yields -1.
 */
export interface BackendIndex {
  (backend: Backend): number
  byId(id: string): number
}

/** Indexes the backends of a snapshot. */
export function backendIndex(backends: readonly Backend[]): BackendIndex {
  const byObject = new Map<Backend, number>()
  const byId = new Map<string, number>()
  backends.forEach((b, i) => {
    byObject.set(b, i)
    byId.set(b.id, i)
  })
  const index = (b: Backend): number => byObject.get(b) ?? byId.get(b.id) ?? -1
  return Object.assign(index, { byId: (id: string) => byId.get(id) ?? -1 })
}

/**
 * A feedback algorithm's four feedback methods from the two by position: `onStart(b)` and
 * `onDone(b)` find the position first and ignore a backend that is not in the snapshot.
 */
export function positionalFeedback(
  indexOf: BackendIndex,
  startAt: (i: number) => void,
  doneAt: (i: number, outcome: Outcome) => void,
): Required<Pick<Picker, 'onStart' | 'onDone' | 'onStartAt' | 'onDoneAt'>> {
  return {
    onStartAt: startAt,
    onDoneAt: doneAt,
    onStart(b) {
      const i = indexOf(b)
      if (i >= 0) startAt(i)
    },
    onDone(b, outcome) {
      const i = indexOf(b)
      if (i >= 0) doneAt(i, outcome)
    },
  }
}
