import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import { describe, expect, it } from "vitest";
import { toSidecarError } from "../src/client/to-sidecar-error.js";
import { UNANSWERED_STREAM } from "../src/client/unanswered-stream.js";

describe("toSidecarError", () => {
  it.each([
    [Code.InvalidArgument, ErrorCode.InvalidArgument],
    [Code.OutOfRange, ErrorCode.InvalidArgument],
    [Code.NotFound, ErrorCode.NotFound],
    [Code.AlreadyExists, ErrorCode.AlreadyExists],
    [Code.FailedPrecondition, ErrorCode.FailedPrecondition],
    [Code.PermissionDenied, ErrorCode.FailedPrecondition],
    [Code.Unauthenticated, ErrorCode.FailedPrecondition],
    [Code.ResourceExhausted, ErrorCode.ResourceExhausted],
    [Code.DeadlineExceeded, ErrorCode.DeadlineExceeded],
    [Code.Unavailable, ErrorCode.Unavailable],
    [Code.Unimplemented, ErrorCode.Unimplemented],
    [Code.Aborted, ErrorCode.Internal],
    [Code.Unknown, ErrorCode.Internal],
    [Code.DataLoss, ErrorCode.Internal],
    [Code.Internal, ErrorCode.Internal],
  ])("maps gRPC %s to %s, naming the call and keeping the original", (code, expected) => {
    const original = new ConnectError("boom", code);
    const error = toSidecarError(original, "ModelInfer on http://a:1", false);
    expect(error).toBeInstanceOf(SidecarError);
    expect(error.code).toBe(expected);
    expect(error.message).toBe(`ModelInfer on http://a:1: [${Code[code]}] boom`);
    expect(error.cause).toBe(original);
  });

  it("reads a CANCELLED the caller did not ask for as UNAVAILABLE: Node cancels the streams of a dead connection", () => {
    const error = new ConnectError(
      "http/2 stream closed with error code CANCEL (0x8)",
      Code.Canceled,
    );
    expect(toSidecarError(error, "x", false).code).toBe(ErrorCode.Unavailable);
    expect(toSidecarError(error, "x", true).code).toBe(ErrorCode.Cancelled);
  });

  it("reads any error as CANCELLED once the caller aborted", () => {
    expect(toSidecarError(new ConnectError("x", Code.Unavailable), "x", true).code).toBe(
      ErrorCode.Cancelled,
    );
  });

  it.each(["ECONNREFUSED", "ECONNRESET", "ENOENT", "EPIPE", "ERR_HTTP2_GOAWAY_SESSION"])(
    "reads a connection failure (%s anywhere in the cause chain) as UNAVAILABLE",
    (nodeCode) => {
      const root = Object.assign(new Error(`read ${nodeCode}`), { code: nodeCode });
      const wrapped = new Error("wrapped", { cause: root });
      const error = new ConnectError("read failed", Code.Aborted, undefined, undefined, wrapped);
      expect(toSidecarError(error, "x", false).code).toBe(ErrorCode.Unavailable);
    },
  );

  it.each([
    ["NGHTTP2_REFUSED_STREAM", ErrorCode.Unavailable],
    ["NGHTTP2_INTERNAL_ERROR", ErrorCode.Unavailable],
    ["NGHTTP2_PROTOCOL_ERROR", ErrorCode.Unavailable],
    ["NGHTTP2_ENHANCE_YOUR_CALM", ErrorCode.ResourceExhausted],
    ["NGHTTP2_INADEQUATE_SECURITY", ErrorCode.FailedPrecondition],
  ])(
    "reads a stream reset with %s before any answer as %s, whatever Connect made of it",
    (name, expected) => {
      const reset = Object.assign(new Error(`Stream closed with error code ${name}`), {
        code: "ERR_HTTP2_STREAM_ERROR",
      });
      for (const code of [Code.Unknown, Code.Internal]) {
        const error = new ConnectError(reset.message, code, undefined, undefined, reset);
        expect(toSidecarError(error, "x", false).code).toBe(expected);
      }
    },
  );

  it("reads a stream closed unanswered (NO_ERROR) as UNAVAILABLE", () => {
    const unanswered = Object.assign(new Error("closed"), { code: UNANSWERED_STREAM });
    expect(toSidecarError(ConnectError.from(unanswered), "x", false).code).toBe(
      ErrorCode.Unavailable,
    );
  });

  it("returns a SidecarError as it is and wraps anything else", () => {
    const sidecar = new SidecarError(ErrorCode.NotFound, "gone");
    expect(toSidecarError(sidecar, "x", false)).toBe(sidecar);
    const plain = toSidecarError("weird", "ServerLive on unix:///s", false);
    expect(plain.code).toBe(ErrorCode.Internal);
    expect(plain.message).toBe("ServerLive on unix:///s: [Unknown] weird");
  });
});
