import { ErrorCode, SidecarError, type Tensor } from "@gpu-sidecar/sidecar-core";
import type { InferContext } from "./async-inference-options.js";
import { concatInputs, rowsOfRecord, splitOutputs } from "./coalesced-tensors.js";
import { Coalescer } from "./coalescer.js";
import { DROPPED, type ElementQueue } from "./element-queue.js";
import { InFlightRecord, RecordState } from "./in-flight-record.js";
import { InferenceCall } from "./inference-call.js";
import { InferenceFailure } from "./inference-failure.js";
import type { OperatorMetrics } from "./operator-metrics.js";
import { OrderedElementQueue } from "./ordered-element-queue.js";
import type { ResolvedOptions } from "./resolve-options.js";
import { retryDelayMs } from "./retry-strategy.js";
import { RingBuffer } from "./ring-buffer.js";
import { UnorderedElementQueue } from "./unordered-element-queue.js";

/** Everything the operator emits; the public signature narrows it by the caller's generics. */
type Emitted<In, Out> = Out | In | InferenceFailure<In>;

interface Waiter<T> {
  readonly resolve: (result: IteratorResult<T>) => void;
  readonly reject: (reason: unknown) => void;
}

const Lifecycle = { Idle: 0, Running: 1, Done: 2, Failed: 3 } as const;
type Lifecycle = (typeof Lifecycle)[keyof typeof Lifecycle];

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** What a settled record holds instead of its inputs: never sent, as it is never attempted again. */
const RELEASED_INPUTS: Tensor[] = [];

/**
 * Flink's `AsyncWaitOperator` as an async iterator: one iteration of the source. It pulls the
 * source while fewer than `capacity` elements are inside, starts a call per record (or per
 * coalesced batch), and hands results to the consumer through the ordered or unordered queue.
 *
 * Each record settles exactly once (result, failure, default value or drop). Its deadline
 * timer runs from admission until that settlement whatever the attempts and pauses do, so no
 * interleaving of retry and timeout can leave it unsettled (FLINK-40456).
 */
export class AsyncInferenceOperator<In, Out> implements AsyncIterableIterator<Emitted<In, Out>> {
  private readonly queue: ElementQueue<Emitted<In, Out>>;
  private readonly coalescer: Coalescer<InFlightRecord<In, Emitted<In, Out>>> | undefined;
  private readonly live = new Set<InFlightRecord<In, Emitted<In, Out>>>();
  private readonly calls = new Set<InferenceCall<In, Emitted<In, Out>>>();
  private readonly waiters = new RingBuffer<Waiter<Emitted<In, Out>>>(4);
  private lifecycle: Lifecycle = Lifecycle.Idle;
  private failure: unknown;
  private failureDelivered = false;
  private source: Iterator<In> | AsyncIterator<In> | undefined;
  private sourceDone = false;
  private wakeSource: (() => void) | undefined;

  /** Lets the source loop pull again if there is room. */
  private readonly refill = (): void => {
    if (this.wakeSource !== undefined && this.queue.size < this.options.capacity) {
      const wake = this.wakeSource;
      this.wakeSource = undefined;
      wake();
    }
  };
  private readonly onAbort = (): void =>
    this.fail(
      new SidecarError(ErrorCode.Cancelled, "asyncInference: cancelled by options.signal", {
        cause: this.options.signal?.reason,
      }),
    );
  private readonly onDeadline = (record: InFlightRecord<In, Emitted<In, Out>>): void =>
    this.expire(record);
  private readonly onRetryDue = (record: InFlightRecord<In, Emitted<In, Out>>): void => {
    record.retryTimer = undefined;
    if (record.state === RecordState.Backoff) this.attempt(record);
  };

  constructor(
    private readonly iterable: AsyncIterable<In> | Iterable<In>,
    private readonly options: ResolvedOptions<In, Out>,
    private readonly metrics: OperatorMetrics,
  ) {
    this.queue = options.ordered ? new OrderedElementQueue() : new UnorderedElementQueue();
    const batch = options.batch;
    this.coalescer =
      batch === undefined
        ? undefined
        : new Coalescer(batch.maxRows, batch.maxDelayMs, (members) => this.sendBatch(members));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Emitted<In, Out>>> {
    const result = new Promise<IteratorResult<Emitted<In, Out>>>((resolve, reject) =>
      this.waiters.push({ resolve, reject }),
    );
    if (this.lifecycle === Lifecycle.Idle) this.start();
    this.handOff();
    // A slot freed by this very call is refilled a microtask later, once the caller's
    // continuation has received the element: nobody can then observe more than `capacity`
    // elements pulled from the source and not yet received.
    queueMicrotask(this.refill);
    return result;
  }

  /** The consumer stopped early (`break`, `return()`): abort every call and close the source. */
  return(): Promise<IteratorResult<Emitted<In, Out>>> {
    if (this.lifecycle === Lifecycle.Idle || this.lifecycle === Lifecycle.Running) {
      this.lifecycle = Lifecycle.Done;
      this.teardown(new SidecarError(ErrorCode.Cancelled, "asyncInference: the consumer stopped"));
      this.deliver();
    }
    return Promise.resolve(DONE);
  }

  private start(): void {
    this.lifecycle = Lifecycle.Running;
    const signal = this.options.signal;
    if (signal?.aborted) {
      this.onAbort();
      return;
    }
    signal?.addEventListener("abort", this.onAbort, { once: true });
    const iterable = this.iterable;
    this.source =
      Symbol.asyncIterator in iterable
        ? iterable[Symbol.asyncIterator]()
        : (iterable as Iterable<In>)[Symbol.iterator]();
    void this.pull(this.source);
  }

  /** Pulls the source while there is room: back-pressure is simply not asking for more. */
  private async pull(source: Iterator<In> | AsyncIterator<In>): Promise<void> {
    try {
      while (this.lifecycle === Lifecycle.Running) {
        if (this.queue.size >= this.options.capacity) {
          await new Promise<void>((resolve) => {
            this.wakeSource = resolve;
          });
          continue;
        }
        const step = await source.next();
        if (this.lifecycle !== Lifecycle.Running) return;
        if (step.done === true) {
          this.sourceDone = true;
          // Nothing else will join a partial batch.
          this.coalescer?.flush();
          this.deliver();
          return;
        }
        this.admit(step.value);
      }
    } catch (error) {
      // The source's own error, or isWatermark's, ends the stream unchanged.
      this.fail(error);
    }
  }

  private admit(element: In): void {
    if (this.options.isWatermark?.(element) === true) {
      this.queue.addWatermark(element);
      this.deliver();
      return;
    }
    const record = new InFlightRecord<In, Emitted<In, Out>>(element);
    this.queue.addRecord(record);
    this.live.add(record);
    this.metrics.recordsAdmitted(1);
    const timeoutMs = this.options.timeoutMs;
    if (timeoutMs !== Number.POSITIVE_INFINITY) {
      record.deadline = performance.now() + timeoutMs;
      // Timer arguments instead of a closure: nothing allocated per record but the timer.
      record.deadlineTimer = setTimeout(this.onDeadline, timeoutMs, record);
    }
    try {
      record.inputs = this.options.encode(element);
      if (this.coalescer !== undefined) record.rows = rowsOfRecord(record.inputs);
    } catch (error) {
      this.settleFailure(record, SidecarError.from(error));
      return;
    }
    this.attempt(record);
  }

  private attempt(record: InFlightRecord<In, Emitted<In, Out>>): void {
    record.attempts++;
    if (this.coalescer === undefined) {
      this.call([record], record.inputs);
    } else {
      record.state = RecordState.Coalescing;
      this.coalescer.add(record);
    }
  }

  private sendBatch(members: InFlightRecord<In, Emitted<In, Out>>[]): void {
    if (members.length === 1) {
      this.call(members, firstMember(members).inputs);
      return;
    }
    let inputs: Tensor[];
    try {
      inputs = concatInputs(members.map((member) => member.inputs));
    } catch {
      // Records whose tensors cannot share a batch (shapes, datatypes or input lists differ)
      // go alone rather than failing their neighbours.
      for (const member of members) this.call([member], member.inputs);
      return;
    }
    this.call(members, inputs);
  }

  private call(members: InFlightRecord<In, Emitted<In, Out>>[], inputs: Tensor[]): void {
    const now = performance.now();
    const call = new InferenceCall(members, now);
    let earliestDeadline = Number.POSITIVE_INFINITY;
    for (const member of members) {
      member.state = RecordState.Calling;
      member.call = call;
      earliestDeadline = Math.min(earliestDeadline, member.deadline);
    }
    this.calls.add(call);
    this.metrics.callStarted();
    const context: { signal: AbortSignal; priority?: number; timeoutMs?: number } = {
      signal: call.controller.signal,
    };
    if (this.options.priority !== undefined) context.priority = this.options.priority;
    if (earliestDeadline !== Number.POSITIVE_INFINITY) {
      context.timeoutMs = Math.max(1, Math.ceil(earliestDeadline - now));
    }
    let pending: Promise<Tensor[]>;
    try {
      pending = Promise.resolve(this.options.infer(inputs, context satisfies InferContext));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (outputs) => this.callSucceeded(call, outputs),
      (error: unknown) => this.callFailed(call, error),
    );
  }

  private callSucceeded(call: InferenceCall<In, Emitted<In, Out>>, outputs: Tensor[]): void {
    // Not in the set: the stream ended meanwhile and the outcome is moot.
    if (!this.calls.delete(call)) return;
    const latency = performance.now() - call.startedAt;
    if (call.members.length === 1) {
      this.metrics.callSucceeded(latency);
      const member = firstMember(call.members);
      if (member.call !== call) return;
      member.call = undefined;
      this.attemptSucceeded(member, outputs);
      return;
    }
    let perMember: Tensor[][];
    try {
      perMember = splitOutputs(
        outputs,
        call.members.map((member) => member.rows),
      );
    } catch (error) {
      this.metrics.callFailed(latency);
      this.membersFailed(call, SidecarError.from(error));
      return;
    }
    this.metrics.callSucceeded(latency);
    for (let i = 0; i < call.members.length; i++) {
      if (this.lifecycle !== Lifecycle.Running) return;
      const member = call.members[i] as InFlightRecord<In, Emitted<In, Out>>;
      if (member.call !== call) continue;
      member.call = undefined;
      this.attemptSucceeded(member, perMember[i] ?? []);
    }
  }

  private callFailed(call: InferenceCall<In, Emitted<In, Out>>, reason: unknown): void {
    if (!this.calls.delete(call)) return;
    this.metrics.callFailed(performance.now() - call.startedAt);
    this.membersFailed(call, SidecarError.from(reason));
  }

  private membersFailed(call: InferenceCall<In, Emitted<In, Out>>, error: SidecarError): void {
    for (const member of call.members) {
      if (this.lifecycle !== Lifecycle.Running) return;
      if (member.call !== call) continue;
      member.call = undefined;
      this.attemptFailed(member, error);
    }
  }

  private attemptSucceeded(record: InFlightRecord<In, Emitted<In, Out>>, outputs: Tensor[]): void {
    let result: Out;
    let again: boolean;
    try {
      result = this.options.decode(outputs, record.record);
      again = this.options.retryOnResult?.(result) === true;
    } catch (error) {
      this.settleFailure(record, SidecarError.from(error));
      return;
    }
    // Out of attempts, a result the predicate rejected is still the result (as in Flink).
    if (again && this.retryLater(record)) return;
    this.metrics.rowsProduced(record.rows);
    this.settle(record, result);
  }

  private attemptFailed(record: InFlightRecord<In, Emitted<In, Out>>, error: SidecarError): void {
    let retryable: boolean;
    try {
      retryable = this.options.retryOnError(error.code, error);
    } catch (predicateError) {
      this.settleFailure(record, SidecarError.from(predicateError));
      return;
    }
    if (retryable && this.retryLater(record)) return;
    this.settleFailure(record, error);
  }

  /** Schedules the record's next attempt; false when it has none left. */
  private retryLater(record: InFlightRecord<In, Emitted<In, Out>>): boolean {
    const retry = this.options.retry;
    if (retry === undefined || record.attempts >= this.options.maxAttempts) return false;
    const delay = retryDelayMs(retry, record.attempts, Math.random);
    if (performance.now() + delay >= record.deadline) {
      // An attempt that would start at or after the deadline is never started: the deadline
      // timer, already armed, settles the record.
      record.state = RecordState.AwaitingDeadline;
      return true;
    }
    record.state = RecordState.Backoff;
    record.retryTimer = setTimeout(this.onRetryDue, delay, record);
    this.metrics.retryScheduled();
    return true;
  }

  private expire(record: InFlightRecord<In, Emitted<In, Out>>): void {
    record.deadlineTimer = undefined;
    if (record.state === RecordState.Settled) return;
    this.abandonAttempt(record);
    const onTimeout = this.options.onTimeout;
    if (onTimeout === "drop") {
      this.settle(record, DROPPED);
    } else if (onTimeout === "fail") {
      this.settleFailure(
        record,
        new SidecarError(
          ErrorCode.DeadlineExceeded,
          `asyncInference: no result within timeoutMs ${this.options.timeoutMs} (${record.attempts} attempt(s))`,
        ),
      );
    } else {
      let fallback: Out;
      try {
        fallback = onTimeout.emit(record.record);
      } catch (error) {
        this.settleFailure(record, SidecarError.from(error));
        return;
      }
      this.settle(record, fallback);
    }
  }

  /** Detaches a record from whatever attempt or pause it is in; the last member out aborts its call. */
  private abandonAttempt(record: InFlightRecord<In, Emitted<In, Out>>): void {
    switch (record.state) {
      case RecordState.Coalescing:
        this.coalescer?.remove(record);
        break;
      case RecordState.Calling: {
        const call = record.call;
        record.call = undefined;
        if (call !== undefined && --call.waiting === 0) {
          call.controller.abort(
            new SidecarError(
              ErrorCode.DeadlineExceeded,
              "asyncInference: every record of the call timed out",
            ),
          );
        }
        break;
      }
      case RecordState.Backoff:
        clearTimeout(record.retryTimer);
        record.retryTimer = undefined;
        break;
    }
  }

  private settleFailure(record: InFlightRecord<In, Emitted<In, Out>>, error: SidecarError): void {
    if (this.options.onError === "emit")
      this.settle(record, new InferenceFailure(record.record, error));
    else this.fail(error);
  }

  private settle(
    record: InFlightRecord<In, Emitted<In, Out>>,
    output: Emitted<In, Out> | typeof DROPPED,
  ): void {
    clearTimeout(record.deadlineTimer);
    record.deadlineTimer = undefined;
    record.state = RecordState.Settled;
    record.inputs = RELEASED_INPUTS;
    this.live.delete(record);
    this.metrics.recordsSettled(1);
    this.queue.complete(record, output);
    this.deliver();
  }

  /** Hands emittable elements to waiting consumers, then refills the freed slots. */
  private deliver(): void {
    this.handOff();
    this.refill();
  }

  /** Hands emittable elements to waiting consumers, and ends the stream when all is done. */
  private handOff(): void {
    while (this.waiters.size > 0) {
      if (this.lifecycle === Lifecycle.Failed && !this.failureDelivered) {
        this.failureDelivered = true;
        this.waiters.shift()?.reject(this.failure);
      } else if (this.lifecycle === Lifecycle.Running && this.queue.hasEmittable()) {
        this.waiters.shift()?.resolve({ done: false, value: this.queue.poll() });
      } else if (this.lifecycle === Lifecycle.Running && this.sourceDone && this.queue.size === 0) {
        this.lifecycle = Lifecycle.Done;
        this.teardown(undefined);
      } else if (this.lifecycle === Lifecycle.Done || this.lifecycle === Lifecycle.Failed) {
        this.waiters.shift()?.resolve(DONE);
      } else {
        break;
      }
    }
  }

  private fail(error: unknown): void {
    if (this.lifecycle !== Lifecycle.Running) return;
    this.lifecycle = Lifecycle.Failed;
    this.failure = error;
    this.teardown(error);
    this.deliver();
  }

  /** Stops everything the stream started; `reason` aborts the calls still in flight. */
  private teardown(reason: unknown): void {
    this.options.signal?.removeEventListener("abort", this.onAbort);
    for (const call of this.calls) call.controller.abort(reason);
    this.calls.clear();
    for (const record of this.live) {
      clearTimeout(record.deadlineTimer);
      clearTimeout(record.retryTimer);
    }
    this.metrics.recordsSettled(this.live.size);
    this.live.clear();
    this.coalescer?.clear();
    const wake = this.wakeSource;
    this.wakeSource = undefined;
    wake?.();
    if (!this.sourceDone) this.closeSource();
  }

  private closeSource(): void {
    this.sourceDone = true;
    try {
      const closing = this.source?.return?.();
      // A source that fails while being closed has nobody left to tell: the stream already ended.
      if (closing instanceof Promise) closing.catch(() => undefined);
    } catch {
      // Same for a synchronous source.
    }
  }
}

function firstMember<T>(members: readonly T[]): T {
  return members[0] as T;
}
