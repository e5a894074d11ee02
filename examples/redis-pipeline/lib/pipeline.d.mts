import type { SqlResult } from "@gpu-sidecar/sql-udf";

export interface PipelineOptions {
  readonly messages: number;
  readonly workers: number;
  readonly chaos?: boolean;
  readonly batchRows?: number;
  readonly onProgress?: (progress: { scored: number; messages: number; elapsedMs: number }) => void;
}

export interface PipelineResult {
  readonly rows: readonly { messageId: string; tx: number; merchant: string; score: number }[];
  readonly elapsedMs: number;
  readonly rowsPerSecond: number;
  readonly pending: number;
  readonly killedWorker: boolean;
  readonly sidecarRestarts: number;
  readonly workerExits: readonly { code: number | null; signal: NodeJS.Signals | null }[];
  readonly claimed: number;
  readonly report: {
    readonly topMerchants: SqlResult;
    readonly comparison: { scored: bigint; differing: bigint };
  };
}

export function runPipeline(options: PipelineOptions): Promise<PipelineResult>;
