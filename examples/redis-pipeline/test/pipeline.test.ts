import { fraudScore, syntheticTransaction } from "@gpu-sidecar/sidecar-server/demo-model";
import { describe, expect, it } from "vitest";
import { runPipeline } from "../lib/pipeline.mjs";

// The pipeline on a real redis-server, real worker processes and a real sidecar (issue #13).
describe("the Redis Streams pipeline", () => {
  it("scores every message exactly once with the reference score, through a SIGKILLed worker and a sidecar restart", async () => {
    const messages = 2000;
    const run = await runPipeline({ messages, workers: 3, chaos: true, batchRows: 500 });

    expect(run.killedWorker).toBe(true);
    expect(run.workerExits[0]?.signal).toBe("SIGKILL");
    expect(run.workerExits.slice(1)).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    expect(run.sidecarRestarts).toBe(1);
    expect(run.claimed).toBeGreaterThan(0);
    expect(run.pending).toBe(0);

    // Exactly once in the result set: one result per message and per transaction.
    expect(run.rows).toHaveLength(messages);
    expect(new Set(run.rows.map((row) => row.messageId)).size).toBe(messages);
    expect(new Set(run.rows.map((row) => row.tx))).toEqual(
      new Set(Array.from({ length: messages }, (_, tx) => tx)),
    );
    for (const row of run.rows) {
      const reference = fraudScore(syntheticTransaction(row.tx), 1)[0] as number;
      expect(Math.abs(row.score - reference), `tx ${row.tx}`).toBeLessThan(1e-5);
    }

    expect(run.report.topMerchants.rows).toHaveLength(5);
    expect(run.report.comparison).toEqual({ scored: 500n, differing: 0n });
  });
});
