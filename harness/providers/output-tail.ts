/** The last bytes of a child's output, kept for error messages; older output is dropped. */
export class OutputTail {
  private chunks: Buffer[] = []
  private size = 0
  private dropped = false

  constructor(private readonly maxBytes = 16 * 1024) {}

  push(chunk: Buffer | string): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    this.chunks.push(b)
    this.size += b.length
    while (this.size > this.maxBytes && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length
      this.dropped = true
    }
    if (this.size > this.maxBytes) {
      const only = this.chunks[0]!
      this.chunks = [only.subarray(only.length - this.maxBytes)]
      this.size = this.maxBytes
      this.dropped = true
    }
  }

  /** The kept output, marked when older output was dropped. */
  text(): string {
    const s = Buffer.concat(this.chunks).toString('utf8')
    return this.dropped ? `…${s}` : s
  }

  /** The last `n` lines, for a one-screen error message. */
  lastLines(n: number): string {
    const lines = this.text().trimEnd().split('\n')
    return lines.slice(-n).join('\n')
  }
}
