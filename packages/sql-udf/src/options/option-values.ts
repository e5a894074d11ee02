import { z } from "zod";

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  nano: 1e-6,
  nanos: 1e-6,
  us: 1e-3,
  micro: 1e-3,
  micros: 1e-3,
  ms: 1,
  milli: 1,
  millis: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** Flink's duration syntax (`TimeUtils.parseDuration`): `30s`, `3 min`, `100ms`; a bare number is milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (match === null) return undefined;
  const unit = (match[2] ?? "").toLowerCase();
  const scale = unit === "" ? 1 : DURATION_UNITS[unit];
  return scale === undefined ? undefined : Number(match[1]) * scale;
}

/** Option values are SQL strings; each schema reads one into its typed value. */
export const durationValue = z.string().transform((text, context) => {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms <= 0) {
    context.addIssue({
      code: "custom",
      message: `'${text}' is not a positive duration: write e.g. '30s', '3min', '100ms'`,
    });
    return z.NEVER;
  }
  return ms;
});

export const booleanValue = z.string().transform((text, context) => {
  const lower = text.trim().toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  context.addIssue({ code: "custom", message: `'${text}' is not 'true' or 'false'` });
  return z.NEVER;
});

export function integerValue(min: number, max: number) {
  return z.string().transform((text, context) => {
    const n = /^\s*-?\d+\s*$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      context.addIssue({
        code: "custom",
        message: `'${text}' is not an integer from ${min} to ${max}`,
      });
      return z.NEVER;
    }
    return n;
  });
}

/** One of `values`, case-insensitive, returned as written in `values`. */
export function enumValue<const T extends string>(values: readonly T[]) {
  return z.string().transform((text, context) => {
    const found = values.find((value) => value.toLowerCase() === text.trim().toLowerCase());
    if (found === undefined) {
      context.addIssue({
        code: "custom",
        message: `'${text}' is not one of ${values.map((v) => `'${v}'`).join(", ")}`,
      });
      return z.NEVER;
    }
    return found;
  });
}

export const nonEmptyValue = z.string().refine((text) => text.trim() !== "", {
  message: "is empty",
});

/** Flink's map option syntax, `'K:v,K2:v2'`. */
export const headersValue = z.string().transform((text, context) => {
  const headers: Record<string, string> = {};
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue;
    const colon = pair.indexOf(":");
    const name = colon < 0 ? "" : pair.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      context.addIssue({
        code: "custom",
        message: `'${pair}' is not a header written 'Name:value' (pairs separated by commas)`,
      });
      return z.NEVER;
    }
    headers[name] = pair.slice(colon + 1).trim();
  }
  return headers;
});

/** An `http://` or `https://` URL. */
export const httpUrlValue = z.string().transform((text, context) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    context.addIssue({ code: "custom", message: `'${text}' is not a URL` });
    return z.NEVER;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    context.addIssue({ code: "custom", message: `'${text}' is not an http:// or https:// URL` });
    return z.NEVER;
  }
  return text.replace(/\/+$/, "");
});
