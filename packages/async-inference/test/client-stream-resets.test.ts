import { ErrorCode } from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it } from "vitest";
import type { ClientProtocol } from "../src/client/endpoint-transport.js";
import type { SidecarClient } from "../src/client/sidecar-client.js";
import { asyncInference } from "../src/operator/async-inference.js";
import { MODEL, until } from "./client-fake-sidecar.js";
import {
  servingFixtureClient,
  startRefusingServer,
  stopFixtures,
} from "./client-fixture-process.js";
import { collect, decodeNumber, encodeNumber } from "./operator-fixtures.js";

// Servers that end inference streams without answering them, as a draining or restarting
// HTTP/2 server does, in child processes (client-fixture-server.mjs): none of them ran the
// request, so the client must read UNAVAILABLE, fail over, and let the operator retry.

afterEach(stopFixtures);

/** What the fixture server prints for each refusal of these tests. */
const REFUSED = "refused";

function connect(endpoints: string[], protocol: ClientProtocol): Promise<SidecarClient> {
  return servingFixtureClient({
    endpoints,
    protocol,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
  });
}

const cases = (["refused-stream", "no-error-reset", "goaway-not-covered"] as const).flatMap(
  (refusal) => (["grpc", "connect"] as const).map((protocol) => [refusal, protocol] as const),
);

describe("calls a server ended without an answer", { timeout: 30_000 }, () => {
  it.each(cases)("%s over %s: UNAVAILABLE, for infer and streams", async (refusal, protocol) => {
    const only = await startRefusingServer(refusal);
    const c = await connect([only.url], protocol);
    await expect(c.infer(MODEL, encodeNumber(1))).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    });
    const session = c.createStreamSession(MODEL);
    await expect(session.infer(encodeNumber(2))).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    });
    await until(() => only.count(REFUSED) === 2);
  });

  it.each(cases)("%s over %s: infer fails over to the next endpoint", async (refusal, protocol) => {
    const local = await startRefusingServer(refusal);
    const remote = await startRefusingServer();
    const c = await connect([remote.url, local.url], protocol);
    expect(decodeNumber(await c.infer(MODEL, encodeNumber(7)))).toBe(7);
    await until(() => local.count(REFUSED) === 1);
  });

  it.each(cases)(
    "%s over %s: a streaming operator with retries loses nothing",
    async (refusal, protocol) => {
      const local = await startRefusingServer(refusal);
      const remote = await startRefusingServer();
      const c = await connect([remote.url, local.url], protocol);
      const records = Array.from({ length: 50 }, (_, i) => i);
      const results = await collect(
        asyncInference(records, {
          infer: (inputs, context) => c.infer(MODEL, inputs, context),
          encode: encodeNumber,
          decode: decodeNumber,
          timeoutMs: 10_000,
          retry: { strategy: "fixed", delayMs: 5, maxAttempts: 3 },
        }),
      );
      expect(results).toEqual(records);
      expect(local.count(REFUSED)).toBeGreaterThan(0);
    },
  );
});

describe("many calls failing over at once", { timeout: 60_000 }, () => {
  // Each refused call marks the endpoint unreachable and restarts its health watch; resetting
  // the watch's stream from within the refused stream's close once sent nghttp2 into an endless
  // loop (RSS to gigabytes, then std::bad_alloc) within a few rounds of 20 calls.
  it.each(["grpc", "connect"] as const)("over %s: every call answered", async (protocol) => {
    const local = await startRefusingServer("no-error-reset");
    const remote = await startRefusingServer();
    const c = await connect([remote.url, local.url], protocol);
    for (let round = 0; round < 40; round += 1) {
      const values = Array.from({ length: 20 }, (_, i) => round * 20 + i);
      const answers = await Promise.all(values.map((v) => c.infer(MODEL, encodeNumber(v))));
      expect(answers.map(decodeNumber)).toEqual(values);
    }
    expect(local.count(REFUSED)).toBeGreaterThan(0);
  });
});
