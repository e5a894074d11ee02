import type { Datatype, Tensor } from "../tensor.js";
import { isDatatype } from "./datatype-info.js";
import { elementCount } from "./element-count.js";
import { describeValue, formatShape, invalidArgument } from "./invalid-argument.js";
import { isJsonObject } from "./json-object.js";
import { validateTensor } from "./tensor-validation.js";
import { decodeTensorValues, encodeTensor, type TensorInput } from "./tensor-values.js";
import { strictUtf8Decoder } from "./utf8.js";

/** One element of REST `data`: JSON has no bigint, NaN or Infinity, so some are strings. */
export type RestDataValue = boolean | number | string;

/** REST `data`: flat, or nested row-major arrays matching the shape. */
export type RestTensorData = (RestDataValue | RestTensorData)[];

/** A tensor in the KServe v2 REST JSON form. */
export interface RestTensorJson {
  name: string;
  shape: number[];
  datatype: Datatype;
  data?: RestTensorData;
  parameters?: Record<string, unknown>;
}

export interface EncodeRestTensorOptions {
  /**
   * Send the data in the binary-data extension instead of JSON: the JSON carries
   * `parameters.binary_data_size` and the binary part is `tensor.data` itself.
   */
  readonly binaryData?: boolean;
}

/** The strings JSON uses for the floats it cannot write as numbers (protobuf's JSON mapping). */
const NON_FINITE: ReadonlyMap<string, number> = new Map([
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-Infinity", Number.NEGATIVE_INFINITY],
]);

const INTEGER_TEXT = /^-?\d+$/;

/** `parameters.binary_data_size` of a REST tensor, checked; undefined when absent. */
export function binaryDataSizeOf(
  parameters: unknown,
  tensorName: string | undefined,
): number | undefined {
  if (!isJsonObject(parameters)) return undefined;
  const size = parameters.binary_data_size;
  if (size === undefined) return undefined;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw invalidArgument(
      tensorName,
      `parameters.binary_data_size is ${describeValue(size)}, expected a non-negative integer`,
    );
  }
  return size;
}

/** Where in nested `data` a problem is, e.g. `data[1][0]`; built only for messages. */
function dataPath(path: readonly number[]): string {
  return `data${path.map((index) => `[${index}]`).join("")}`;
}

/**
 * The flat row-major elements of REST `data`. Flat data is used as is; nested data must
 * match the shape at every level.
 */
function flattenData(data: readonly unknown[], shape: readonly number[], name: string) {
  const count = elementCount(shape, name);
  if (!Array.isArray(data[0])) {
    if (data.length !== count) {
      throw invalidArgument(
        name,
        `data has ${data.length} values, expected ${count} for shape ${formatShape(shape)}`,
      );
    }
    return data;
  }
  const flat: unknown[] = [];
  // An explicit stack, not recursion: the depth is the request's rank, which the client
  // chooses, and thousands of levels would overflow the call stack.
  const stack: { readonly node: readonly unknown[]; next: number }[] = [];
  const path = () => stack.map((frame) => frame.next - 1);
  const enter = (node: unknown): void => {
    const depth = stack.length;
    if (depth === shape.length) {
      if (Array.isArray(node)) {
        throw invalidArgument(
          name,
          `${dataPath(path())} is an array, expected a value (shape ${formatShape(shape)})`,
        );
      }
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const got = Array.isArray(node) ? `${node.length} elements` : describeValue(node);
      throw invalidArgument(
        name,
        `${dataPath(path())} is ${got}, expected an array of ${shape[depth]} (shape ${formatShape(shape)})`,
      );
    }
    stack.push({ node, next: 0 });
  };
  enter(data);
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as (typeof stack)[number];
    if (top.next === top.node.length) {
      stack.pop();
      continue;
    }
    top.next += 1;
    enter(top.node[top.next - 1]);
  }
  return flat;
}

function convertEach<T>(
  values: readonly unknown[],
  name: string,
  expected: string,
  convert: (value: unknown) => T | undefined,
): T[] {
  return values.map((value, index) => {
    const converted = convert(value);
    if (converted === undefined) {
      throw invalidArgument(
        name,
        `data element ${index} is ${describeValue(value)}, expected ${expected}`,
      );
    }
    return converted;
  });
}

const asBoolean = (value: unknown) => (typeof value === "boolean" ? value : undefined);
const asNumber = (value: unknown) => (typeof value === "number" ? value : undefined);
const asFloat = (value: unknown) =>
  typeof value === "number" ? value : typeof value === "string" ? NON_FINITE.get(value) : undefined;
const asString = (value: unknown) => (typeof value === "string" ? value : undefined);
/** JSON.parse has already rounded integers past 2^53, so those must come as strings. */
const asBigInteger = (value: unknown) =>
  typeof value === "number" && Number.isSafeInteger(value)
    ? value
    : typeof value === "string" && INTEGER_TEXT.test(value)
      ? BigInt(value)
      : undefined;

function restInput(
  name: string,
  datatype: Datatype,
  shape: readonly number[],
  values: readonly unknown[],
): TensorInput {
  switch (datatype) {
    case "BOOL":
      return {
        name,
        datatype,
        shape,
        values: convertEach(values, name, "a JSON boolean", asBoolean),
      };
    case "UINT8":
    case "UINT16":
    case "UINT32":
    case "INT8":
    case "INT16":
    case "INT32":
      return {
        name,
        datatype,
        shape,
        values: convertEach(values, name, "a JSON number", asNumber),
      };
    case "UINT64":
    case "INT64":
      return {
        name,
        datatype,
        shape,
        values: convertEach(
          values,
          name,
          "a safe-integer JSON number or a decimal integer string",
          asBigInteger,
        ),
      };
    case "FP16":
    case "BF16":
    case "FP32":
    case "FP64":
      return {
        name,
        datatype,
        shape,
        values: convertEach(
          values,
          name,
          'a JSON number or "NaN", "Infinity", "-Infinity"',
          asFloat,
        ),
      };
    case "BYTES":
      return {
        name,
        datatype,
        shape,
        values: convertEach(values, name, "a JSON string", asString),
      };
  }
}

/**
 * A tensor from its REST JSON form (as parsed from the request body). With `binaryData`
 * (its part of a binary-extension body) the JSON must not carry `data`, and a declared
 * `binary_data_size` must match the part.
 */
export function decodeRestTensor(json: unknown, binaryData?: Uint8Array): Tensor {
  if (!isJsonObject(json)) {
    throw invalidArgument(
      undefined,
      `a REST tensor is ${describeValue(json)}, expected a JSON object`,
    );
  }
  const { name, datatype, shape, data, parameters } = json;
  if (typeof name !== "string" || name === "") {
    throw invalidArgument(
      undefined,
      `a REST tensor's name is ${describeValue(name)}, expected a non-empty string`,
    );
  }
  if (!isDatatype(datatype)) {
    throw invalidArgument(
      name,
      `datatype is ${describeValue(datatype)}, expected a KServe datatype`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((dim) => typeof dim === "number")) {
    throw invalidArgument(name, `shape is ${describeValue(shape)}, expected an array of numbers`);
  }
  elementCount(shape, name);
  const declaredSize = binaryDataSizeOf(parameters, name);
  if (binaryData !== undefined) {
    if (data !== undefined) {
      throw invalidArgument(name, "has both JSON data and binary data, expected one of them");
    }
    if (declaredSize !== undefined && declaredSize !== binaryData.length) {
      throw invalidArgument(
        name,
        `binary data is ${binaryData.length} bytes, expected binary_data_size ${declaredSize}`,
      );
    }
    const tensor: Tensor = { name, datatype, shape, data: binaryData };
    validateTensor(tensor);
    return tensor;
  }
  if (declaredSize !== undefined) {
    throw invalidArgument(
      name,
      `declares binary_data_size ${declaredSize}, expected its binary data`,
    );
  }
  if (!Array.isArray(data)) {
    throw invalidArgument(name, `data is ${describeValue(data)}, expected an array`);
  }
  return encodeTensor(restInput(name, datatype, shape, flattenData(data, shape, name)));
}

function floatJson(value: number): RestDataValue {
  return Number.isFinite(value) ? value : String(value);
}

function bigIntegerJson(value: bigint): RestDataValue {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value.toString();
}

function restData(tensor: Tensor): RestDataValue[] {
  const { name, shape, data } = tensor;
  switch (tensor.datatype) {
    case "BOOL":
      return decodeTensorValues({ name, shape, data, datatype: "BOOL" });
    case "UINT8":
    case "UINT16":
    case "UINT32":
    case "INT8":
    case "INT16":
    case "INT32":
      return Array.from(decodeTensorValues({ name, shape, data, datatype: tensor.datatype }));
    case "UINT64":
    case "INT64":
      return Array.from(
        decodeTensorValues({ name, shape, data, datatype: tensor.datatype }),
        bigIntegerJson,
      );
    case "FP16":
    case "BF16":
    case "FP32":
    case "FP64":
      return Array.from(
        decodeTensorValues({ name, shape, data, datatype: tensor.datatype }),
        floatJson,
      );
    case "BYTES":
      return decodeTensorValues({ name, shape, data, datatype: "BYTES" }).map((bytes, index) => {
        try {
          return strictUtf8Decoder.decode(bytes);
        } catch {
          throw invalidArgument(
            name,
            `BYTES element ${index} is not valid UTF-8, expected text for JSON (request the output with binary_data)`,
          );
        }
      });
  }
}

/**
 * A tensor in the REST JSON form, `data` flat. 64-bit integers beyond 2^53 and non-finite
 * floats, which JSON numbers cannot carry exactly, are written as strings (protobuf's JSON
 * convention); `decodeRestTensor` reads them back.
 */
export function encodeRestTensor(
  tensor: Tensor,
  options: EncodeRestTensorOptions = {},
): RestTensorJson {
  const { name, datatype } = tensor;
  const shape = [...tensor.shape];
  if (options.binaryData === true) {
    validateTensor(tensor);
    return { name, datatype, shape, parameters: { binary_data_size: tensor.data.length } };
  }
  return { name, datatype, shape, data: restData(tensor) };
}
