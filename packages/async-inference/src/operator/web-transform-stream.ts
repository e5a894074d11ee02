import type { Transformer } from "node:stream/web";
import { asyncInference } from "./async-inference.js";
import type {
  AsyncInferenceOptions,
  AsyncInferenceOutput,
  ErrorAction,
} from "./async-inference-options.js";
import { InputChannel } from "./input-channel.js";

/**
 * `asyncInference` as a WHATWG `TransformStream`, for `pipeThrough`. A write settles when the
 * operator took the record, so the writable side waits while the operator is full; results
 * are enqueued as the operator emits them, so the readable queue holds at most its high-water
 * mark plus `capacity`.
 */
export function toWebTransformStream<In, Out, W extends In = never, E extends ErrorAction = "fail">(
  options: AsyncInferenceOptions<In, Out, W, E>,
): TransformStream<In, AsyncInferenceOutput<In, Out, W, E>> {
  const input = new InputChannel<In>();
  const output = asyncInference(input, options)[Symbol.asyncIterator]();
  let pumping: Promise<void> = Promise.resolve();
  // `cancel` is WHATWG Streams and Node 20 calls it, but @types/node 20 does not declare it.
  const transformer: Transformer<In, AsyncInferenceOutput<In, Out, W, E>> & {
    cancel(reason: unknown): Promise<void>;
  } = {
    start(controller) {
      pumping = pump(output, controller);
    },
    transform(record) {
      return input.write(record);
    },
    flush() {
      input.end();
      return pumping;
    },
    // The readable side was cancelled or the writable side aborted: abort the calls in
    // flight and release the pending write.
    async cancel() {
      await output.return?.();
    },
  };
  return new TransformStream(transformer);
}

async function pump<T>(
  output: AsyncIterator<T>,
  controller: TransformStreamDefaultController<T>,
): Promise<void> {
  try {
    for (;;) {
      const step = await output.next();
      if (step.done === true) return;
      controller.enqueue(step.value);
    }
  } catch (error) {
    // The operator failed: error both sides.
    controller.error(error);
  }
}
