/** Milliseconds per unit of a `grpc-timeout` header (gRPC over HTTP/2, "Timeout"). */
const UNIT_MS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

const TIMEOUT = /^(\d{1,8})([HMSmun])$/;

/**
 * A `grpc-timeout` header in milliseconds: `undefined` when absent, `null` when malformed
 * (at most 8 digits and one unit letter, as the gRPC spec writes it).
 */
export function parseGrpcTimeout(value: string | readonly string[] | undefined | null) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") return null;
  const match = TIMEOUT.exec(value);
  if (match === null) return null;
  return (UNIT_MS[match[2] as string] as number) * Number.parseInt(match[1] as string, 10);
}

/** The `grpc-timeout` header for `ms` milliseconds: whole milliseconds, rounded up, at least 1. */
export function formatGrpcTimeout(ms: number): string {
  return `${Math.max(1, Math.ceil(ms))}m`;
}
