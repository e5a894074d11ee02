import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import { describe, expect, it } from "vitest";
import {
  resolveClientOptions,
  type SidecarClientOptions,
} from "../src/client/sidecar-client-options.js";

function failure(options: SidecarClientOptions): SidecarError {
  try {
    resolveClientOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(SidecarError);
    expect((error as SidecarError).code).toBe(ErrorCode.InvalidArgument);
    return error as SidecarError;
  }
  throw new Error("expected the options to be rejected");
}

describe("resolveClientOptions", () => {
  it("applies the documented defaults", () => {
    const resolved = resolveClientOptions({ endpoint: "unix:///run/s.sock" });
    expect(resolved.protocol).toBe("grpc");
    expect(resolved.healthService).toBe("");
    expect(resolved.healthPollIntervalMs).toBe(2_000);
    expect(resolved.reconnect).toEqual({
      initialDelayMs: 100,
      maxDelayMs: 5_000,
      multiplier: 2,
      jitter: 0.2,
    });
    expect(resolved.connection).toEqual({
      connectTimeoutMs: 5_000,
      pingIntervalMs: 30_000,
      pingTimeoutMs: 15_000,
    });
    expect(resolved.endpoints.map((e) => e.url)).toEqual(["unix:///run/s.sock"]);
    expect(resolved.createTransport).toBeUndefined();
  });

  it("raises the default maxDelayMs to a larger initialDelayMs", () => {
    const resolved = resolveClientOptions({
      endpoint: "unix:///s",
      reconnect: { initialDelayMs: 8_000 },
    });
    expect(resolved.reconnect.maxDelayMs).toBe(8_000);
  });

  it.each<[SidecarClientOptions, string]>([
    [{}, "option endpoints is undefined, expected at least one endpoint URL"],
    [{ endpoints: [] }, 'option endpoints is "[]", expected at least one endpoint URL'],
    [
      { endpoint: "unix:///a", endpoints: ["unix:///b"] },
      "options endpoint and endpoints are both set, expected exactly one",
    ],
    [
      { endpoints: ["unix:///a", "unix:///a"] },
      'option endpoints[1] is "unix:///a", expected each endpoint once',
    ],
    [{ endpoints: ["unix:///a", "ftp://b"] }, 'option endpoints[1] is "ftp://b"'],
    [
      { endpoint: "unix:///a", protocol: "http" as never },
      'option protocol is "http", expected one of "grpc", "connect"',
    ],
    [
      { endpoint: "unix:///a", router: {} as never },
      "option router is [object Object], expected an object with a pick(endpoints, request) method",
    ],
    [
      { endpoint: "unix:///a", healthPollIntervalMs: 0 },
      "option healthPollIntervalMs is 0, expected a positive number of milliseconds",
    ],
    [
      { endpoint: "unix:///a", reconnect: { initialDelayMs: 500, maxDelayMs: 100 } },
      "option reconnect.maxDelayMs is 100, expected at least reconnect.initialDelayMs (500)",
    ],
    [
      { endpoint: "unix:///a", reconnect: { multiplier: 0.5 } },
      "option reconnect.multiplier is 0.5, expected a number ≥ 1",
    ],
    [
      { endpoint: "unix:///a", reconnect: { jitter: 1.5 } },
      "option reconnect.jitter is 1.5, expected a number from 0 to 1",
    ],
    [
      { endpoint: "unix:///a", connectTimeoutMs: Number.POSITIVE_INFINITY },
      "option connectTimeoutMs is Infinity, expected a positive number of milliseconds",
    ],
    [
      { endpoint: "unix:///a", pingIntervalMs: -1 },
      "option pingIntervalMs is -1, expected a positive number of milliseconds",
    ],
  ])("rejects %j naming the option, the value and what is allowed", (options, message) => {
    const { message: actual } = failure(options);
    expect(actual.startsWith("createSidecarClient: ")).toBe(true);
    expect(actual).toContain(message);
  });
});
