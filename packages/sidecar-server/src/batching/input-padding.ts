import { encodeTensor, type FixedDatatype, type Tensor } from "@gpu-sidecar/sidecar-core";

/**
 * The little-endian bytes of one `datatype` element holding `value` (BOOL: non-zero is true).
 * The codec's encoder checks the value fits: throws INVALID_ARGUMENT naming `name` otherwise.
 */
export function encodePadElement(datatype: FixedDatatype, value: number, name: string): Uint8Array {
  if (datatype === "BOOL") {
    return encodeTensor({ name, datatype, shape: [1], values: [value !== 0] }).data;
  }
  return encodeTensor({ name, datatype, shape: [1], values: [value] }).data;
}

/** Dimensions before `axis` multiplied (the blocks to copy) and bytes per step of `axis`. */
function layout(tensor: Tensor, axis: number, elementSize: number) {
  let blocks = 1;
  for (let i = 0; i < axis; i++) blocks *= tensor.shape[i] ?? 0;
  let stepBytes = elementSize;
  for (let i = axis + 1; i < tensor.shape.length; i++) stepBytes *= tensor.shape[i] ?? 0;
  return { blocks, stepBytes };
}

/**
 * The tensor lengthened to `length` along `axis`, new positions holding `element`. Returns
 * the tensor itself when it already has that length.
 */
export function padAxis(tensor: Tensor, axis: number, length: number, element: Uint8Array): Tensor {
  const current = tensor.shape[axis] ?? 0;
  if (current === length) return tensor;
  const { blocks, stepBytes } = layout(tensor, axis, element.length);
  const sourceBlock = current * stepBytes;
  const targetBlock = length * stepBytes;
  const data = new Uint8Array(blocks * targetBlock);
  // A fresh buffer is zeroed: a zero pad value (the usual one) needs no filling.
  const filler = element.some((byte) => byte !== 0)
    ? repeat(element, targetBlock - sourceBlock)
    : undefined;
  for (let block = 0; block < blocks; block++) {
    const target = block * targetBlock;
    data.set(tensor.data.subarray(block * sourceBlock, (block + 1) * sourceBlock), target);
    if (filler !== undefined) data.set(filler, target + sourceBlock);
  }
  return { ...tensor, shape: tensor.shape.with(axis, length), data };
}

/** The tensor cut back to its first `length` positions along `axis` (a copy). */
export function unpadAxis(
  tensor: Tensor,
  axis: number,
  length: number,
  elementSize: number,
): Tensor {
  const current = tensor.shape[axis] ?? 0;
  if (current === length) return tensor;
  const { blocks, stepBytes } = layout(tensor, axis, elementSize);
  const sourceBlock = current * stepBytes;
  const targetBlock = length * stepBytes;
  const data = new Uint8Array(blocks * targetBlock);
  for (let block = 0; block < blocks; block++) {
    const source = block * sourceBlock;
    data.set(tensor.data.subarray(source, source + targetBlock), block * targetBlock);
  }
  return { ...tensor, shape: tensor.shape.with(axis, length), data };
}

function repeat(element: Uint8Array, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let offset = 0; offset < bytes; offset += element.length) out.set(element, offset);
  return out;
}
