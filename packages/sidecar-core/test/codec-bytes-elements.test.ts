import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBytesElements, encodeBytesElements } from "../src/codec/index.js";
import { utf8ByteLength } from "../src/codec/utf8.js";
import { expectInvalid, frame } from "./codec-helpers.js";

const text = new TextEncoder();

describe("BYTES framing", () => {
  it('frames ["ab", ""] as 02 00 00 00 61 62 00 00 00 00', () => {
    expect([...encodeBytesElements(["ab", ""], "t")]).toEqual([
      0x02, 0x00, 0x00, 0x00, 0x61, 0x62, 0x00, 0x00, 0x00, 0x00,
    ]);
  });

  it("writes the length little-endian and strings as UTF-8", () => {
    const element = new Uint8Array(0x0102).fill(7);
    const framed = encodeBytesElements([element, "é"], "t");
    expect([...framed.subarray(0, 4)]).toEqual([0x02, 0x01, 0x00, 0x00]);
    expect([...framed.subarray(4 + 0x0102)]).toEqual([2, 0, 0, 0, 0xc3, 0xa9]);
  });

  it("agrees with an independent framing for bytes and strings alike", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array(), fc.string({ unit: "binary" }))),
        (elements) => {
          const bytes = elements.map((e) => (typeof e === "string" ? text.encode(e) : e));
          expect(encodeBytesElements(elements, "t")).toEqual(frame(bytes));
        },
      ),
    );
  });

  it("decodes what it encodes, as views of the data", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array()), (elements) => {
        const data = encodeBytesElements(elements, "t");
        const decoded = decodeBytesElements(data, elements.length, "t");
        expect(decoded).toEqual(elements);
        for (const element of decoded) expect(element.buffer).toBe(data.buffer);
      }),
    );
  });

  it("rejects an element that is neither bytes nor a string", () => {
    expectInvalid(
      () => encodeBytesElements(["a", 5 as unknown as string], "words"),
      'tensor "words"',
      "BYTES element 1 is number 5",
      "expected a Uint8Array or a string",
    );
  });
});

describe("BYTES framing errors", () => {
  it("rejects a length prefix cut short", () => {
    expectInvalid(
      () => decodeBytesElements(Uint8Array.of(1, 0, 0, 0, 9, 2, 0), 2, "words"),
      'tensor "words"',
      "BYTES element 1 length prefix at byte 5",
      "expected 4 bytes, got 2",
    );
  });

  it("rejects an element whose length runs past the buffer", () => {
    expectInvalid(
      () => decodeBytesElements(Uint8Array.of(5, 0, 0, 0, 0x61, 0x62), 1, "words"),
      'tensor "words"',
      "BYTES element 0 at byte 0 runs past the data",
      "expected 5 bytes, got 2",
    );
  });

  it("rejects a length near 2^32 without reading past the buffer", () => {
    expectInvalid(
      () => decodeBytesElements(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1), 1, "words"),
      "expected 4294967295 bytes, got 1",
    );
  });

  it("rejects bytes after the last element", () => {
    expectInvalid(
      () => decodeBytesElements(Uint8Array.of(1, 0, 0, 0, 0x61, 0xee, 0xee), 1, "words"),
      'tensor "words"',
      "has 2 bytes after its 1 elements, expected none",
    );
  });

  it("rejects any truncation of well-framed data", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array(), { minLength: 1 }), fc.nat(), (elements, cut) => {
        const data = frame(elements);
        const truncated = data.subarray(0, cut % data.length);
        expectInvalid(() => decodeBytesElements(truncated, elements.length, "t"), "runs past");
      }),
    );
  });
});

describe("utf8ByteLength", () => {
  it("equals TextEncoder's output length for any UTF-16, lone surrogates included", () => {
    const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
    fc.assert(
      fc.property(
        fc.string({ unit: fc.oneof(anyUnit, fc.string({ unit: "binary", maxLength: 1 })) }),
        (s) => {
          expect(utf8ByteLength(s)).toBe(text.encode(s).length);
        },
      ),
    );
  });
});
