/**
 * A binary min-heap over the integers 0..n-1 ordered by two keys kept outside the heap — `primary`,
 * then `secondary`, then the integer itself — so the order is total and deterministic. Callers
 * change an item's keys, then call `update(item)` to restore the order in O(log n). Comparisons are
 * inline on typed arrays: pickers update this heap on every request.
 */
export class IndexedHeap {
  private readonly heap: Int32Array
  /** Position of each item in `heap`, -1 when absent. */
  private readonly position: Int32Array
  private count = 0

  constructor(
    readonly primary: Float64Array,
    readonly secondary: Float64Array,
  ) {
    this.heap = new Int32Array(primary.length)
    this.position = new Int32Array(primary.length).fill(-1)
  }

  get size(): number {
    return this.count
  }

  /** True when item `a` orders before item `b`. */
  less(a: number, b: number): boolean {
    const p = this.primary
    const pa = p[a]!
    const pb = p[b]!
    if (pa !== pb) return pa < pb
    const s = this.secondary
    const sa = s[a]!
    const sb = s[b]!
    return sa !== sb ? sa < sb : a < b
  }

  /** The least item, or -1 when empty. */
  peek(): number {
    return this.count === 0 ? -1 : this.heap[0]!
  }

  push(item: number): void {
    const i = this.count++
    this.heap[i] = item
    this.position[item] = i
    this.siftUp(i)
  }

  /** Restores the heap order after `item`'s keys changed in either direction. */
  update(item: number): void {
    const i = this.position[item]!
    if (i < 0) return
    if (!this.siftUp(i)) this.siftDown(i)
  }

  private siftUp(i: number): boolean {
    const heap = this.heap
    const position = this.position
    const item = heap[i]!
    const start = i
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent]!
      if (!this.less(item, p)) break
      heap[i] = p
      position[p] = i
      i = parent
    }
    heap[i] = item
    position[item] = i
    return i !== start
  }

  private siftDown(i: number): void {
    const heap = this.heap
    const position = this.position
    const n = this.count
    const item = heap[i]!
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      const child = right < n && this.less(heap[right]!, heap[left]!) ? right : left
      const c = heap[child]!
      if (!this.less(c, item)) break
      heap[i] = c
      position[c] = i
      i = child
    }
    heap[i] = item
    position[item] = i
  }
}
