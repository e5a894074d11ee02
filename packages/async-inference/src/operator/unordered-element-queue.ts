import {
  brokenInvariant,
  DROPPED,
  type ElementQueue,
  PENDING,
  type QueueSlot,
} from "./element-queue.js";
import { RingBuffer } from "./ring-buffer.js";

/** The records between two watermarks, and the watermark that closes them (Flink's `Segment`). */
interface Segment<O> {
  pending: number;
  readonly completed: RingBuffer<O>;
  watermark: O | typeof PENDING;
}

/**
 * Emits results as they arrive, but only those of the oldest segment: a watermark is emitted
 * once everything before it has been, and nothing after it goes before it. Segments are
 * numbered in admission order so that a slot names its segment without holding a reference.
 */
export class UnorderedElementQueue<O> implements ElementQueue<O> {
  private readonly segments = new RingBuffer<Segment<O>>();
  /** Number of the oldest segment still held. */
  private firstSegment = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  addRecord(slot: QueueSlot<O>): void {
    this.openSegment().pending++;
    slot.segment = this.firstSegment + this.segments.size - 1;
    this.count++;
  }

  addWatermark(watermark: O): void {
    this.openSegment().watermark = watermark;
    this.count++;
  }

  complete(slot: QueueSlot<O>, output: O | typeof DROPPED): void {
    slot.output = output;
    const segment = this.segments.at(slot.segment - this.firstSegment);
    if (segment === undefined) throw brokenInvariant("complete() of a record no segment holds");
    segment.pending--;
    if (output === DROPPED) this.count--;
    else segment.completed.push(output);
  }

  hasEmittable(): boolean {
    const head = this.segments.peek();
    if (head === undefined) return false;
    return head.completed.size > 0 || (head.pending === 0 && head.watermark !== PENDING);
  }

  poll(): O {
    const head = this.segments.peek();
    if (head === undefined) throw brokenInvariant("poll() with nothing to emit");
    if (head.completed.size > 0) {
      this.count--;
      return head.completed.shift() as O;
    }
    const watermark = head.watermark;
    if (head.pending > 0 || watermark === PENDING)
      throw brokenInvariant("poll() with nothing to emit");
    this.segments.shift();
    this.firstSegment++;
    this.count--;
    return watermark;
  }

  /** The segment new elements join: the youngest, unless a watermark closed it. */
  private openSegment(): Segment<O> {
    const last = this.segments.at(this.segments.size - 1);
    if (last !== undefined && last.watermark === PENDING) return last;
    const segment: Segment<O> = { pending: 0, completed: new RingBuffer<O>(4), watermark: PENDING };
    this.segments.push(segment);
    return segment;
  }
}
