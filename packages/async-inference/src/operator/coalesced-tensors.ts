import {
  concatTensors,
  ErrorCode,
  rowsOf,
  SidecarError,
  splitTensor,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";

/** Rows one record adds to a coalesced call: those of its first input. */
export function rowsOfRecord(inputs: readonly Tensor[]): number {
  const first = inputs[0];
  if (first === undefined) {
    throw new SidecarError(ErrorCode.InvalidArgument, "asyncInference: encode returned no tensor");
  }
  return rowsOf(first);
}

/** The inputs of a coalesced call: input i of every member, concatenated along dim 0. */
export function concatInputs(perMember: readonly (readonly Tensor[])[]): Tensor[] {
  const inputCount = perMember[0]?.length ?? 0;
  const inputs: Tensor[] = new Array(inputCount);
  const parts: Tensor[] = new Array(perMember.length);
  for (let i = 0; i < inputCount; i++) {
    for (let m = 0; m < perMember.length; m++) {
      const tensor = perMember[m]?.[i];
      if (tensor === undefined || perMember[m]?.length !== inputCount) {
        throw new SidecarError(
          ErrorCode.InvalidArgument,
          "asyncInference: coalesced records encoded different numbers of inputs",
        );
      }
      parts[m] = tensor;
    }
    inputs[i] = concatTensors(parts);
  }
  return inputs;
}

/**
 * Each member's own rows of every output, as views into the call's buffers. A row total that
 * differs from the batch's fails the whole call: no member can tell which rows are its own.
 */
export function splitOutputs(outputs: readonly Tensor[], rowCounts: readonly number[]): Tensor[][] {
  let total = 0;
  for (const rows of rowCounts) total += rows;
  const perMember: Tensor[][] = rowCounts.map(() => new Array<Tensor>(outputs.length));
  for (let o = 0; o < outputs.length; o++) {
    const output = outputs[o] as Tensor;
    const rows = rowsOf(output);
    if (rows !== total) {
      throw new SidecarError(
        ErrorCode.Internal,
        `asyncInference: output ${output.name} has ${rows} rows for a batch of ${total}`,
      );
    }
    const parts = splitTensor(output, rowCounts);
    for (let m = 0; m < rowCounts.length; m++) (perMember[m] as Tensor[])[o] = parts[m] as Tensor;
  }
  return perMember;
}
