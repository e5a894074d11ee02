import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import type { Clock } from "./clock.js";
import { createExpiryTimer, type ExpiryEntry, type ExpiryTimer } from "./expiry-timer.js";
import type { InferenceRequest } from "./inference-request.js";
import { createLinkedFifo, type FifoNode, type LinkedFifo } from "./linked-fifo.js";

export interface RequestQueueLimits {
  /** Queued requests beyond which a push is refused. */
  readonly maxQueueSize: number;
  /** Queued input bytes beyond which a push is refused. */
  readonly maxQueueBytes: number;
  /** Priorities run 1 (highest) to this. */
  readonly priorityLevels: number;
}

/** The queued requests of one shape key: the ones that may share a batch. */
export interface QueueGroup {
  readonly shapeKey: string;
  /** The request a batch of this group is formed around: highest priority, then oldest. */
  readonly head: InferenceRequest;
  /** Strict priority, FIFO within a level. */
  members(): IterableIterator<InferenceRequest>;
}

class Group implements QueueGroup {
  /** One FIFO per priority level, index 0 for priority 1; created on first use. */
  readonly levels: (LinkedFifo<InferenceRequest> | undefined)[];
  size = 0;

  constructor(
    readonly shapeKey: string,
    priorityLevels: number,
  ) {
    this.levels = new Array<LinkedFifo<InferenceRequest> | undefined>(priorityLevels);
  }

  get head(): InferenceRequest {
    for (const level of this.levels) {
      const first = level?.peek();
      if (first !== undefined) return first;
    }
    throw new SidecarError(ErrorCode.Internal, `queue group '${this.shapeKey}' is empty`);
  }

  *members(): IterableIterator<InferenceRequest> {
    for (const level of this.levels) if (level !== undefined) yield* level;
  }
}

interface Placement {
  readonly group: Group;
  readonly level: LinkedFifo<InferenceRequest>;
  readonly node: FifoNode<InferenceRequest>;
  readonly expiry: ExpiryEntry<InferenceRequest> | undefined;
}

/**
 * The batcher's queue and its policy: strict priority between levels and FIFO within one,
 * bounded by request count and bytes (a push past either is refused at once, never buffered),
 * and deadlines enforced by one shared timer, so a request expires when its timeout passes,
 * not when a running batch ends (Triton #7512). Requests are kept per shape key so that a
 * batch is gathered from compatible requests without scanning the others.
 */
export class RequestQueue {
  readonly #limits: RequestQueueLimits;
  readonly #groups = new Map<string, Group>();
  readonly #placements = new Map<InferenceRequest, Placement>();
  readonly #expiry: ExpiryTimer<InferenceRequest>;
  #bytes = 0;

  constructor(limits: RequestQueueLimits, clock: Clock) {
    this.#limits = limits;
    this.#expiry = createExpiryTimer(clock, (request: InferenceRequest) => {
      // Its owner normally takes it out on release (and reports the new depth); removing
      // afterwards is a no-op then, and a guarantee otherwise.
      request.expire();
      this.remove(request);
    });
  }

  /** Queued requests. */
  get size(): number {
    return this.#placements.size;
  }

  /** Input bytes of the queued requests. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Why a request of `byteLength` bytes cannot be queued now, or undefined when it can. */
  capacityError(byteLength: number): SidecarError | undefined {
    const { maxQueueSize, maxQueueBytes } = this.#limits;
    if (this.#placements.size >= maxQueueSize) {
      return new SidecarError(
        ErrorCode.ResourceExhausted,
        `queue full: ${this.#placements.size} requests queued, max_queue_size is ${maxQueueSize}; retry later or raise max_queue_size`,
      );
    }
    if (this.#bytes + byteLength > maxQueueBytes) {
      return new SidecarError(
        ErrorCode.ResourceExhausted,
        `queue full: ${this.#bytes} bytes queued and this request has ${byteLength}, max_queue_bytes is ${maxQueueBytes}; retry later or raise max_queue_bytes`,
      );
    }
    return undefined;
  }

  /**
   * Queues a request whose priority is within 1..priorityLevels; throws RESOURCE_EXHAUSTED
   * (and queues nothing) when a bound is reached.
   */
  push(request: InferenceRequest): void {
    const refused = this.capacityError(request.byteLength);
    if (refused !== undefined) throw refused;
    let group = this.#groups.get(request.shapeKey);
    if (group === undefined) {
      group = new Group(request.shapeKey, this.#limits.priorityLevels);
      this.#groups.set(request.shapeKey, group);
    }
    const levelIndex = request.priority - 1;
    let level = group.levels[levelIndex];
    if (level === undefined) {
      level = createLinkedFifo<InferenceRequest>();
      group.levels[levelIndex] = level;
    }
    const node = level.push(request);
    group.size++;
    const expiry =
      request.deadline === Infinity ? undefined : this.#expiry.add(request, request.deadline);
    this.#placements.set(request, { group, level, node, expiry });
    this.#bytes += request.byteLength;
  }

  /** Takes a request out wherever it is in the queue; false when it was not queued. O(log n). */
  remove(request: InferenceRequest): boolean {
    const placement = this.#placements.get(request);
    if (placement === undefined) return false;
    this.#placements.delete(request);
    const { group, level, node, expiry } = placement;
    level.remove(node);
    if (expiry !== undefined) this.#expiry.remove(expiry);
    this.#bytes -= request.byteLength;
    if (--group.size === 0) this.#groups.delete(group.shapeKey);
    return true;
  }

  has(request: InferenceRequest): boolean {
    return this.#placements.has(request);
  }

  /** The non-empty groups, the one holding the most urgent request first. */
  groups(): QueueGroup[] {
    const groups: Group[] = Array.from(this.#groups.values());
    if (groups.length > 1) {
      groups.sort((a, b) => {
        const headA = a.head;
        const headB = b.head;
        return headA.priority - headB.priority || headA.sequence - headB.sequence;
      });
    }
    return groups;
  }

  /** Stops the expiry timer; call once nothing is queued any more. */
  close(): void {
    this.#expiry.close();
  }
}

export function createRequestQueue(limits: RequestQueueLimits, clock: Clock): RequestQueue {
  return new RequestQueue(limits, clock);
}
