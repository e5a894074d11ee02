import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { GRPC_ENVELOPE_PREFIX } from "./grpc-envelope.js";

/** One of `ModelInferResponse.outputs`, as the sidecar answers it (no parameters, no contents). */
export interface InferOutputFields {
  readonly name: string;
  readonly datatype: string;
  readonly shape: bigint[];
}

/**
 * The fields of a ModelInferResponse the sidecar answers with: Triton's, bytes in
 * `raw_output_contents`. Also a protobuf-es init of the message (lists mutable for that), which
 * Connect's path serializes.
 */
export interface InferResponseFields {
  readonly modelName?: string;
  readonly modelVersion?: string;
  readonly id?: string;
  readonly outputs?: InferOutputFields[];
  readonly rawOutputContents?: Uint8Array[];
}

/** A ModelStreamInferResponse: an answer, or one request's error (with its id). */
export interface StreamInferResponseFields {
  readonly errorMessage?: string;
  readonly inferResponse?: InferResponseFields;
}

const LENGTH_DELIMITED = WireType.LengthDelimited;
/** Where the envelope's flags byte and length go, written once the message's size is known. */
const ENVELOPE_PLACEHOLDER = new Uint8Array(GRPC_ENVELOPE_PREFIX);

function writeInferResponse(writer: BinaryWriter, response: InferResponseFields): void {
  // Field numbers of inference.ModelInferResponse and its InferOutputTensor (grpc_service.proto);
  // proto3 leaves out empty strings and lists, in field order, as protobuf-es writes them.
  if (response.modelName) writer.tag(1, LENGTH_DELIMITED).string(response.modelName);
  if (response.modelVersion) writer.tag(2, LENGTH_DELIMITED).string(response.modelVersion);
  if (response.id) writer.tag(3, LENGTH_DELIMITED).string(response.id);
  for (const output of response.outputs ?? []) {
    writer.tag(5, LENGTH_DELIMITED).fork();
    if (output.name) writer.tag(1, LENGTH_DELIMITED).string(output.name);
    if (output.datatype) writer.tag(2, LENGTH_DELIMITED).string(output.datatype);
    if (output.shape.length > 0) {
      writer.tag(3, LENGTH_DELIMITED).fork();
      for (const dim of output.shape) writer.int64(dim);
      writer.join();
    }
    writer.join();
  }
  for (const raw of response.rawOutputContents ?? []) writer.tag(6, LENGTH_DELIMITED).bytes(raw);
}

/** `write`'s message in one gRPC frame, without a second copy for the envelope. */
function envelope(write: (writer: BinaryWriter) => void): Uint8Array {
  const writer = new BinaryWriter();
  writer.raw(ENVELOPE_PLACEHOLDER);
  write(writer);
  const frame = writer.finish();
  new DataView(frame.buffer, frame.byteOffset, frame.byteLength).setUint32(
    1,
    frame.byteLength - GRPC_ENVELOPE_PREFIX,
  );
  return frame;
}

/**
 * A ModelInferResponse as one uncompressed gRPC message frame. Written field by field, the same
 * bytes as protobuf-es's `toBinary(create(...))`, at a fraction of its cost on the hot path
 * (no message objects, no reflection, no copy into an envelope).
 */
export function encodeInferResponseEnvelope(response: InferResponseFields): Uint8Array {
  return envelope((writer) => writeInferResponse(writer, response));
}

/** A ModelStreamInferResponse as one gRPC message frame, as {@link encodeInferResponseEnvelope}. */
export function encodeStreamInferResponseEnvelope(response: StreamInferResponseFields): Uint8Array {
  return envelope((writer) => {
    if (response.errorMessage) writer.tag(1, LENGTH_DELIMITED).string(response.errorMessage);
    const { inferResponse } = response;
    if (inferResponse !== undefined) {
      writer.tag(2, LENGTH_DELIMITED).fork();
      writeInferResponse(writer, inferResponse);
      writer.join();
    }
  });
}
