/**
 * A growable FIFO on a power-of-two circular array. `Array.prototype.shift` is O(n) on V8
 * once an array leaves its fast-elements mode, so the operator's queues use this instead
 * (the technique of undici's FixedQueue). Removed slots are cleared so that emitted
 * results do not stay reachable.
 */
export class RingBuffer<T> {
  private slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 16) {
    let size = 1;
    while (size < initialCapacity) size *= 2;
    this.slots = new Array<T | undefined>(size);
  }

  get size(): number {
    return this.count;
  }

  push(value: T): void {
    if (this.count === this.slots.length) this.grow();
    this.slots[(this.head + this.count) & (this.slots.length - 1)] = value;
    this.count++;
  }

  /** The oldest element, or undefined when empty. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  /** The element `index` places after the oldest, or undefined when out of range. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.slots[(this.head + index) & (this.slots.length - 1)];
  }

  /** Removes and returns the oldest element, or undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const value = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.count--;
    return value;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.slots.length * 2);
    for (let i = 0; i < this.count; i++) {
      next[i] = this.slots[(this.head + i) & (this.slots.length - 1)];
    }
    this.slots = next;
    this.head = 0;
  }
}
