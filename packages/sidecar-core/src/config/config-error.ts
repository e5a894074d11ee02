import { ErrorCode, SidecarError } from "../sidecar-error.js";
import { type ConfigIssue, formatConfigIssue } from "./config-issue.js";

/**
 * A configuration that cannot be used, with every issue found in it. It is a SidecarError (so
 * `SidecarError.from`, code-based handling and the gRPC/HTTP mapping of a failed repository
 * load keep working) that also carries the issues as data, for the CLI to print and for
 * callers to inspect without parsing the message.
 */
export class ConfigError extends SidecarError {
  readonly issues: readonly ConfigIssue[];

  constructor(
    issues: readonly ConfigIssue[],
    code: ErrorCode = ErrorCode.InvalidArgument,
    options?: { cause?: unknown },
  ) {
    const count = issues.length === 1 ? "1 issue" : `${issues.length} issues`;
    const lines = issues.map((issue) => `  - ${formatConfigIssue(issue)}`);
    super(code, [`invalid configuration, ${count}:`, ...lines].join("\n"), options);
    this.issues = issues;
  }
}
