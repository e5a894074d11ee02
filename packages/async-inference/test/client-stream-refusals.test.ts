import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it } from "vitest";
import type { ClientProtocol } from "../src/client/endpoint-transport.js";
import type { SidecarClient } from "../src/client/sidecar-client.js";
import { asyncInference } from "../src/operator/async-inference.js";
import { InferenceFailure } from "../src/operator/inference-failure.js";
import { MODEL } from "./client-fake-sidecar.js";
import {
  servingFixtureClient,
  startRefusingServer,
  stopFixtures,
} from "./client-fixture-process.js";
import { collect, decodeNumber, encodeNumber } from "./operator-fixtures.js";

// Servers that refuse ModelStreamInfer while serving everything else, in child processes
// (client-fixture-server.mjs): they answer the stream's first request by ending their side of
// the stream (UNIMPLEMENTED, or OK with no answer) while the session's side stays open for more
// requests. A stream call that settled only when both sides closed hung there for good, and
// with it every call of the session: no error, so no retry and no failover.

afterEach(stopFixtures);

/** What the fixture server prints for each refusal of these tests. */
const REFUSED = "stream refused";

function connect(endpoints: string[], protocol: ClientProtocol): Promise<SidecarClient> {
  return servingFixtureClient({
    endpoints,
    protocol,
    reconnect: { initialDelayMs: 200, maxDelayMs: 200 },
  });
}

/** The call's error, or a failure of the test when it has not settled within `ms`. */
async function settledError(call: Promise<unknown>, ms = 10_000): Promise<SidecarError> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the call did not settle within ${ms} ms`)), ms);
  });
  try {
    const error = await Promise.race([
      call.then(
        () => undefined,
        (reason: unknown) => reason,
      ),
      hung,
    ]);
    expect(error).toBeInstanceOf(SidecarError);
    return error as SidecarError;
  } finally {
    clearTimeout(timer);
  }
}

describe.each(["grpc", "connect"] as const)(
  "a server that refuses streams, over %s",
  (protocol) => {
    it("UNIMPLEMENTED: every call of the session fails with it at once, saying what to do", async () => {
      const only = await startRefusingServer("stream-unimplemented");
      const c = await connect([only.url], protocol);
      const session = c.createStreamSession(MODEL);
      const errors = await Promise.all(
        [1, 2, 3].map((v) => settledError(session.infer(encodeNumber(v)))),
      );
      for (const error of errors) {
        expect(error.code).toBe(ErrorCode.Unimplemented);
        expect(error.message).toContain("Method not found: ModelStreamInfer");
        expect(error.message).toContain("use client.infer");
      }
      // The next call opens a new stream and fails the same way; unary calls still work.
      expect((await settledError(session.infer(encodeNumber(4)))).code).toBe(
        ErrorCode.Unimplemented,
      );
      expect(decodeNumber(await c.infer(MODEL, encodeNumber(5)))).toBe(5);
      // Not the endpoint's fault: it stays serving.
      expect(c.endpoints[0]?.status).toBe("serving");
    });

    it("UNIMPLEMENTED: the operator emits each record's failure without retrying it", async () => {
      const only = await startRefusingServer("stream-unimplemented");
      const c = await connect([only.url], protocol);
      const session = c.createStreamSession(MODEL);
      const results = await collect(
        asyncInference([1, 2, 3, 4], {
          infer: (inputs, context) => session.infer(inputs, context),
          encode: encodeNumber,
          decode: decodeNumber,
          onError: "emit",
          retry: { strategy: "fixed", delayMs: 5, maxAttempts: 3 },
        }),
      );
      expect(results).toHaveLength(4);
      for (const result of results) {
        expect(result).toBeInstanceOf(InferenceFailure);
        expect((result as InferenceFailure<number>).error.code).toBe(ErrorCode.Unimplemented);
      }
      // One stream per attempt at most, and no record was attempted twice.
      expect(only.count(REFUSED)).toBeLessThanOrEqual(4);
    });

    it("ended with no answer: UNAVAILABLE, and the endpoint is marked down", async () => {
      const only = await startRefusingServer("stream-ends");
      const c = await connect([only.url], protocol);
      const session = c.createStreamSession(MODEL);
      const errors = await Promise.all(
        [1, 2, 3].map((v) => settledError(session.infer(encodeNumber(v)))),
      );
      for (const error of errors) {
        expect(error.code).toBe(ErrorCode.Unavailable);
        expect(error.message).toContain("the server ended the stream");
      }
      expect(c.endpoints[0]?.status).toBe("unreachable");
    });

    it("ended with no answer: a streaming operator with retries fails over and loses nothing", async () => {
      const local = await startRefusingServer("stream-ends");
      const remote = await startRefusingServer();
      const c = await connect([remote.url, local.url], protocol);
      const session = c.createStreamSession(MODEL);
      const records = Array.from({ length: 30 }, (_, i) => i);
      const results = await collect(
        asyncInference(records, {
          infer: (inputs, context) => session.infer(inputs, context),
          encode: encodeNumber,
          decode: decodeNumber,
          timeoutMs: 10_000,
          retry: { strategy: "fixed", delayMs: 5, maxAttempts: 3 },
        }),
      );
      expect(results).toEqual(records);
      expect(local.count(REFUSED)).toBeGreaterThan(0);
    });
  },
);
