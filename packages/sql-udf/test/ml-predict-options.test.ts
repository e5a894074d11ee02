import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  outputColumnNames,
  parseDurationMs,
  readMlPredictOptions,
  SqlErrorCode,
} from "../src/index.js";

describe("ML_PREDICT's MAP[...]", () => {
  it("reads Flink's keys with Flink's defaults", () => {
    expect(readMlPredictOptions({})).toEqual({
      async: true,
      maxConcurrentOperations: 10,
      ordered: true,
      timeoutMs: 180_000,
    });
    expect(
      readMlPredictOptions({
        async: "TRUE",
        "max-concurrent-operations": "64",
        "output-mode": "allow_unordered",
        timeout: "3min",
      }),
    ).toEqual({ async: true, maxConcurrentOperations: 64, ordered: false, timeoutMs: 180_000 });
    expect(readMlPredictOptions({ async: "false" }).maxConcurrentOperations).toBe(1);
  });

  it("refuses the development build's 'capacity' with the released key's name", () => {
    expect(() => readMlPredictOptions({ capacity: "10" })).toThrow(
      expect.objectContaining({
        code: SqlErrorCode.UnknownOption,
        message: expect.stringContaining("the released key is 'max-concurrent-operations'"),
      }),
    );
  });

  it("names the key and the expected form of a bad value", () => {
    expect(() => readMlPredictOptions({ "max-concurrent-operations": "0" })).toThrow(
      "option 'max-concurrent-operations' in ML_PREDICT's MAP[...]: '0' is not an integer from 1 to 100000 (expected integer)",
    );
    expect(() => readMlPredictOptions({ "output-mode": "FIFO" })).toThrow(
      /'ORDERED', 'ALLOW_UNORDERED'/,
    );
    expect(() => readMlPredictOptions({ tmeout: "1s" })).toThrow(
      /unknown option 'tmeout' .*the options are: async, max-concurrent-operations, output-mode, timeout/,
    );
  });

  it("reads Flink durations", () => {
    expect(parseDurationMs("30 s")).toBe(30_000);
    expect(parseDurationMs("3min")).toBe(180_000);
    expect(parseDurationMs("250")).toBe(250);
    expect(parseDurationMs("1h")).toBe(3_600_000);
    expect(parseDurationMs("soon")).toBeUndefined();
    expect(parseDurationMs("5 fortnights")).toBeUndefined();
  });
});

describe("output column names (Flink's clash rule)", () => {
  it("appends 0, then 1, to an output named like an input", () => {
    expect(outputColumnNames(["id", "score", "score0"], ["score", "label"])).toEqual([
      "score1",
      "label",
    ]);
    expect(outputColumnNames(["id", "Score"], ["score", "score"])).toEqual(["score0", "score1"]);
  });

  it("gives distinct names that clash with no input and keeps a name nothing took", () => {
    const name = fc.stringMatching(/^[a-c][0-2]?$/);
    fc.assert(
      fc.property(fc.uniqueArray(name), fc.array(name, { maxLength: 5 }), (inputs, outputs) => {
        const names = outputColumnNames(inputs, outputs);
        const all = [...inputs, ...names].map((n) => n.toLowerCase());
        expect(new Set(all).size).toBe(all.length);
        names.forEach((n, i) => {
          const wanted = outputs[i] as string;
          expect(n.startsWith(wanted)).toBe(true);
          const taken = [...inputs, ...names.slice(0, i)].map((t) => t.toLowerCase());
          if (!taken.includes(wanted.toLowerCase())) expect(n).toBe(wanted);
        });
      }),
    );
  });
});
