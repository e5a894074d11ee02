import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildBinaryExtensionBody,
  decodeRestTensor,
  encodeRestTensor,
  encodeTensor,
  parseBinaryExtensionBody,
} from "../src/codec/index.js";
import { expectInvalid, tensorArb } from "./codec-helpers.js";

const utf8 = new TextEncoder();

/** A body put together by hand, the way another client would. */
function body(header: unknown, ...parts: number[][]): { body: Uint8Array; headerLength: number } {
  const json = utf8.encode(JSON.stringify(header));
  return { body: Uint8Array.from([...json, ...parts.flat()]), headerLength: json.length };
}

describe("binary-data extension", () => {
  it("lays out the JSON header, then the parts in order", () => {
    const header = {
      inputs: [
        { name: "a", datatype: "UINT8", shape: [2], parameters: { binary_data_size: 2 } },
        { name: "b", datatype: "UINT8", shape: [1], data: [9] },
        { name: "c", datatype: "UINT8", shape: [1], parameters: { binary_data_size: 1 } },
      ],
      outputs: [{ name: "y", parameters: { binary_data: true } }],
    };
    const built = buildBinaryExtensionBody(header, [Uint8Array.of(1, 2), Uint8Array.of(3)]);
    const json = utf8.encode(JSON.stringify(header));
    expect(built.headerLength).toBe(json.length);
    expect([...built.body]).toEqual([...json, 1, 2, 3]);

    const parsed = parseBinaryExtensionBody(built.body, built.headerLength);
    expect(parsed.header).toEqual(header);
    expect(parsed.inputData).toEqual([Uint8Array.of(1, 2), undefined, Uint8Array.of(3)]);
    expect(parsed.outputData).toEqual([undefined]);
    expect(parsed.inputData[0]?.buffer).toBe(built.body.buffer);
  });

  it("assigns a response's output parts in order", () => {
    const response = body(
      {
        model_name: "m",
        outputs: [
          { name: "p", datatype: "FP16", shape: [1], parameters: { binary_data_size: 2 } },
          { name: "q", datatype: "BOOL", shape: [1], parameters: { binary_data_size: 1 } },
        ],
      },
      [0x00, 0x3c],
      [1],
    );
    const parsed = parseBinaryExtensionBody(response.body, response.headerLength);
    expect(parsed.inputData).toEqual([]);
    expect(parsed.outputData).toEqual([Uint8Array.of(0x00, 0x3c), Uint8Array.of(1)]);
  });

  it("round-trips any tensors through build → parse → decode", () => {
    fc.assert(
      fc.property(fc.array(tensorArb(), { maxLength: 4 }), fc.string(), (tensors, id) => {
        const header = {
          id,
          inputs: tensors.map((tensor) => encodeRestTensor(tensor, { binaryData: true })),
        };
        const built = buildBinaryExtensionBody(
          header,
          tensors.map((tensor) => tensor.data),
        );
        const parsed = parseBinaryExtensionBody(built.body, built.headerLength);
        expect(parsed.header).toEqual(header);
        const inputs = parsed.header.inputs as unknown[];
        const decoded = inputs.map((json, index) =>
          decodeRestTensor(json, parsed.inputData[index]),
        );
        expect(decoded).toEqual(tensors);
      }),
    );
  });
});

describe("binary-data extension errors", () => {
  const one = { inputs: [{ name: "x", parameters: { binary_data_size: 4 } }] };

  it("rejects a header length outside the body", () => {
    const { body: bytes } = body(one, [1, 2, 3, 4]);
    expectInvalid(
      () => parseBinaryExtensionBody(bytes, bytes.length + 1),
      `Inference-Header-Content-Length is ${bytes.length + 1}`,
      `expected an integer from 0 to the body's ${bytes.length} bytes`,
    );
    expectInvalid(
      () => parseBinaryExtensionBody(bytes, -1),
      "Inference-Header-Content-Length is -1",
    );
  });

  it("rejects a header that is not a JSON object", () => {
    const bytes = utf8.encode('{"inputs": [');
    expectInvalid(
      () => parseBinaryExtensionBody(bytes, bytes.length),
      "JSON header does not parse",
    );
    const array = utf8.encode("[1]");
    expectInvalid(
      () => parseBinaryExtensionBody(array, array.length),
      "the JSON header is an array, expected an object",
    );
    const badInputs = utf8.encode('{"inputs": 3}');
    expectInvalid(
      () => parseBinaryExtensionBody(badInputs, badInputs.length),
      "header inputs is number 3, expected an array",
    );
  });

  it("rejects a tensor whose binary data runs past the body", () => {
    const short = body(one, [1, 2]);
    expectInvalid(
      () => parseBinaryExtensionBody(short.body, short.headerLength),
      'tensor "x"',
      "binary_data_size is 4, expected at most the 2 bytes left in the body",
    );
  });

  it("rejects bytes after the last declared part", () => {
    const long = body(one, [1, 2, 3, 4, 5]);
    expectInvalid(
      () => parseBinaryExtensionBody(long.body, long.headerLength),
      "the body has 1 bytes after the declared binary data, expected none",
    );
  });

  it("rejects parts that do not match the header's declarations", () => {
    expectInvalid(
      () => buildBinaryExtensionBody(one, []),
      "got 0 binary parts, expected 1 (one per tensor with binary_data_size)",
    );
    expectInvalid(
      () => buildBinaryExtensionBody(one, [new Uint8Array(3)]),
      'tensor "x"',
      "binary part is 3 bytes, expected binary_data_size 4",
    );
  });

  it("keeps a part's bytes exact when the header has multi-byte UTF-8", () => {
    const tensor = encodeTensor({ name: "größe", datatype: "INT32", shape: [1], values: [-1] });
    const header = { inputs: [encodeRestTensor(tensor, { binaryData: true })] };
    const built = buildBinaryExtensionBody(header, [tensor.data]);
    expect([...built.body.subarray(built.headerLength)]).toEqual([0xff, 0xff, 0xff, 0xff]);
  });
});
