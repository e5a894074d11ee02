import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncInference, createSidecarClient } from "@gpu-sidecar/async-inference";
import { decodeTensorValues, encodeTensor } from "@gpu-sidecar/sidecar-core";
import {
  FRAUD_FEATURE_COUNT,
  fraudScore,
  syntheticTransaction,
} from "@gpu-sidecar/sidecar-server/demo-model";
import {
  type SpawnedSidecar,
  type SpawnedSidecarAddresses,
  spawnSidecar,
  stopAllSidecars,
} from "@gpu-sidecar/sidecar-server/testing";
import { afterAll, describe, expect, it } from "vitest";

// Issue 9: a rolling restart (SIGTERM) of the local sidecar under a streaming operator with a
// second endpoint loses, duplicates and fails no record.
const dir = mkdtempSync(join(tmpdir(), "rolling-restart-"));
afterAll(async () => {
  await stopAllSidecars(1_000);
  rmSync(dir, { recursive: true, force: true });
});

const RESTARTS = 10;
/** Records sent between two looks at the restart loop, and the pause after them. */
const PACE_RECORDS = 50;
const PACE_MS = 20;

/** The `fraud` rows the sidecar has run since it started. */
async function inferenceCount(sidecar: SpawnedSidecarAddresses): Promise<number> {
  const response = await fetch(`${String(sidecar.httpUrl)}/v2/models/fraud/stats`);
  if (response.status !== 200) return 0;
  const body = (await response.json()) as { model_stats: { inference_count: number }[] };
  return body.model_stats[0]?.inference_count ?? 0;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("rolling restarts", { timeout: 120_000 }, () => {
  it(`SIGTERM to the local sidecar ${RESTARTS} times mid-stream: 0 records lost, duplicated, wrong or failed`, async () => {
    const socket = join(dir, "a.sock");
    const spawnA = () => spawnSidecar({ uds: socket });
    let a: SpawnedSidecar = spawnA();
    const b = spawnSidecar({ uds: false });
    let aAddresses = await a.serving;
    const bAddresses = await b.serving;
    const client = createSidecarClient({
      endpoints: [String(aAddresses.unixUrl), String(bAddresses.grpcUrl)],
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    });

    let restarts = 0;
    const exits: { code: number | null; signal: string | null; forced: boolean }[] = [];
    const restartLoop = (async () => {
      for (let i = 0; i < RESTARTS; i++) {
        // Only a sidecar that is taking the stream's calls is worth restarting.
        const serving = aAddresses;
        await until(
          async () => (await inferenceCount(serving)) >= 200,
          `restart ${i + 1}: the local sidecar takes calls again`,
        );
        exits.push(await a.stop(10_000));
        a = spawnA();
        aAddresses = await a.serving;
        restarts++;
      }
    })();

    let sent = 0;
    async function* transactions() {
      // Records flow until every restart is over, then a last stretch goes to the new sidecar.
      let tail = 1_000;
      for (let id = 0; tail > 0; id++) {
        if (restarts === RESTARTS) tail--;
        sent++;
        yield { id, features: syntheticTransaction(id) };
        if (id % PACE_RECORDS === PACE_RECORDS - 1) {
          await new Promise((resolve) => setTimeout(resolve, PACE_MS));
        }
      }
    }

    const results = asyncInference(transactions(), {
      infer: (inputs, context) => client.infer("fraud", inputs, context),
      encode: (tx) => [
        encodeTensor({
          name: "features",
          datatype: "FP32",
          shape: [1, FRAUD_FEATURE_COUNT],
          values: tx.features,
        }),
      ],
      decode: (outputs, tx) => {
        const [score] = outputs;
        if (score === undefined) throw new Error("no output");
        return {
          id: tx.id,
          features: tx.features,
          score: decodeTensorValues({ ...score, datatype: "FP32" })[0],
        };
      },
      capacity: 200,
      ordered: true,
      timeoutMs: 5_000,
      retry: {
        strategy: "exponential",
        initialDelayMs: 20,
        maxDelayMs: 500,
        jitter: 0.2,
        maxAttempts: 4,
      },
      batch: { maxRows: 32, maxDelayMs: 2 },
      modelName: "fraud",
    });
    const received: { id: number; features: Float32Array; score: number | undefined }[] = [];
    try {
      for await (const result of results) received.push(result);
      await restartLoop;
    } finally {
      await client.close();
    }

    expect(restarts).toBe(RESTARTS);
    // Every drain ended by itself (no SIGKILL), with exit code 0.
    expect(exits).toEqual(
      Array.from({ length: RESTARTS }, () => ({ code: 0, signal: null, forced: false })),
    );
    // Ordered: every record once, in order; none lost, none duplicated.
    expect(received).toHaveLength(sent);
    received.forEach(({ id }, index) => {
      if (id !== index) expect.fail(`position ${index} holds record ${id}`);
    });
    for (const { id, features, score } of received) {
      const expected = fraudScore(features, 1)[0] ?? Number.NaN;
      if (score === undefined || !(Math.abs(score - expected) <= 1e-5)) {
        expect.fail(`record ${id}: score ${score}, the reference model says ${expected}`);
      }
    }
  });
});
