import { create } from "@bufbuild/protobuf";
import {
  byteSize,
  type Datatype,
  ModelInferResponseSchema,
  type Tensor,
  tensorDataToContents,
} from "@gpu-sidecar/sidecar-core";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { createSidecarClient } from "../src/client/sidecar-client.js";
import { createFakeSidecar, MODEL } from "./client-fake-sidecar.js";

// Datatypes with a typed `contents` field whose every bit pattern survives it: BOOL needs 0/1
// bytes and floats may be NaN (whose payload a number array does not keep), so they get
// values generated for them.
const DATATYPES: readonly Datatype[] = [
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP32",
  "FP64",
  "BOOL",
];

const fake = createFakeSidecar();
const client = createSidecarClient({
  endpoint: "unix:///fake.sock",
  createTransport: () => fake.transport,
});
afterAll(() => client.close());

const tensorArbitrary = fc
  .record({
    datatype: fc.constantFrom(...DATATYPES),
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }),
  })
  .chain(({ datatype, shape }) => {
    const length = byteSize(datatype as Exclude<Datatype, "BYTES">, shape, "x");
    const bytes =
      datatype === "BOOL"
        ? fc
            .array(fc.integer({ min: 0, max: 1 }), { minLength: length, maxLength: length })
            .map((a) => Uint8Array.from(a))
        : datatype === "FP32" || datatype === "FP64"
          ? fc
              .array(fc.double({ noNaN: true }), {
                minLength: length / (datatype === "FP32" ? 4 : 8),
                maxLength: length / (datatype === "FP32" ? 4 : 8),
              })
              .map((values) =>
                datatype === "FP32"
                  ? new Uint8Array(Float32Array.from(values).buffer)
                  : new Uint8Array(Float64Array.from(values).buffer),
              )
          : fc.uint8Array({ minLength: length, maxLength: length });
    return bytes.map((data): Tensor => ({ name: "x", datatype, shape, data }));
  });

describe("tensors through the client", () => {
  it("come back byte for byte whether the server answers in raw_output_contents or in typed contents", async () => {
    await fc.assert(
      fc.asyncProperty(tensorArbitrary, fc.boolean(), async (tensor, typed) => {
        fake.infer = (request) =>
          create(ModelInferResponseSchema, {
            outputs: [
              {
                name: "y",
                datatype: tensor.datatype,
                shape: request.inputs[0]?.shape ?? [],
                ...(typed
                  ? {
                      contents: tensorDataToContents({
                        ...tensor,
                        data: request.rawInputContents[0] ?? new Uint8Array(),
                      }),
                    }
                  : {}),
              },
            ],
            rawOutputContents: typed ? [] : request.rawInputContents,
          });
        const [output] = await client.infer(MODEL, [tensor]);
        expect(output?.datatype).toBe(tensor.datatype);
        expect(output?.shape).toEqual(tensor.shape);
        expect(output?.data).toEqual(tensor.data);
      }),
      { numRuns: 200 },
    );
  });
});
