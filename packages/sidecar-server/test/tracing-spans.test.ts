import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GRPCInferenceService } from "@gpu-sidecar/sidecar-core";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Sidecar } from "../src/index.js";
import { traceParentOf } from "../src/tracing/trace-parent.js";
import { tracingEnabled } from "../src/tracing/tracing-enabled.js";
import { bytesOf, FIXTURE_REPO, portOf, postJson, start } from "./server-harness.js";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN = "b7ad6b7169203331";
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

describe("without an OpenTelemetry SDK", () => {
  it("reads no trace context at all, even when the caller sends one", () => {
    expect(tracingEnabled()).toBe(false);
    expect(traceParentOf(() => TRACEPARENT)).toBeUndefined();
  });
});

describe("with an SDK registered", () => {
  const exporter = new InMemorySpanExporter();
  let sidecar: Sidecar;

  beforeAll(async () => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    sidecar = await start({ repository: FIXTURE_REPO });
  });
  afterAll(async () => {
    await sidecar?.close();
    trace.disable();
  });

  /** The spans of one request: its own, its queue and compute children, its batch. */
  function spansOf(requestSpan: ReadableSpan) {
    const spans = exporter.getFinishedSpans();
    const id = requestSpan.spanContext().spanId;
    const children = spans.filter((span) => span.parentSpanContext?.spanId === id);
    const batches = spans.filter(
      (span) => span.name === "batch" && span.links.some((link) => link.context.spanId === id),
    );
    return { children, batches };
  }

  /** The request span of `traceId`, once it and the batch that linked it have ended. */
  async function requestSpan(traceId: string): Promise<ReadableSpan> {
    return vi.waitFor(() => {
      const found = exporter
        .getFinishedSpans()
        .filter((span) => span.name === "infer twin" && span.spanContext().traceId === traceId);
      expect(found).toHaveLength(1);
      return found[0] as ReadableSpan;
    });
  }

  it("continues the caller's W3C trace over REST with request, queue, compute and batch spans", async () => {
    exporter.reset();
    const answer = await postJson(
      portOf(sidecar.addresses.http),
      "/v2/models/twin/infer",
      { inputs: [{ name: "x", shape: [2, 4], datatype: "FP32", data: [1, 2, 3, 4, 5, 6, 7, 8] }] },
      { headers: { traceparent: TRACEPARENT } },
    );
    expect(answer.status).toBe(200);
    const request = await requestSpan(TRACE_ID);
    expect(request.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(request.attributes).toMatchObject({
      "gpu_sidecar.model": "twin",
      "gpu_sidecar.model_version": "1",
    });
    const { children, batches } = spansOf(request);
    expect(children.map((span) => span.name).sort()).toEqual(["compute", "queue"]);
    for (const child of children) expect(child.spanContext().traceId).toBe(TRACE_ID);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.attributes).toMatchObject({
      "gpu_sidecar.batch.rows": 2,
      "gpu_sidecar.batch.requests": 1,
    });
    // No assertion on the spans' relative times: the SDK anchors each span on its own
    // Date.now()/performance.now() pair, so two spans' clocks disagree by however long the
    // process was preempted between those calls.
    for (const child of children) expect(child.ended).toBe(true);
  });

  it("continues it over gRPC, and marks a failed request's span", async () => {
    exporter.reset();
    const client = createClient(
      GRPCInferenceService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${portOf(sidecar.addresses.grpc)}` }),
    );
    const x = bytesOf(new Float32Array([1, 2, 3, 4]));
    await client.modelInfer(
      {
        modelName: "twin",
        inputs: [{ name: "x", datatype: "FP32", shape: [1n, 4n] }],
        rawInputContents: [x],
      },
      { headers: { traceparent: TRACEPARENT } },
    );
    const request = await requestSpan(TRACE_ID);
    expect(request.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(
      spansOf(request)
        .children.map((span) => span.name)
        .sort(),
    ).toEqual(["compute", "queue"]);

    const other = "1af7651916cd43dd8448eb211c80319c";
    await expect(
      client.modelInfer(
        {
          modelName: "twin",
          inputs: [{ name: "x", datatype: "FP32", shape: [1n, 3n] }],
          rawInputContents: [bytesOf(new Float32Array([1, 2, 3]))],
        },
        { headers: { traceparent: `00-${other}-${CALLER_SPAN}-01` } },
      ),
    ).rejects.toThrow();
    const failed = await requestSpan(other);
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes["gpu_sidecar.error_code"]).toBe("INVALID_ARGUMENT");
  });

  it("starts a trace of its own for a caller that sends none", async () => {
    exporter.reset();
    await postJson(portOf(sidecar.addresses.http), "/v2/models/twin/infer", {
      inputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }],
    });
    const request = await vi.waitFor(() => {
      const found = exporter.getFinishedSpans().find((span) => span.name === "infer twin");
      expect(found).toBeDefined();
      return found;
    });
    expect(request?.parentSpanContext).toBeUndefined();
  });
});
