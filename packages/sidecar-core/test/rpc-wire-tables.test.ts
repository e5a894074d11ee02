import { Code } from "@connectrpc/connect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCode, SidecarError } from "../src/index.js";
import { boundErrorMessage } from "../src/rpc/error-message.js";
import { decodeGrpcMessage, encodeGrpcMessage } from "../src/rpc/grpc-message.js";
import { formatGrpcTimeout, parseGrpcTimeout } from "../src/rpc/grpc-timeout.js";
import { tensorsOfMessage, tensorsToMessage } from "../src/rpc/infer-tensors.js";
import {
  errorCodeOfGrpc,
  grpcCodeOf,
  grpcCodeOfHttpStatus,
  httpStatusOfCode,
} from "../src/rpc/status-codes.js";
import { formatStreamError, streamErrorCode } from "../src/rpc/stream-error.js";

const CODES = Object.values(ErrorCode);

describe("the status table", () => {
  it("maps every error code to its gRPC namesake and back", () => {
    for (const code of CODES) {
      expect(Code[grpcCodeOf(code)].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase()).toBe(
        code === ErrorCode.Cancelled ? "CANCELED" : code,
      );
      expect(errorCodeOfGrpc(grpcCodeOf(code))).toBe(code);
    }
  });

  it("answers overload and draining with 503, which Flink's provider retries", () => {
    expect(httpStatusOfCode(ErrorCode.ResourceExhausted)).toBe(503);
    expect(httpStatusOfCode(ErrorCode.Unavailable)).toBe(503);
    expect(httpStatusOfCode(ErrorCode.InvalidArgument)).toBe(400);
    expect(httpStatusOfCode(ErrorCode.NotFound)).toBe(404);
  });

  it("collapses gRPC codes the sidecar never sends onto ones a caller can act on", () => {
    expect(errorCodeOfGrpc(Code.Unknown)).toBe(ErrorCode.Internal);
    expect(errorCodeOfGrpc(Code.Unauthenticated)).toBe(ErrorCode.FailedPrecondition);
    expect(errorCodeOfGrpc(Code.Aborted)).toBe(ErrorCode.Internal);
    expect(errorCodeOfGrpc(99)).toBe(ErrorCode.Internal);
  });

  it("reads a non-gRPC HTTP answer as gRPC's mapping says", () => {
    expect(grpcCodeOfHttpStatus(503)).toBe(Code.Unavailable);
    expect(grpcCodeOfHttpStatus(401)).toBe(Code.Unauthenticated);
    expect(grpcCodeOfHttpStatus(418)).toBe(Code.Unknown);
  });
});

describe("grpc-timeout", () => {
  it("parses every unit and refuses what the spec does not allow", () => {
    expect(parseGrpcTimeout("2S")).toBe(2000);
    expect(parseGrpcTimeout("1H")).toBe(3_600_000);
    expect(parseGrpcTimeout("1500u")).toBe(1.5);
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
    expect(parseGrpcTimeout("123456789m")).toBeNull();
    expect(parseGrpcTimeout("5s")).toBeNull();
    expect(parseGrpcTimeout(["1S", "2S"])).toBeNull();
  });

  it("formats what it parses back to at least the time asked, rounded up to 1 ms", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), (ms) => {
        const parsed = parseGrpcTimeout(formatGrpcTimeout(ms)) as number;
        expect(parsed).toBeGreaterThanOrEqual(ms);
        expect(parsed).toBe(Math.max(1, Math.ceil(ms)));
      }),
    );
  });
});

describe("stream error messages", () => {
  it("carry the code ahead of the message, and only our codes are read back", () => {
    for (const code of CODES) expect(streamErrorCode(formatStreamError(code, "why"))).toBe(code);
    expect(formatStreamError(ErrorCode.ResourceExhausted, "queue full")).toBe(
      "RESOURCE_EXHAUSTED: queue full",
    );
    expect(streamErrorCode("in ensemble 'x': failed")).toBe(ErrorCode.Internal);
    expect(streamErrorCode("PERMISSION_DENIED: no")).toBe(ErrorCode.Internal);
  });
});

describe("tensors in messages", () => {
  const tensor = {
    name: "x",
    datatype: "FP32" as const,
    shape: [1, 2],
    data: new Uint8Array(new Float32Array([1, 2]).buffer),
  };

  it("round-trip through metadata and raw contents without copying bytes", () => {
    const { tensors, raw } = tensorsToMessage([tensor]);
    const [back] = tensorsOfMessage(tensors, raw, "raw_input_contents");
    expect(back).toEqual(tensor);
    expect(back?.data).toBe(tensor.data);
  });

  it("read typed contents when there are no raw contents", () => {
    const [back] = tensorsOfMessage(
      [{ name: "x", datatype: "FP32", shape: [1n, 2n], contents: { fp32Contents: [1, 2] } }],
      [],
      "raw_output_contents",
    );
    expect(back).toEqual(tensor);
  });

  it("refuse what does not hold together with INVALID_ARGUMENT naming the problem", () => {
    const problem = (call: () => unknown) => {
      try {
        call();
      } catch (error) {
        expect(error).toBeInstanceOf(SidecarError);
        expect((error as SidecarError).code).toBe(ErrorCode.InvalidArgument);
        return (error as SidecarError).message;
      }
      throw new Error("expected a failure");
    };
    const meta = { name: "x", datatype: "FP32", shape: [1n, 2n] };
    expect(
      problem(() => tensorsOfMessage([meta], [tensor.data, tensor.data], "raw_output_contents")),
    ).toBe("2 raw_output_contents for 1 outputs, expected one per output");
    expect(
      problem(() =>
        tensorsOfMessage([{ ...meta, datatype: "FLOAT" }], [tensor.data], "raw_input_contents"),
      ),
    ).toContain('datatype "FLOAT" is not a KServe datatype');
    expect(
      problem(() =>
        tensorsOfMessage([{ ...meta, shape: [-1n] }], [tensor.data], "raw_input_contents"),
      ),
    ).toContain("has dimension -1, expected a non-negative integer");
    expect(
      problem(() =>
        tensorsOfMessage(
          [{ ...meta, contents: { fp32Contents: [1, 2] } }],
          [tensor.data],
          "raw_input_contents",
        ),
      ),
    ).toContain("has both contents and raw_input_contents");
  });
});

describe("grpc-message", () => {
  it("bounds a message that echoes huge input, keeping its start and its end", () => {
    const name = "m".repeat(70_000);
    const message = `model "${name}" is not loaded; load it first`;
    const encoded = encodeGrpcMessage(message);
    expect(encoded.length).toBeLessThan(1_000);
    const decoded = decodeGrpcMessage(encoded);
    expect(decoded.startsWith('model "mmm')).toBe(true);
    expect(decoded).toContain("characters left out");
    expect(decoded.endsWith('" is not loaded; load it first')).toBe(true);
    // Multi-byte text stays under 7 KiB and is never cut inside a character.
    const wide = decodeGrpcMessage(encodeGrpcMessage("😀".repeat(20_000)));
    expect(encodeGrpcMessage("😀".repeat(20_000)).length).toBeLessThan(7 * 1024);
    expect(wide).not.toContain("\uFFFD");
    const short = "x".repeat(512);
    expect(decodeGrpcMessage(encodeGrpcMessage(short))).toBe(short);
  });

  it("bounds REST error bodies and stream error messages with the same helper", () => {
    const message = `model "${"m".repeat(70_000)}" is not loaded; load it first`;
    expect(boundErrorMessage(message)).toBe(decodeGrpcMessage(encodeGrpcMessage(message)));
    const streamed = formatStreamError(ErrorCode.NotFound, message);
    expect(streamed.length).toBeLessThan(1_000);
    expect(streamed.startsWith('NOT_FOUND: model "mmm')).toBe(true);
    expect(streamErrorCode(streamed)).toBe(ErrorCode.NotFound);
  });

  it("percent-encodes only what the gRPC spec asks, and decodes it back", () => {
    expect(encodeGrpcMessage('tensor "x": 2, 100%')).toBe('tensor "x": 2, 100%25');
    expect(encodeGrpcMessage("é\n")).toBe("%C3%A9%0A");
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (message) => {
        const encoded = encodeGrpcMessage(message);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeGrpcMessage(encoded)).toBe(message);
      }),
    );
  });
});
