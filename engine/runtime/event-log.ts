/** Something the engine did or noticed, with when (epoch µs). */
export interface EngineEvent {
  /** Increasing sequence number: `/events?since=N` returns what came after N. */
  readonly seq: number
  readonly atUs: number
  readonly type: string
  readonly pool?: string
  readonly backend?: string
  readonly listener?: string
  readonly detail?: string
}

/** A bounded log of engine events (health transitions, ejections, drains, runtime changes). */
export class EventLog {
  private readonly events: EngineEvent[] = []
  private seq = 0

  constructor(
    private readonly capacity = 10_000,
    private readonly onEvent?: (e: EngineEvent) => void,
  ) {}

  add(event: Omit<EngineEvent, 'seq'>): EngineEvent {
    const e = { seq: ++this.seq, ...event }
    this.events.push(e)
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity)
    this.onEvent?.(e)
    return e
  }

  /** Events after sequence number `seq`, oldest first. */
  since(seq = 0): EngineEvent[] {
    return this.events.filter((e) => e.seq > seq)
  }
}
