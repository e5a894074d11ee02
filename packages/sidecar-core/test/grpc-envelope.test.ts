import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createEnvelopeReader,
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

describe("streaming envelope reader", () => {
  /** The body split at the given cut points (sorted, deduplicated, within the body). */
  function split(body: Uint8Array, cuts: number[]): Uint8Array[] {
    const points = [...new Set(cuts.map((cut) => cut % (body.byteLength + 1)))].sort(
      (a, b) => a - b,
    );
    const parts: Uint8Array[] = [];
    let from = 0;
    for (const point of [...points, body.byteLength]) {
      parts.push(body.subarray(from, point));
      from = point;
    }
    return parts;
  }

  it("yields every message, whole and in order, however the body is cut", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (messages, cuts) => {
          const body = new Uint8Array(
            messages.flatMap((message) => [...encodeGrpcEnvelope(message)]),
          );
          const reader = createEnvelopeReader();
          const read: Uint8Array[] = [];
          for (const part of split(body, cuts)) {
            const result = reader.push(part);
            if (result instanceof ConnectError) throw result;
            read.push(...result);
          }
          expect(read).toEqual(messages);
          expect(reader.pending).toBe(0);
          // Private copies: nothing read shares the body's memory.
          for (const message of read) expect(message.buffer).not.toBe(body.buffer);
        },
      ),
    );
  });

  it("holds an incomplete message as pending", () => {
    const reader = createEnvelopeReader();
    expect(reader.push(encodeGrpcEnvelope(new Uint8Array(10)).subarray(0, 8))).toEqual([]);
    expect(reader.pending).toBe(8);
  });

  it("fails a message above readMaxBytes with RESOURCE_EXHAUSTED from its header alone", () => {
    const reader = createEnvelopeReader(4);
    const error = reader.push(encodeGrpcEnvelope(new Uint8Array(5)).subarray(0, 5));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((error as ConnectError).rawMessage).toBe(
      "message size 5 is larger than configured readMaxBytes 4",
    );
  });

  it("fails a compressed message with INTERNAL, as Connect does without a codec", () => {
    const envelope = encodeGrpcEnvelope(new Uint8Array(1));
    envelope[0] = 1;
    const error = createEnvelopeReader().push(envelope);
    expect((error as ConnectError).code).toBe(Code.Internal);
  });
});
