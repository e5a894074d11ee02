import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ModelInferResponseSchema,
  ModelStreamInferResponseSchema,
} from "../src/gen/inference/grpc_service_pb.js";
import { encodeGrpcEnvelope } from "../src/rpc/grpc-envelope.js";
import {
  encodeInferResponseEnvelope,
  encodeStreamInferResponseEnvelope,
  type InferResponseFields,
} from "../src/rpc/infer-response-binary.js";

// Strings beyond ASCII (multi-byte UTF-8) and empty ones (left out by proto3).
const text = fc.string({ unit: "grapheme", maxLength: 12 });
const response: fc.Arbitrary<InferResponseFields> = fc.record(
  {
    modelName: text,
    modelVersion: text,
    id: text,
    outputs: fc.array(
      fc.record({
        name: text,
        datatype: text,
        // int64 dims, negative and beyond 2^53 too: the writer must match protobuf-es's varints.
        shape: fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 4 }),
      }),
      { maxLength: 3 },
    ),
    rawOutputContents: fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

describe("hand-written inference response encoding", () => {
  it("writes a ModelInferResponse frame byte for byte as protobuf-es does", () => {
    fc.assert(
      fc.property(response, (fields) => {
        const expected = encodeGrpcEnvelope(
          toBinary(ModelInferResponseSchema, create(ModelInferResponseSchema, fields)),
        );
        expect(encodeInferResponseEnvelope(fields)).toEqual(expected);
      }),
    );
  });

  it("writes a ModelStreamInferResponse frame byte for byte as protobuf-es does", () => {
    fc.assert(
      fc.property(
        fc.record({ errorMessage: text, inferResponse: response }, { requiredKeys: [] }),
        (fields) => {
          const expected = encodeGrpcEnvelope(
            toBinary(
              ModelStreamInferResponseSchema,
              create(ModelStreamInferResponseSchema, fields),
            ),
          );
          expect(encodeStreamInferResponseEnvelope(fields)).toEqual(expected);
        },
      ),
    );
  });

  it("frames a large answer with its big-endian length", () => {
    const raw = new Uint8Array(70_000).fill(7);
    const frame = encodeInferResponseEnvelope({ rawOutputContents: [raw] });
    expect(frame[0]).toBe(0);
    expect(new DataView(frame.buffer).getUint32(1)).toBe(frame.byteLength - 5);
    // Compared as Buffers: a deep equality of 70,000 elements takes seconds.
    expect(Buffer.from(frame.subarray(frame.byteLength - raw.byteLength)).equals(raw)).toBe(true);
  });
});
