import type { Tensor, TensorSpec } from "@gpu-sidecar/sidecar-core";
import type { InputPadding } from "./batcher-config.js";

/** Maps a validated request's inputs (signature order) to the key of the batches it may join. */
export type ShapeKeyFunction = (inputs: readonly Tensor[]) => string;

const sameKeyForAll: ShapeKeyFunction = () => "";

/**
 * Requests share a batch only when every input agrees on all dimensions but the batch one.
 * Datatypes and fixed dimensions are already pinned by validation, so only the variable
 * dimensions go into the key, and padded axes stay out of it (padding evens them out). A
 * signature without such dimensions needs no key at all: every request gets "".
 */
export function createShapeKeyFunction(
  specs: readonly TensorSpec[],
  padding: readonly (InputPadding | undefined)[],
  batching: boolean,
): ShapeKeyFunction {
  const keyed: { readonly input: number; readonly axes: readonly number[] }[] = [];
  specs.forEach((spec, input) => {
    const axes: number[] = [];
    spec.shape.forEach((dim, axis) => {
      const batchAxis = batching && axis === 0;
      if (dim === -1 && !batchAxis && padding[input]?.axis !== axis) axes.push(axis);
    });
    if (axes.length > 0) keyed.push({ input, axes });
  });
  if (keyed.length === 0) return sameKeyForAll;
  return (inputs) => {
    let key = "";
    for (const { input, axes } of keyed) {
      const shape = inputs[input]?.shape ?? [];
      key += `${input}:${axes.map((axis) => shape[axis]).join(",")};`;
    }
    return key;
  };
}
