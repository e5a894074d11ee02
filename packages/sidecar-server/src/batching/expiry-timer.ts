import type { CancelTimer, Clock } from "./clock.js";

/** An item's place in the expiry heap; pass it back to `remove`. */
export interface ExpiryEntry<T> {
  readonly item: T;
  readonly deadline: number;
}

class Entry<T> implements ExpiryEntry<T> {
  /** Position in the heap array; -1 once out of it. */
  index = -1;

  constructor(
    readonly item: T,
    readonly deadline: number,
  ) {}
}

/**
 * Expires items at their deadlines with ONE timer, armed for the earliest deadline, instead of
 * a timer per queued request: a min-heap of deadlines, each entry knowing its index so that a
 * request leaving early (scheduled, cancelled) is removed in O(log n) rather than left behind
 * as a tombstone holding its tensors until its deadline.
 */
export class ExpiryTimer<T> {
  readonly #clock: Clock;
  readonly #expire: (item: T) => void;
  readonly #heap: Entry<T>[] = [];
  #cancelTimer: CancelTimer | undefined;
  #armedFor = Infinity;
  readonly #fire = (): void => this.#onTimer();

  constructor(clock: Clock, expire: (item: T) => void) {
    this.#clock = clock;
    this.#expire = expire;
  }

  get size(): number {
    return this.#heap.length;
  }

  add(item: T, deadline: number): ExpiryEntry<T> {
    const entry = new Entry(item, deadline);
    entry.index = this.#heap.length;
    this.#heap.push(entry);
    this.#up(entry.index);
    this.#arm();
    return entry;
  }

  /** Forgets an entry; a no-op for one that already expired or was removed. */
  remove(handle: ExpiryEntry<T>): void {
    if (!(handle instanceof Entry) || this.#heap[handle.index] !== handle) return;
    const entry: Entry<T> = handle;
    const last = this.#heap.pop() as Entry<T>;
    if (last !== entry) {
      last.index = entry.index;
      this.#heap[entry.index] = last;
      this.#down(last.index);
      this.#up(last.index);
    }
    entry.index = -1;
    if (this.#heap.length === 0) this.#disarm();
  }

  /** Stops the timer; entries stay until removed but never expire. */
  close(): void {
    this.#disarm();
  }

  #onTimer(): void {
    this.#cancelTimer = undefined;
    this.#armedFor = Infinity;
    const now = this.#clock.now();
    for (let top = this.#heap[0]; top !== undefined && top.deadline <= now; top = this.#heap[0]) {
      this.remove(top);
      this.#expire(top.item);
    }
    this.#arm();
  }

  #arm(): void {
    const top = this.#heap[0];
    if (top === undefined || top.deadline >= this.#armedFor) return;
    this.#disarm();
    this.#armedFor = top.deadline;
    // Timers round to whole milliseconds; rounding up means the timer never fires before the
    // deadline (an early firing would find nothing due and re-arm).
    const delay = Math.max(0, Math.ceil(top.deadline - this.#clock.now()));
    this.#cancelTimer = this.#clock.setTimer(this.#fire, delay);
  }

  #disarm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#armedFor = Infinity;
  }

  #up(index: number): void {
    const heap = this.#heap;
    const entry = heap[index] as Entry<T>;
    let i = index;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex] as Entry<T>;
      if (parent.deadline <= entry.deadline) break;
      heap[i] = parent;
      parent.index = i;
      i = parentIndex;
    }
    heap[i] = entry;
    entry.index = i;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const entry = heap[index] as Entry<T>;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const leftEntry = heap[left] as Entry<T>;
      const rightEntry = heap[right];
      const child =
        rightEntry !== undefined && rightEntry.deadline < leftEntry.deadline
          ? rightEntry
          : leftEntry;
      if (child.deadline >= entry.deadline) break;
      const childIndex = child.index;
      heap[i] = child;
      child.index = i;
      i = childIndex;
    }
    heap[i] = entry;
    entry.index = i;
  }
}

export function createExpiryTimer<T>(clock: Clock, expire: (item: T) => void): ExpiryTimer<T> {
  return new ExpiryTimer(clock, expire);
}
