/**
 * The storage behind Task 2's exact sliding window: a multiset of `(time, tag)` pairs that
 * gives its entries back oldest first when they fall out of the window.
 *
 * Entries live in typed-array columns (a Float64 time and a Uint32 tag: 12 bytes each, no
 * object per entry), split in two parts:
 * - a ring buffer (deque) for entries that arrive in time order, appended at the tail and
 *   evicted from the head in O(1);
 * - a binary min-heap for the entries older than the ring's tail when they arrive (events
 *   out of order), O(log h) per insert and eviction for a heap of h entries.
 * Both grow by doubling and shrink by half once three quarters empty, so memory follows the
 * window's current content and every resize is paid for by the inserts or evictions since
 * the last one.
 */

const MIN_CAPACITY = 16;

export class TimeOrderedStore {
  private ringTimes = new Float64Array(MIN_CAPACITY);
  private ringTags = new Uint32Array(MIN_CAPACITY);
  /** Capacity - 1; capacities are powers of two so positions wrap with a mask. */
  private ringMask = MIN_CAPACITY - 1;
  private ringHead = 0;
  private ringSize = 0;

  private heapTimes = new Float64Array(MIN_CAPACITY);
  private heapTags = new Uint32Array(MIN_CAPACITY);
  private heapSize = 0;

  /** Entries held. */
  get size(): number {
    return this.ringSize + this.heapSize;
  }

  /** Adds an entry; `tag` is an unsigned 32-bit integer the caller decodes on eviction. */
  insert(time: number, tag: number): void {
    const tail = (this.ringHead + this.ringSize - 1) & this.ringMask;
    if (this.ringSize === 0 || time >= this.ringTimes[tail]!) this.pushRing(time, tag);
    else this.pushHeap(time, tag);
  }

  /** Removes every entry with a time below `threshold`, handing each tag to `onEvict`. */
  evictBefore(threshold: number, onEvict: (tag: number) => void): void {
    const ringTimes = this.ringTimes;
    while (this.ringSize > 0 && ringTimes[this.ringHead]! < threshold) {
      onEvict(this.ringTags[this.ringHead]!);
      this.ringHead = (this.ringHead + 1) & this.ringMask;
      this.ringSize -= 1;
    }
    while (this.heapSize > 0 && this.heapTimes[0]! < threshold) {
      onEvict(this.heapTags[0]!);
      this.popHeap();
    }
    if (this.ringTimes.length > MIN_CAPACITY && this.ringSize * 4 <= this.ringTimes.length) {
      this.resizeRing(this.ringTimes.length / 2);
    }
    if (this.heapTimes.length > MIN_CAPACITY && this.heapSize * 4 <= this.heapTimes.length) {
      this.resizeHeap(this.heapTimes.length / 2);
    }
  }

  /**
   * Every entry as fresh columns, oldest first (entries of equal time in no set order): what
   * a state encodes and merges. O(n + h log h): the ring is already in order, only the heap's
   * entries are sorted.
   */
  sortedEntries(): { times: Float64Array; tags: Uint32Array } {
    const times = new Float64Array(this.size);
    const tags = new Uint32Array(this.size);
    const heapTimes = this.heapTimes;
    const heapOrder = new Uint32Array(this.heapSize);
    for (let i = 0; i < heapOrder.length; i++) heapOrder[i] = i;
    heapOrder.sort((a, b) => heapTimes[a]! - heapTimes[b]!);
    let r = 0;
    let h = 0;
    for (let out = 0; out < times.length; out++) {
      const ringAt = (this.ringHead + r) & this.ringMask;
      const fromRing =
        h === heapOrder.length ||
        (r < this.ringSize && this.ringTimes[ringAt]! <= heapTimes[heapOrder[h]!]!);
      if (fromRing) {
        times[out] = this.ringTimes[ringAt]!;
        tags[out] = this.ringTags[ringAt]!;
        r += 1;
      } else {
        times[out] = heapTimes[heapOrder[h]!]!;
        tags[out] = this.heapTags[heapOrder[h]!]!;
        h += 1;
      }
    }
    return { times, tags };
  }

  /**
   * Replaces every entry's tag by `relabel(tag)`, times unchanged: how a state renumbers its
   * services. The heap stays valid since it is ordered by time only.
   */
  relabel(relabel: (tag: number) => number): void {
    for (let i = 0; i < this.ringSize; i++) {
      const at = (this.ringHead + i) & this.ringMask;
      this.ringTags[at] = relabel(this.ringTags[at]!);
    }
    for (let i = 0; i < this.heapSize; i++) this.heapTags[i] = relabel(this.heapTags[i]!);
  }

  private pushRing(time: number, tag: number): void {
    if (this.ringSize === this.ringTimes.length) this.resizeRing(this.ringTimes.length * 2);
    const at = (this.ringHead + this.ringSize) & this.ringMask;
    this.ringTimes[at] = time;
    this.ringTags[at] = tag;
    this.ringSize += 1;
  }

  /** Moves the ring's entries, oldest first, to the start of new columns. */
  private resizeRing(capacity: number): void {
    const times = new Float64Array(capacity);
    const tags = new Uint32Array(capacity);
    const firstPart = Math.min(this.ringSize, this.ringTimes.length - this.ringHead);
    times.set(this.ringTimes.subarray(this.ringHead, this.ringHead + firstPart));
    tags.set(this.ringTags.subarray(this.ringHead, this.ringHead + firstPart));
    times.set(this.ringTimes.subarray(0, this.ringSize - firstPart), firstPart);
    tags.set(this.ringTags.subarray(0, this.ringSize - firstPart), firstPart);
    this.ringTimes = times;
    this.ringTags = tags;
    this.ringMask = capacity - 1;
    this.ringHead = 0;
  }

  private pushHeap(time: number, tag: number): void {
    if (this.heapSize === this.heapTimes.length) this.resizeHeap(this.heapTimes.length * 2);
    const times = this.heapTimes;
    const tags = this.heapTags;
    // Sift up: move parents down until the new entry's place is found.
    let at = this.heapSize;
    this.heapSize += 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (times[parent]! <= time) break;
      times[at] = times[parent]!;
      tags[at] = tags[parent]!;
      at = parent;
    }
    times[at] = time;
    tags[at] = tag;
  }

  private popHeap(): void {
    const times = this.heapTimes;
    const tags = this.heapTags;
    this.heapSize -= 1;
    const size = this.heapSize;
    if (size === 0) return;
    // Sift the last entry down from the root.
    const time = times[size]!;
    const tag = tags[size]!;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      if (child + 1 < size && times[child + 1]! < times[child]!) child += 1;
      if (times[child]! >= time) break;
      times[at] = times[child]!;
      tags[at] = tags[child]!;
      at = child;
    }
    times[at] = time;
    tags[at] = tag;
  }

  private resizeHeap(capacity: number): void {
    const times = new Float64Array(capacity);
    const tags = new Uint32Array(capacity);
    times.set(this.heapTimes.subarray(0, this.heapSize));
    tags.set(this.heapTags.subarray(0, this.heapSize));
    this.heapTimes = times;
    this.heapTags = tags;
  }
}
