export { concatTensors, rowsOf, splitTensor } from "./batch.js";
export type {
  BinaryExtensionHeader,
  BinaryExtensionTensorHeader,
  BuiltBinaryExtensionBody,
  ParsedBinaryExtensionBody,
} from "./binary-extension.js";
export { buildBinaryExtensionBody, parseBinaryExtensionBody } from "./binary-extension.js";
export { byteSize } from "./byte-size.js";
export type { BytesElement } from "./bytes-elements.js";
export { decodeBytesElements, encodeBytesElements } from "./bytes-elements.js";
export type { FixedDatatype } from "./datatype-info.js";
export { elementByteSize, isDatatype, isFixedDatatype } from "./datatype-info.js";
export { elementCount } from "./element-count.js";
export {
  bfloat16BitsToNumber,
  float16BitsToNumber,
  numberToBfloat16Bits,
  numberToFloat16Bits,
} from "./float16.js";
export type {
  EncodeRestTensorOptions,
  RestDataValue,
  RestTensorData,
  RestTensorJson,
} from "./rest-json.js";
export { decodeRestTensor, encodeRestTensor } from "./rest-json.js";
export type { ContentsField, TensorContents } from "./tensor-contents.js";
export { contentsFieldOf, contentsToTensorData, tensorDataToContents } from "./tensor-contents.js";
export { validateAgainstSpec, validateTensor } from "./tensor-validation.js";
export type { TensorInput, TensorInputValueMap, TensorValueMap } from "./tensor-values.js";
export { decodeTensorValues, encodeTensor } from "./tensor-values.js";
