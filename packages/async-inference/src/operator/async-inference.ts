import { metrics } from "@opentelemetry/api";
import { AsyncInferenceOperator } from "./async-inference-operator.js";
import type {
  AsyncInferenceOptions,
  AsyncInferenceOutput,
  ErrorAction,
} from "./async-inference-options.js";
import { OperatorMetrics } from "./operator-metrics.js";
import { resolveOptions } from "./resolve-options.js";

/** The meter used when the options bring none. */
export const METER_NAME = "@gpu-sidecar/async-inference";

/**
 * Flink's `AsyncDataStream.orderedWait` / `unorderedWait` for model inference: calls
 * `options.infer` for the records of `source`, at most `capacity` elements inside at once,
 * with timeouts, retries, coalescing and watermark-bounded reordering. Options are checked
 * here, synchronously; every iteration of the result iterates `source` once more.
 */
export function asyncInference<In, Out, W extends In = never, E extends ErrorAction = "fail">(
  source: AsyncIterable<In> | Iterable<In>,
  options: AsyncInferenceOptions<In, Out, W, E>,
): AsyncIterable<AsyncInferenceOutput<In, Out, W, E>> {
  const resolved = resolveOptions(options);
  const meter = options.meter ?? metrics.getMeter(METER_NAME);
  return {
    [Symbol.asyncIterator]: () =>
      // The operator treats records and watermarks alike (isWatermark tells them apart at run
      // time); the caller's generics give its output the precise type.
      new AsyncInferenceOperator(
        source,
        resolved,
        new OperatorMetrics(meter, options.modelName),
      ) as AsyncIterator<unknown> as AsyncIterator<AsyncInferenceOutput<In, Out, W, E>>,
  };
}
