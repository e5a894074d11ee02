import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqlSession, SqlErrorCode } from "../src/index.js";

// A stand-in KServe v2 REST server that records what Flink's Triton provider would send.
interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}
const received: Received[] = [];
const server = createServer((request, response) => {
  const parts: Buffer[] = [];
  request.on("data", (part: Buffer) => parts.push(part));
  request.on("end", () => {
    let raw = Buffer.concat(parts);
    if (request.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
    const body = raw.length === 0 ? undefined : JSON.parse(raw.toString());
    received.push({
      method: request.method ?? "",
      url: request.url ?? "",
      headers: request.headers,
      body,
    });
    response.setHeader("Content-Type", "application/json");
    if (request.method === "GET") {
      response.end(
        JSON.stringify({
          name: "scorer",
          versions: ["1"],
          platform: "onnxruntime_onnx",
          inputs: [{ name: "features", datatype: "FP32", shape: [-1, 3] }],
          outputs: [{ name: "score", datatype: "FP32", shape: [-1, 1] }],
        }),
      );
      return;
    }
    const input = (body as { inputs: { data: number[] }[] }).inputs[0]?.data ?? [];
    const sum = input.reduce((a, b) => a + b, 0);
    response.end(
      JSON.stringify({
        model_name: "scorer",
        model_version: "1",
        outputs: [{ name: "SCORE", datatype: "FP32", shape: [1, 1], data: [sum] }],
      }),
    );
  });
});
let endpoint = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/models`;
});
afterAll(() => server.close());

describe("the triton provider", () => {
  it("sends one request per row exactly as Flink's Triton provider does", async () => {
    const session = await createSqlSession();
    await session.execute(`
      CREATE TABLE rows_in AS SELECT * FROM (VALUES (1, [1.0, 2.0, 3.0]::FLOAT[]), (2, [4.0, 5.0, 6.0]::FLOAT[])) t(id, features);
      CREATE MODEL scorer INPUT (features ARRAY<FLOAT>) OUTPUT (score FLOAT) WITH (
        'provider' = 'triton', 'endpoint' = '${endpoint}', 'model-name' = 'scorer',
        'flatten-batch-dim' = 'true', 'priority' = '3', 'sequence-id' = 'seq-7', 'sequence-start' = 'true',
        'compression' = 'gzip', 'auth-token' = 's3cret', 'custom-headers' = 'X-Tenant:acme,X-Trace: on')`);
    received.length = 0;
    const result = await session.execute(
      "SELECT id, score FROM ML_PREDICT(TABLE rows_in, MODEL scorer, DESCRIPTOR(features)) ORDER BY id",
    );
    expect(result.rows).toEqual([
      { id: 1, score: 6 },
      { id: 2, score: 15 },
    ]);
    const [metadata, ...posts] = received;
    expect(metadata).toMatchObject({ method: "GET", url: "/v2/models/scorer/versions/latest" });
    expect(posts).toHaveLength(2);
    for (const post of posts) {
      expect(post.method).toBe("POST");
      expect(post.url).toBe("/v2/models/scorer/versions/latest/infer");
      expect(post.headers).toMatchObject({
        "content-encoding": "gzip",
        "content-type": "application/json; charset=utf-8",
        authorization: "Bearer s3cret",
        "x-tenant": "acme",
        "x-trace": "on",
      });
    }
    expect(posts.map((post) => post.body)).toContainEqual({
      id: "seq-7",
      parameters: { priority: 3, sequence_start: true },
      inputs: [{ name: "FEATURES", datatype: "FP32", shape: [3], data: [1, 2, 3] }],
      outputs: [{ name: "SCORE" }],
    });
    await session.close();
  });

  it("names the endpoint when nothing listens there", async () => {
    const session = await createSqlSession();
    await session.execute(`
      CREATE TABLE rows_in AS SELECT [1.0, 2.0, 3.0]::FLOAT[] AS features;
      CREATE MODEL scorer INPUT (features ARRAY<FLOAT>) OUTPUT (score FLOAT)
      WITH ('provider' = 'triton', 'endpoint' = 'http://127.0.0.1:9/v2/models', 'model-name' = 'scorer')`);
    await expect(
      session.execute(
        "SELECT * FROM ML_PREDICT(TABLE rows_in, MODEL scorer, DESCRIPTOR(features))",
      ),
    ).rejects.toMatchObject({
      code: SqlErrorCode.EndpointUnavailable,
      message: expect.stringContaining("the endpoint http://127.0.0.1:9/v2/models is unavailable"),
    });
    await session.close();
  });
});
