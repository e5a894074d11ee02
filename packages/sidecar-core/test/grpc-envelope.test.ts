import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeUnaryGrpcEnvelope,
  encodeGrpcEnvelope,
  GRPC_ENVELOPE_PREFIX,
} from "../src/rpc/grpc-envelope.js";

function failure(result: Uint8Array | ConnectError): ConnectError {
  if (!(result instanceof ConnectError)) throw new Error("expected an error");
  return result;
}

describe("gRPC envelope", () => {
  it("frames a message as flags 0 and a big-endian length", () => {
    expect([...encodeGrpcEnvelope(new Uint8Array([7, 8, 9]))]).toEqual([0, 0, 0, 0, 3, 7, 8, 9]);
    const big = encodeGrpcEnvelope(new Uint8Array(0x010203));
    expect([...big.subarray(0, GRPC_ENVELOPE_PREFIX)]).toEqual([0, 0, 1, 2, 3]);
  });

  it("decodes what it encodes, as a view of the body", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (message) => {
        const body = encodeGrpcEnvelope(message);
        const decoded = decodeUnaryGrpcEnvelope(body, "input");
        expect(decoded).toEqual(message);
        expect((decoded as Uint8Array).buffer).toBe(body.buffer);
      }),
    );
  });

  it("answers a malformed body as Connect does, by direction", () => {
    expect(failure(decodeUnaryGrpcEnvelope(new Uint8Array(2), "input")).code).toBe(
      Code.Unimplemented,
    );
    expect(failure(decodeUnaryGrpcEnvelope(new Uint8Array(0), "output")).rawMessage).toBe(
      "protocol error: missing output message for unary method",
    );
    const truncated = encodeGrpcEnvelope(new Uint8Array(4)).subarray(0, 7);
    expect(failure(decodeUnaryGrpcEnvelope(truncated, "input")).code).toBe(Code.InvalidArgument);
    expect(failure(decodeUnaryGrpcEnvelope(truncated, "output")).code).toBe(Code.Unimplemented);
    const extra = new Uint8Array([...encodeGrpcEnvelope(new Uint8Array(1)), 0]);
    expect(failure(decodeUnaryGrpcEnvelope(extra, "input")).rawMessage).toBe(
      "protocol error: received extra input message for unary method",
    );
    const compressed = encodeGrpcEnvelope(new Uint8Array(1));
    compressed[0] = 1;
    expect(failure(decodeUnaryGrpcEnvelope(compressed, "output")).code).toBe(Code.Internal);
  });

  it("refuses a message above readMaxBytes with RESOURCE_EXHAUSTED", () => {
    const body = encodeGrpcEnvelope(new Uint8Array(11));
    const error = failure(decodeUnaryGrpcEnvelope(body, "input", 10));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe("message size 11 is larger than configured readMaxBytes 10");
    expect(decodeUnaryGrpcEnvelope(body, "input", 11)).toHaveLength(11);
  });
});
