import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";

/**
 * How close an endpoint is to this process. A Unix socket can only be on this host, a
 * loopback address is too, anything else is across the network: routing prefers them in
 * that order.
 */
export type EndpointLocality = "unix" | "loopback" | "remote";

/** An endpoint URL, parsed once when the client is created. */
export type EndpointAddress =
  | {
      /** The endpoint as configured, e.g. `unix:///run/gpu-sidecar.sock`. */
      readonly url: string;
      readonly locality: "unix";
      /** The socket the HTTP/2 connection is opened on. */
      readonly socketPath: string;
    }
  | {
      /** The endpoint as configured, e.g. `http://10.0.0.7:8001`. */
      readonly url: string;
      readonly locality: "loopback" | "remote";
      /** Scheme, host and port: what Connect sends requests to. */
      readonly baseUrl: string;
    };

const EXPECTED = "expected unix:///absolute/path.sock, unix:relative/path.sock or http://host:port";

function invalidEndpoint(option: string, url: string, problem: string): SidecarError {
  return new SidecarError(
    ErrorCode.InvalidArgument,
    `createSidecarClient: option ${option} is ${JSON.stringify(url)}: ${problem}, ${EXPECTED}`,
  );
}

function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * Parses one endpoint. Unix sockets follow gRPC's naming (`unix:///abs` or `unix:rel`), so
 * the same string works with other gRPC clients; TCP endpoints are cleartext `http://` (h2c).
 * `option` names the option the URL came from, for the error message.
 */
export function parseEndpointAddress(url: string, option: string): EndpointAddress {
  if (typeof url !== "string") {
    throw new SidecarError(
      ErrorCode.InvalidArgument,
      `createSidecarClient: option ${option} is ${String(url)}, ${EXPECTED}`,
    );
  }
  if (url.startsWith("unix:")) {
    let socketPath: string;
    if (url.startsWith("unix://")) {
      socketPath = url.slice("unix://".length);
      if (!socketPath.startsWith("/")) {
        throw invalidEndpoint(option, url, "a unix:// URL takes no host");
      }
    } else {
      socketPath = url.slice("unix:".length);
    }
    if (socketPath === "" || socketPath === "/") {
      throw invalidEndpoint(option, url, "the socket path is empty");
    }
    return { url, locality: "unix", socketPath };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidEndpoint(option, url, "not a URL");
  }
  if (parsed.protocol !== "http:") {
    throw invalidEndpoint(option, url, `scheme ${parsed.protocol} is not supported`);
  }
  if (parsed.pathname !== "/" || parsed.search !== "" || parsed.hash !== "") {
    throw invalidEndpoint(option, url, "the Open Inference Protocol is served at the root");
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw invalidEndpoint(option, url, "credentials in the URL are not supported");
  }
  return {
    url,
    locality: isLoopbackHost(parsed.hostname) ? "loopback" : "remote",
    baseUrl: `${parsed.protocol}//${parsed.host}`,
  };
}
