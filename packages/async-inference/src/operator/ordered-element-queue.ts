import {
  brokenInvariant,
  DROPPED,
  type ElementQueue,
  PENDING,
  type QueueSlot,
} from "./element-queue.js";
import { RingBuffer } from "./ring-buffer.js";

/** Emits in admission order: the head waits for its result, everything behind it waits for the head. */
export class OrderedElementQueue<O> implements ElementQueue<O> {
  private readonly slots = new RingBuffer<QueueSlot<O>>();

  get size(): number {
    return this.slots.size;
  }

  addRecord(slot: QueueSlot<O>): void {
    this.slots.push(slot);
  }

  addWatermark(watermark: O): void {
    this.slots.push({ output: watermark, segment: 0 });
  }

  complete(slot: QueueSlot<O>, output: O | typeof DROPPED): void {
    slot.output = output;
    this.skipDropped();
  }

  hasEmittable(): boolean {
    const head = this.slots.peek();
    return head !== undefined && head.output !== PENDING;
  }

  poll(): O {
    const output = this.slots.shift()?.output ?? PENDING;
    if (output === PENDING || output === DROPPED)
      throw brokenInvariant("poll() with nothing to emit");
    this.skipDropped();
    return output;
  }

  private skipDropped(): void {
    while (this.slots.peek()?.output === DROPPED) this.slots.shift();
  }
}
