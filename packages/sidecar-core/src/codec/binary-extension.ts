import { describeValue, invalidArgument } from "./invalid-argument.js";
import { isJsonObject } from "./json-object.js";
import { binaryDataSizeOf } from "./rest-json.js";
import { strictUtf8Decoder, utf8ByteLength, utf8Encoder } from "./utf8.js";

/** The parts of a header the binary-data extension reads: its tensors, in order. */
export interface BinaryExtensionHeader {
  readonly inputs?: readonly BinaryExtensionTensorHeader[];
  readonly outputs?: readonly BinaryExtensionTensorHeader[];
}

/** A tensor entry of a header; `parameters.binary_data_size` marks it as carried in binary. */
export interface BinaryExtensionTensorHeader {
  readonly name?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** A binary-extension body taken apart. */
export interface ParsedBinaryExtensionBody {
  /** The JSON header (an inference request or response), parsed. */
  readonly header: Readonly<Record<string, unknown>>;
  /** The binary data of `header.inputs[i]`; undefined where that tensor has none. */
  readonly inputData: readonly (Uint8Array | undefined)[];
  /** The binary data of `header.outputs[i]`; undefined where that tensor has none. */
  readonly outputData: readonly (Uint8Array | undefined)[];
}

export interface BuiltBinaryExtensionBody {
  readonly body: Uint8Array;
  /** The value of the `Inference-Header-Content-Length` HTTP header. */
  readonly headerLength: number;
}

function tensorNameOf(entry: unknown): string | undefined {
  return isJsonObject(entry) && typeof entry.name === "string" ? entry.name : undefined;
}

function tensorList(
  header: Readonly<Record<string, unknown>>,
  key: "inputs" | "outputs",
): readonly unknown[] {
  const list = header[key];
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    throw invalidArgument(undefined, `header ${key} is ${describeValue(list)}, expected an array`);
  }
  return list;
}

/**
 * Splits a body of the KServe binary-data extension: `headerLength` bytes of JSON (the
 * `Inference-Header-Content-Length` header), then the binary data of every tensor whose
 * `parameters.binary_data_size` is set, in the order the header lists them (inputs, then
 * outputs). The slices are views of `body`, and together they must use it exactly.
 */
export function parseBinaryExtensionBody(
  body: Uint8Array,
  headerLength: number,
): ParsedBinaryExtensionBody {
  if (!Number.isSafeInteger(headerLength) || headerLength < 0 || headerLength > body.length) {
    throw invalidArgument(
      undefined,
      `Inference-Header-Content-Length is ${headerLength}, expected an integer from 0 to the body's ${body.length} bytes`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(strictUtf8Decoder.decode(body.subarray(0, headerLength)));
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw invalidArgument(
      undefined,
      `the ${headerLength}-byte JSON header does not parse: ${reason}`,
    );
  }
  if (!isJsonObject(header)) {
    throw invalidArgument(
      undefined,
      `the JSON header is ${describeValue(header)}, expected an object`,
    );
  }
  let offset = headerLength;
  const sliceAll = (list: readonly unknown[]) =>
    list.map((entry) => {
      const name = tensorNameOf(entry);
      const size = binaryDataSizeOf(isJsonObject(entry) ? entry.parameters : undefined, name);
      if (size === undefined) return undefined;
      const remaining = body.length - offset;
      if (size > remaining) {
        throw invalidArgument(
          name,
          `binary_data_size is ${size}, expected at most the ${remaining} bytes left in the body`,
        );
      }
      offset += size;
      return body.subarray(offset - size, offset);
    });
  const inputData = sliceAll(tensorList(header, "inputs"));
  const outputData = sliceAll(tensorList(header, "outputs"));
  if (offset !== body.length) {
    throw invalidArgument(
      undefined,
      `the body has ${body.length - offset} bytes after the declared binary data, expected none`,
    );
  }
  return { header, inputData, outputData };
}

/**
 * Builds a binary-extension body: the header as JSON, then `binaryParts`, one for each
 * tensor (inputs, then outputs) that declares `parameters.binary_data_size`, in that order
 * and of that size. One allocation holds the whole body.
 */
export function buildBinaryExtensionBody(
  header: BinaryExtensionHeader,
  binaryParts: readonly Uint8Array[],
): BuiltBinaryExtensionBody {
  const declared = [...(header.inputs ?? []), ...(header.outputs ?? [])].flatMap((entry) => {
    const size = binaryDataSizeOf(entry.parameters, entry.name);
    return size === undefined ? [] : [{ name: entry.name, size }];
  });
  if (declared.length !== binaryParts.length) {
    throw invalidArgument(
      undefined,
      `got ${binaryParts.length} binary parts, expected ${declared.length} (one per tensor with binary_data_size)`,
    );
  }
  let binaryLength = 0;
  declared.forEach(({ name, size }, index) => {
    // The counts are equal, so every declared tensor has its part.
    const part = binaryParts[index] as Uint8Array;
    if (part.length !== size) {
      throw invalidArgument(
        name,
        `binary part is ${part.length} bytes, expected binary_data_size ${size}`,
      );
    }
    binaryLength += size;
  });
  const json = JSON.stringify(header);
  const headerLength = utf8ByteLength(json);
  const body = new Uint8Array(headerLength + binaryLength);
  utf8Encoder.encodeInto(json, body);
  let offset = headerLength;
  for (const part of binaryParts) {
    body.set(part, offset);
    offset += part.length;
  }
  return { body, headerLength };
}
