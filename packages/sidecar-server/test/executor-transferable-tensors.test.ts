import type { Tensor } from "@gpu-sidecar/sidecar-core";
import { describe, expect, it } from "vitest";
import { transferableTensors } from "../src/executor/transferable-tensors.js";

function tensor(name: string, data: Uint8Array): Tensor {
  return { name, datatype: "UINT8", shape: [data.byteLength], data };
}

describe("transferableTensors", () => {
  it("transfers a tensor that spans its whole buffer as is", () => {
    const input = tensor("a", new Uint8Array([1, 2, 3]));
    const { tensors, transferList } = transferableTensors([input]);
    expect(tensors[0]).toBe(input);
    expect(transferList).toEqual([input.data.buffer]);
  });

  it("copies a view into a larger buffer into a buffer of its own", () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5]);
    const { tensors, transferList } = transferableTensors([tensor("a", backing.subarray(1, 3))]);
    const data = tensors[0]?.data;
    expect(data).toEqual(new Uint8Array([2, 3]));
    expect(data?.buffer).not.toBe(backing.buffer);
    expect(transferList).toEqual([data?.buffer]);
    expect(transferList).not.toContain(backing.buffer);
  });

  it("copies a Node Buffer view, whose own slice would share (and then detach) the request's memory", () => {
    const backing = new ArrayBuffer(8);
    const view = Buffer.from(backing, 2, 3);
    view.set([4, 5, 6]);
    const { tensors, transferList } = transferableTensors([tensor("a", view)]);
    expect(tensors[0]?.data).toEqual(new Uint8Array([4, 5, 6]));
    expect(tensors[0]?.data.buffer.byteLength).toBe(3);
    expect(transferList).not.toContain(backing);
  });

  it("copies the second of two tensors over the same buffer, since a buffer moves only once", () => {
    const shared = new Uint8Array([7, 8]);
    const { tensors, transferList } = transferableTensors([
      tensor("a", shared),
      tensor("b", shared),
    ]);
    expect(tensors[0]?.data).toBe(shared);
    expect(tensors[1]?.data).not.toBe(shared);
    expect(tensors[1]?.data).toEqual(shared);
    expect(new Set(transferList).size).toBe(2);
  });

  it("copies shared memory, which cannot be transferred", () => {
    const shared = new Uint8Array(new SharedArrayBuffer(4));
    const { tensors, transferList } = transferableTensors([tensor("a", shared)]);
    expect(tensors[0]?.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(transferList).toEqual([tensors[0]?.data.buffer]);
  });
});
