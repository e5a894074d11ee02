import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import { describe, expect, it } from "vitest";
import { parseEndpointAddress } from "../src/client/endpoint-address.js";

describe("parseEndpointAddress", () => {
  it.each([
    ["unix:///run/gpu-sidecar.sock", "/run/gpu-sidecar.sock"],
    ["unix:/run/gpu-sidecar.sock", "/run/gpu-sidecar.sock"],
    ["unix:gpu-sidecar.sock", "gpu-sidecar.sock"],
  ])("reads %s as a Unix socket at %s, gRPC's naming", (url, socketPath) => {
    expect(parseEndpointAddress(url, "endpoint")).toEqual({ url, locality: "unix", socketPath });
  });

  it.each([
    ["http://127.0.0.1:8001", "loopback", "http://127.0.0.1:8001"],
    ["http://localhost:8001/", "loopback", "http://localhost:8001"],
    ["http://[::1]:8001", "loopback", "http://[::1]:8001"],
    ["http://10.1.2.3:8001", "remote", "http://10.1.2.3:8001"],
    ["http://gpu-node-7:8001", "remote", "http://gpu-node-7:8001"],
  ])("reads %s as a %s TCP endpoint", (url, locality, baseUrl) => {
    expect(parseEndpointAddress(url, "endpoint")).toEqual({ url, locality, baseUrl });
  });

  it.each([
    ["unix://host/run/s.sock", "a unix:// URL takes no host"],
    ["unix:", "the socket path is empty"],
    ["unix:///", "the socket path is empty"],
    ["https://host:8001", "scheme https: is not supported"],
    ["grpc://host:8001", "scheme grpc: is not supported"],
    ["http://host:8001/v2", "the Open Inference Protocol is served at the root"],
    ["http://user:pw@host:8001", "credentials"],
    ["host:8001", "scheme host: is not supported"],
    ["not a url", "not a URL"],
  ])("rejects %s: %s", (url, problem) => {
    let error: unknown;
    try {
      parseEndpointAddress(url, "endpoints[1]");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SidecarError);
    expect((error as SidecarError).code).toBe(ErrorCode.InvalidArgument);
    expect((error as SidecarError).message).toContain(
      `option endpoints[1] is ${JSON.stringify(url)}: ${problem}`,
    );
    expect((error as SidecarError).message).toContain("unix:///absolute/path.sock");
  });

  it("rejects a value that is not a string", () => {
    expect(() => parseEndpointAddress(8001 as never, "endpoint")).toThrow(
      "createSidecarClient: option endpoint is 8001, expected unix:///absolute/path.sock",
    );
  });
});
