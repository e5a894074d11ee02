import {
  ErrorCode,
  type ModelSignature,
  SidecarError,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import type { Context } from "@opentelemetry/api";
import {
  type BatchSpans,
  endBatchSpans,
  endSpan,
  startBatchSpans,
  startQueueSpan,
} from "../tracing/batch-spans.js";
import { isDeadlineAbort } from "./abort-reason.js";
import {
  asInternal,
  assembleInputs,
  type BatchSlice,
  batchOutputNames,
  splitOutputs,
} from "./batch-assembly.js";
import type { BatchExecutor } from "./batch-executor.js";
import { planBatch, type ReadyBatch } from "./batch-former.js";
import {
  type BatcherSettings,
  type DynamicBatcherConfig,
  resolveBatcherSettings,
} from "./batcher-config.js";
import type { BatcherMetrics, MetricOutcome } from "./batcher-metrics.js";
import {
  type BatcherStatistics,
  type ComputePhases,
  createStatisticsRecorder,
  type StatisticsRecorder,
} from "./batcher-statistics.js";
import { type CancelTimer, type Clock, systemClock } from "./clock.js";
import {
  createInferenceRequest,
  type InferenceRequest,
  type RequestChunk,
  type RequestOutcome,
  type RequestOwner,
} from "./inference-request.js";
import { splitIntoChunks } from "./request-chunks.js";
import { createRequestQueue, type RequestQueue } from "./request-queue.js";
import { createRequestValidator, type RequestValidator } from "./request-validator.js";
import { createShapeKeyFunction, type ShapeKeyFunction } from "./shape-key.js";

/** One inference call as the batcher takes it. */
export interface InferenceSubmission {
  readonly inputs: readonly Tensor[];
  /** Outputs to return, in this order; default: all of the model's, in signature order. */
  readonly outputs?: readonly string[] | undefined;
  /** 1 is the highest; 0, absent or above the model's levels: the default priority (Triton). */
  readonly priority?: number | undefined;
  /** Queue timeout; it can only lower `default_timeout_us`. 0 or absent: the default. */
  readonly timeoutUs?: number | undefined;
  /** Aborting it cancels the request wherever it is. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The context of the request's span, set only while an OpenTelemetry SDK is registered: the
   * batcher adds its `queue` and `compute` children and links the `batch` span to it.
   */
  readonly trace?: Context | undefined;
}

export interface DynamicBatcherOptions {
  readonly signature: ModelSignature;
  readonly config: DynamicBatcherConfig;
  readonly executor: BatchExecutor;
  readonly clock?: Clock | undefined;
  readonly metrics?: BatcherMetrics | undefined;
}

/** The per-model dynamic batcher. */
export interface DynamicBatcher {
  /** The requested outputs of this request alone, or a SidecarError. */
  submit(submission: InferenceSubmission): Promise<Tensor[]>;
  /**
   * The error `submit` would refuse any request with now (draining: UNAVAILABLE; queue at
   * `max_queue_size`: RESOURCE_EXHAUSTED), recorded as a refused request; undefined when a
   * request may be submitted (it can still be refused for its own size or content). Lets a
   * server refuse before decoding a request.
   */
  admissionError(): SidecarError | undefined;
  /** Requests accepted and not yet settled (queued or running). */
  readonly pending: number;
  /** Requests waiting in the queue. */
  readonly queued: number;
  statistics(): BatcherStatistics;
  /**
   * Stops accepting (submit then fails with UNAVAILABLE), runs what is queued without waiting
   * for company, and resolves once every accepted request is settled and no batch runs.
   * Idempotent: every call returns the same promise.
   */
  close(): Promise<void>;
  /**
   * Stops without running the queue (after a drain timeout): refuses new requests as `close`
   * does, fails every queued request with UNAVAILABLE, and returns `close`'s promise, which
   * resolves once the batches already running have ended.
   */
  destroy(): Promise<void>;
}

const metricOutcomes: Readonly<Record<RequestOutcome, MetricOutcome>> = {
  resolved: "success",
  rejected: "failed",
  expired: "timeout",
  cancelled: "cancelled",
};

/** A dispatched batch, until the executor answers. */
interface RunningBatch {
  readonly slices: readonly BatchSlice[];
  readonly rows: number;
  readonly outputNames: readonly string[];
  /** When the batch was taken from the queue, before its inputs were assembled. */
  readonly dispatchedAt: number;
  /** When the assembled batch was handed to the executor. */
  readonly startedAt: number;
  readonly queueTimeMs: number;
  /** While tracing and a member is traced. */
  readonly spans: BatchSpans | undefined;
}

/** A batch taken from the queue, ready for the executor. */
interface FormedBatch {
  readonly slices: readonly BatchSlice[];
  readonly inputs: Tensor[];
  readonly outputNames: string[];
  /** Enqueue time of the longest-waiting member. */
  readonly oldest: number;
  /** The members' trace contexts, while tracing and a member is traced. */
  readonly traced: Context[] | undefined;
}

/**
 * The forming loop. `#pump` runs when something can change the answer to "what runs next?"
 * (a submit, an idle instance, a finished batch, a queue-delay timer); it dispatches batches
 * while an executor instance is idle and the most urgent shape group has a due batch. A group
 * that waits for company holds one idle instance, so a less urgent group can use a spare
 * instance but never the one the waiting group will need (strict priority).
 */
class Batcher implements DynamicBatcher, RequestOwner {
  readonly #settings: BatcherSettings;
  readonly #validator: RequestValidator;
  readonly #shapeKey: ShapeKeyFunction;
  readonly #queue: RequestQueue;
  readonly #executor: BatchExecutor;
  readonly #clock: Clock;
  readonly #metrics: BatcherMetrics | undefined;
  readonly #statistics: StatisticsRecorder = createStatisticsRecorder();
  readonly #signatureOutputs: readonly string[];
  readonly #unsubscribeIdle: () => void;
  // Bound once: the pump is scheduled per tick and per timer, never per request.
  readonly #runPump = (): void => this.#pump();
  // The idle signal only schedules a pump, so a pool that signals from inside `run` cannot
  // re-enter a dispatch.
  readonly #requestPump = (): void => this.#schedulePump();
  readonly #onWake = (): void => {
    this.#cancelWake = undefined;
    this.#wakeAt = Infinity;
    this.#pump();
  };
  #sequence = 0;
  #pending = 0;
  #running = 0;
  #pumpScheduled = false;
  #cancelWake: CancelTimer | undefined;
  #wakeAt = Infinity;
  #closed: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;

  constructor(options: DynamicBatcherOptions) {
    const { signature, config, executor } = options;
    this.#settings = resolveBatcherSettings(signature, config);
    this.#validator = createRequestValidator(signature, this.#settings);
    this.#shapeKey = createShapeKeyFunction(
      signature.inputs,
      this.#settings.padding,
      this.#settings.maxBatchSize > 0,
    );
    this.#clock = options.clock ?? systemClock;
    this.#queue = createRequestQueue(this.#settings, this.#clock);
    this.#executor = executor;
    this.#metrics = options.metrics;
    this.#signatureOutputs = signature.outputs.map((spec) => spec.name);
    this.#unsubscribeIdle = executor.onIdle(this.#requestPump);
  }

  get pending(): number {
    return this.#pending;
  }

  get queued(): number {
    return this.#queue.size;
  }

  statistics(): BatcherStatistics {
    return this.#statistics.snapshot();
  }

  admissionError(): SidecarError | undefined {
    const error = this.#closed !== undefined ? this.#drainingError() : this.#queue.capacityError(0);
    if (error !== undefined) this.#recordRefusal("rejected");
    return error;
  }

  submit(submission: InferenceSubmission): Promise<Tensor[]> {
    if (this.#closed !== undefined) return this.#refuse(this.#drainingError());
    if (submission.signal?.aborted) {
      const cause = submission.signal.reason;
      // An expired `grpc-timeout` (say `1m`) can pass before the request is decoded.
      return isDeadlineAbort(cause)
        ? this.#refuse(
            new SidecarError(
              ErrorCode.DeadlineExceeded,
              "the deadline of the call passed before the request was queued",
              { cause },
            ),
            "timeout",
          )
        : this.#refuse(
            new SidecarError(ErrorCode.Cancelled, "request cancelled before it was queued", {
              cause,
            }),
            "cancelled",
          );
    }
    let request: InferenceRequest;
    try {
      request = this.#admit(submission);
    } catch (error) {
      return this.#refuse(SidecarError.from(error, ErrorCode.InvalidArgument));
    }
    this.#queue.push(request);
    if (request.trace !== undefined) request.queueSpan = startQueueSpan(request.trace);
    this.#pending++;
    this.#metrics?.onQueueDepth?.(this.#queue.size);
    this.#metrics?.onInFlight?.(this.#pending);
    this.#schedulePump();
    return request.result;
  }

  close(): Promise<void> {
    if (this.#closed === undefined) {
      this.#closed = new Promise((resolve) => {
        this.#resolveClosed = resolve;
      });
      // Queued batches no longer wait for company: run them now.
      this.#schedulePump();
      this.#settleClose();
    }
    return this.#closed;
  }

  destroy(): Promise<void> {
    const closed = this.close();
    const queued: InferenceRequest[] = [];
    for (const group of this.#queue.groups()) queued.push(...group.members());
    const error = new SidecarError(
      ErrorCode.Unavailable,
      "the model stopped before the request ran; retry on another instance",
    );
    for (const request of queued) request.reject(error);
    return closed;
  }

  /** RequestOwner: every accepted request passes here exactly once, at its outcome. */
  released(request: InferenceRequest): void {
    if (this.#queue.remove(request)) {
      this.#metrics?.onQueueDepth?.(this.#queue.size);
      // The waiting group may have lost its head; its due time changes.
      this.#schedulePump();
    }
    this.#pending--;
    this.#metrics?.onInFlight?.(this.#pending);
    if (request.queueSpan !== undefined) {
      // Left the queue without a batch: expired, cancelled or failed there.
      endSpan(
        request.queueSpan,
        new Error(`the request ${request.outcome ?? "ended"} in the queue`),
      );
      request.queueSpan = undefined;
    }
    const now = this.#clock.now();
    const outcome = metricOutcomes[request.outcome ?? "rejected"];
    const queueTimeMs = (request.scheduledAt ?? now) - request.enqueuedAt;
    const totalTimeMs = now - request.enqueuedAt;
    this.#statistics.recordOutcome(outcome, queueTimeMs, totalTimeMs);
    this.#metrics?.onOutcome?.({ outcome, rows: request.rows, queueTimeMs, totalTimeMs });
    this.#settleClose();
  }

  /** Validates and builds the request; throws INVALID_ARGUMENT or RESOURCE_EXHAUSTED. */
  #admit(submission: InferenceSubmission): InferenceRequest {
    const validated = this.#validator.validate(submission.inputs, submission.outputs);
    const priority = this.#priorityOf(submission.priority);
    const timeoutUs = this.#timeoutOf(submission.timeoutUs);
    const refused = this.#queue.capacityError(validated.byteLength);
    if (refused !== undefined) throw refused;
    return createInferenceRequest({
      sequence: this.#sequence++,
      chunks: splitIntoChunks(validated.inputs, validated.rows, this.#settings.maxBatchSize),
      outputNames: validated.outputNames,
      outputLabels: validated.outputLabels,
      rows: validated.rows,
      byteLength: validated.byteLength,
      shapeKey: this.#shapeKey(validated.inputs),
      priority,
      enqueuedAt: this.#clock.now(),
      timeoutUs,
      signal: submission.signal,
      trace: submission.trace,
      owner: this,
    });
  }

  /**
   * Triton's rule: priority 0 and any priority past the model's lowest level run at the
   * default level, so that a client sending one fixed priority to every model (Flink's Triton
   * provider sends its `priority` option on every row) never fails on a model without levels.
   */
  #priorityOf(requested: number | undefined): number {
    if (requested === undefined) return this.#settings.defaultPriority;
    if (!Number.isSafeInteger(requested) || requested < 0) {
      throw new SidecarError(
        ErrorCode.InvalidArgument,
        `priority ${requested} is not a non-negative integer; 1 is the highest level, 0 the model's default`,
      );
    }
    return requested === 0 || requested > this.#settings.priorityLevels
      ? this.#settings.defaultPriority
      : requested;
  }

  /** A request may lower the default timeout, never raise it. */
  #timeoutOf(requested: number | undefined): number {
    const fallback = this.#settings.defaultTimeoutUs;
    if (requested === undefined || requested === 0) return fallback;
    if (!Number.isSafeInteger(requested) || requested < 0) {
      throw new SidecarError(
        ErrorCode.InvalidArgument,
        `timeout ${requested} us is not a non-negative integer`,
      );
    }
    return fallback === 0 ? requested : Math.min(requested, fallback);
  }

  #drainingError(): SidecarError {
    return new SidecarError(
      ErrorCode.Unavailable,
      "the model is draining and accepts no new requests",
    );
  }

  #recordRefusal(outcome: MetricOutcome): void {
    this.#statistics.recordOutcome(outcome, 0, 0);
    this.#metrics?.onOutcome?.({ outcome, rows: 0, queueTimeMs: 0, totalTimeMs: 0 });
  }

  #refuse(error: SidecarError, outcome: MetricOutcome = "rejected"): Promise<never> {
    this.#recordRefusal(outcome);
    return Promise.reject(error);
  }

  /**
   * Pumps once per tick: requests submitted in the same tick (say, one stream message's worth)
   * are seen together and can share a batch even with max_queue_delay 0.
   */
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(this.#runPump);
  }

  #pump(): void {
    this.#pumpScheduled = false;
    const flush = this.#closed !== undefined;
    for (;;) {
      const now = this.#clock.now();
      // Nothing queued: a pending queue-delay timer has nothing left to wake.
      if (this.#queue.size === 0) {
        this.#armWake(Infinity, now);
        return;
      }
      let idle = this.#executor.idleInstances;
      if (idle <= 0) return;
      let wakeAt = Infinity;
      let due: ReadyBatch | undefined;
      for (const group of this.#queue.groups()) {
        const plan = planBatch(group, this.#settings, now, flush);
        if (plan.ready) {
          due = plan;
          break;
        }
        wakeAt = Math.min(wakeAt, plan.readyAt);
        if (--idle === 0) break;
      }
      if (due === undefined) {
        this.#armWake(wakeAt, now);
        return;
      }
      this.#dispatch(due, now);
    }
  }

  /** Arms the one queue-delay timer for the earliest due time of a waiting group. */
  #armWake(at: number, now: number): void {
    if (at === this.#wakeAt) return;
    this.#cancelWake?.();
    this.#cancelWake = undefined;
    this.#wakeAt = at;
    if (at === Infinity) return;
    // Rounded up: a timer firing before the due time would find nothing due.
    this.#cancelWake = this.#clock.setTimer(this.#onWake, Math.max(0, Math.ceil(at - now)));
  }

  /**
   * Forms the batch and hands it to the executor. Whatever goes wrong before the executor has
   * it (a chunk that cannot be taken, inputs that do not join) fails this batch's members with
   * INTERNAL and nothing else: they leave the queue, so the pump goes on to the next batch
   * instead of meeting the same error forever.
   */
  #dispatch(batch: ReadyBatch, now: number): void {
    let formed: FormedBatch;
    try {
      formed = this.#form(batch, now);
    } catch (error) {
      const failure = asInternal(error, "could not form the batch");
      for (const request of batch.members) request.reject(failure);
      this.#metrics?.onQueueDepth?.(this.#queue.size);
      return;
    }
    const { slices, inputs, outputNames, oldest, traced } = formed;
    for (const slice of slices) slice.request.markExecuting();
    const running: RunningBatch = {
      slices,
      rows: batch.rows,
      outputNames,
      dispatchedAt: now,
      startedAt: this.#clock.now(),
      queueTimeMs: now - oldest,
      spans: traced === undefined ? undefined : startBatchSpans(traced, batch.rows, slices.length),
    };
    this.#running++;
    let result: Promise<Tensor[]>;
    try {
      result = this.#executor.run(inputs, outputNames);
    } catch (error) {
      result = Promise.reject(error);
    }
    // Two closures per batch, none per request.
    result.then(
      (outputs) => this.#succeed(running, outputs),
      (error: unknown) => this.#fail(running, SidecarError.from(error)),
    );
  }

  /** Takes each member's next chunk (out of the queue once it is the last) and joins the inputs. */
  #form(batch: ReadyBatch, now: number): FormedBatch {
    let oldest = now;
    let traced: Context[] | undefined;
    const slices = batch.members.map((request): BatchSlice => {
      const chunkIndex = request.takeChunk(now);
      const chunk = request.chunks[chunkIndex] as RequestChunk;
      if (request.state === "scheduled") this.#queue.remove(request);
      oldest = Math.min(oldest, request.enqueuedAt);
      if (request.trace !== undefined) {
        // The queue span covers the wait for the first batch, like the queue-time metric.
        if (request.queueSpan !== undefined) {
          endSpan(request.queueSpan);
          request.queueSpan = undefined;
        }
        traced ??= [];
        traced.push(request.trace);
      }
      return { request, chunk, chunkIndex };
    });
    this.#metrics?.onQueueDepth?.(this.#queue.size);
    const inputs = assembleInputs(slices, this.#settings);
    const outputNames = batchOutputNames(slices, this.#signatureOutputs);
    return { slices, inputs, outputNames, oldest, traced };
  }

  #succeed(batch: RunningBatch, outputs: Tensor[]): void {
    const returnedAt = this.#clock.now();
    let shares: Tensor[][];
    try {
      shares = splitOutputs(batch.slices, outputs, batch.outputNames, batch.rows, this.#settings);
    } catch (error) {
      this.#fail(batch, SidecarError.from(error), returnedAt);
      return;
    }
    const splitAt = this.#clock.now();
    for (const [index, slice] of batch.slices.entries()) {
      slice.request.completeChunk(slice.chunkIndex, shares[index] as Tensor[]);
    }
    if (batch.spans !== undefined) endBatchSpans(batch.spans);
    this.#ended(batch, returnedAt, {
      inputMs: batch.startedAt - batch.dispatchedAt,
      inferMs: returnedAt - batch.startedAt,
      outputMs: splitAt - returnedAt,
    });
  }

  /** Every member of the batch fails with the same error; no other request is touched. */
  #fail(batch: RunningBatch, error: SidecarError, returnedAt = this.#clock.now()): void {
    this.#rejectAll(batch.slices, error);
    if (batch.spans !== undefined) endBatchSpans(batch.spans, error);
    this.#ended(batch, returnedAt, undefined);
  }

  /** `phases` only for a batch that succeeded. */
  #ended(batch: RunningBatch, returnedAt: number, phases: ComputePhases | undefined): void {
    this.#running--;
    const requests = batch.slices.length;
    this.#statistics.recordBatch(batch.rows, requests, phases);
    this.#metrics?.onBatch?.({
      rows: batch.rows,
      requests,
      queueTimeMs: batch.queueTimeMs,
      computeTimeMs: returnedAt - batch.startedAt,
      ok: phases !== undefined,
    });
    this.#schedulePump();
    this.#settleClose();
  }

  #rejectAll(slices: readonly BatchSlice[], error: SidecarError): void {
    for (const slice of slices) slice.request.reject(error);
  }

  #settleClose(): void {
    if (this.#resolveClosed === undefined || this.#pending > 0 || this.#running > 0) return;
    const resolve = this.#resolveClosed;
    this.#resolveClosed = undefined;
    this.#unsubscribeIdle();
    this.#armWake(Infinity, this.#clock.now());
    this.#queue.close();
    resolve();
  }
}

export function createDynamicBatcher(options: DynamicBatcherOptions): DynamicBatcher {
  return new Batcher(options);
}
