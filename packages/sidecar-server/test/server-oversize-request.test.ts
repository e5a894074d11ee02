import { createClient } from "@connectrpc/connect";
import { compressionGzip, createGrpcTransport } from "@connectrpc/connect-node";
import { buildBinaryExtensionBody, GRPCInferenceService } from "@gpu-sidecar/sidecar-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fraudScore } from "../src/demo-model/fraud-reference.js";
import type { Sidecar } from "../src/index.js";
import {
  bytesOf,
  expectScores,
  float32s,
  fraudFeatures,
  http,
  PACKAGE_MODELS,
  portOf,
  start,
} from "./server-harness.js";

// The bundled models take at most 64 rows per batch: 65 rows are cut into two chunks.
const ROWS = 65;

interface RestOutput {
  name: string;
  shape: number[];
  data: number[];
}

describe.each(["fraud", "fraud-mock"])(
  "a request of more rows than max_batch_size (%s)",
  (model) => {
    let sidecar: Sidecar;

    beforeAll(async () => {
      sidecar = await start({ repository: PACKAGE_MODELS });
    });
    afterAll(() => sidecar?.close());

    async function restJson(rows: number, seed: number): Promise<RestOutput[]> {
      const features = fraudFeatures(rows, seed);
      const answer = await http(portOf(sidecar.addresses.http), `/v2/models/${model}/infer`, {
        body: JSON.stringify({
          inputs: [
            { name: "FEATURES", shape: [rows, 16], datatype: "FP32", data: Array.from(features) },
          ],
        }),
        headers: { "Content-Type": "application/json" },
      });
      expect(answer.status).toBe(200);
      return (answer.json() as { outputs: RestOutput[] }).outputs;
    }

    it("answers 65 rows sent with the binary-data extension, and the next request", async () => {
      const features = fraudFeatures(ROWS, 500);
      const { body, headerLength } = buildBinaryExtensionBody(
        {
          inputs: [
            {
              name: "FEATURES",
              shape: [ROWS, 16],
              datatype: "FP32",
              parameters: { binary_data_size: features.byteLength },
            } as never,
          ],
        },
        [bytesOf(features)],
      );
      const answer = await http(portOf(sidecar.addresses.http), `/v2/models/${model}/infer`, {
        body,
        headers: {
          "Content-Type": "application/octet-stream",
          "Inference-Header-Content-Length": headerLength,
        },
        signal: AbortSignal.timeout(10_000),
      });
      expect(answer.status).toBe(200);
      const [output] = (answer.json() as { outputs: RestOutput[] }).outputs;
      expect(output?.shape).toEqual([ROWS, 1]);
      if (model === "fraud") expectScores(output?.data ?? [], fraudScore(features, ROWS));
      const [next] = await restJson(2, 7);
      expect(next?.shape).toEqual([2, 1]);
    });

    it("answers 65 rows of gzip-compressed gRPC raw_input_contents, and the next request", async () => {
      const client = createClient(
        GRPCInferenceService,
        createGrpcTransport({
          baseUrl: `http://127.0.0.1:${portOf(sidecar.addresses.grpc)}`,
          sendCompression: compressionGzip,
          compressMinBytes: 0,
        }),
      );
      const features = fraudFeatures(ROWS, 900);
      const response = await client.modelInfer(
        {
          modelName: model,
          inputs: [{ name: "FEATURES", datatype: "FP32", shape: [BigInt(ROWS), 16n] }],
          rawInputContents: [bytesOf(features)],
        },
        { signal: AbortSignal.timeout(10_000) },
      );
      expect(response.outputs[0]?.shape).toEqual([BigInt(ROWS), 1n]);
      const scores = float32s(response.rawOutputContents[0] as Uint8Array);
      if (model === "fraud") expectScores(scores, fraudScore(features, ROWS));
      else expect(scores).toHaveLength(ROWS);
      const [next] = await restJson(3, 8);
      expect(next?.shape).toEqual([3, 1]);
    });
  },
);
