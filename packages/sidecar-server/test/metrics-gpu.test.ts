import { join } from "node:path";
import { GPU_STATUS_QUERY_ARGS } from "@gpu-sidecar/resource-profile";
import { afterEach, describe, expect, it } from "vitest";
import { createSidecarMetrics, type PrometheusMetrics } from "../src/metrics/sidecar-metrics.js";
import {
  capturingLogger,
  eventually,
  fakeNvidiaSmi,
  type MetricsEndpoint,
  parseSamples,
  replaceFile,
  seriesNamed,
  serveMetrics,
} from "./fixtures/metrics/metrics-harness.js";

const MIB = 1024 * 1024;
const TWO_GPUS = [
  "0, GPU-aaaaaaaa-0000-0000-0000-000000000000, NVIDIA H100 80GB HBM3, 81559, 1024, 80535, 37",
  "1, GPU-bbbbbbbb-1111-1111-1111-111111111111, NVIDIA H100 80GB HBM3, 81559, 80000, 1559, 100",
].join("\n");

const open: { metrics: PrometheusMetrics; endpoint: MetricsEndpoint }[] = [];

async function start(
  nvidiaSmiPath: string,
  options: { intervalMs?: number; timeoutMs?: number } = {},
) {
  const { logger, records } = capturingLogger();
  const metrics = createSidecarMetrics({
    logger,
    gpuPollIntervalMs: options.intervalMs ?? 20,
    nvidiaSmiPath,
    nvidiaSmiTimeoutMs: options.timeoutMs,
  });
  const endpoint = await serveMetrics(metrics.handler);
  open.push({ metrics, endpoint });
  const gpuSamples = async () => {
    const samples = parseSamples((await endpoint.scrape()).body);
    return new Map([...samples].filter(([key]) => key.startsWith("gpu_sidecar_gpu_")));
  };
  return { metrics, records, gpuSamples };
}

/**
 * Waits while `intervals` poll intervals pass, counted by the runs of a second poller at the same
 * interval rather than by a clock: the absence of runs is only proved by letting runs happen.
 */
async function intervalsPass(intervals: number, intervalMs = 10): Promise<void> {
  const witness = await fakeNvidiaSmi(`echo '0, GPU-w, T4, 1, 1, 0, 1'`);
  await start(witness.path, { intervalMs });
  await eventually(async () => expect(await witness.runs()).toBeGreaterThanOrEqual(intervals));
}

afterEach(async () => {
  for (const { metrics, endpoint } of open.splice(0)) {
    await endpoint.close();
    await metrics.close();
  }
});

describe("GPU metrics from nvidia-smi", () => {
  it("runs the utilization query and exports each GPU's figures with gpu and uuid labels", async () => {
    // The fake answers only the expected query, so that the arguments are checked too.
    const smi = await fakeNvidiaSmi(
      `[ "$*" = "${GPU_STATUS_QUERY_ARGS.join(" ")}" ] || exit 3\ncat <<'OUT'\n${TWO_GPUS}\nOUT`,
    );
    const { gpuSamples, records } = await start(smi.path);
    const a = 'gpu="0",uuid="GPU-aaaaaaaa-0000-0000-0000-000000000000"';
    const b = 'gpu="1",uuid="GPU-bbbbbbbb-1111-1111-1111-111111111111"';
    await eventually(async () => {
      expect(Object.fromEntries(await gpuSamples())).toEqual({
        [`gpu_sidecar_gpu_utilization_ratio{${a}}`]: 0.37,
        [`gpu_sidecar_gpu_utilization_ratio{${b}}`]: 1,
        [`gpu_sidecar_gpu_memory_used_bytes{${a}}`]: 1024 * MIB,
        [`gpu_sidecar_gpu_memory_used_bytes{${b}}`]: 80000 * MIB,
        [`gpu_sidecar_gpu_memory_total_bytes{${a}}`]: 81559 * MIB,
        [`gpu_sidecar_gpu_memory_total_bytes{${b}}`]: 81559 * MIB,
      });
    });
    expect(records.filter((record) => (record.level as number) >= 40)).toEqual([]);
  });

  it("follows the GPUs from poll to poll", async () => {
    const output = join(await fakeNvidiaSmi("").then((smi) => smi.dir), "output");
    await replaceFile(output, "0, GPU-a, T4, 2, 1, 1, 10\n");
    const smi = await fakeNvidiaSmi(`cat "${output}"`);
    const { gpuSamples } = await start(smi.path);
    const key = 'gpu_sidecar_gpu_utilization_ratio{gpu="0",uuid="GPU-a"}';
    await eventually(async () => expect((await gpuSamples()).get(key)).toBe(0.1));
    await replaceFile(output, "0, GPU-a, T4, 2, 1, 1, 55\n");
    await eventually(async () => expect((await gpuSamples()).get(key)).toBe(0.55));
  });

  it("without nvidia-smi: no GPU series and one log line, however many intervals pass", async () => {
    const missing = join(await fakeNvidiaSmi("").then((smi) => smi.dir), "no-such-nvidia-smi");
    const { gpuSamples, records } = await start(missing, { intervalMs: 10 });
    await eventually(async () => expect(records).toHaveLength(1));
    await intervalsPass(10);
    expect(await gpuSamples()).toEqual(new Map());
    expect(records).toHaveLength(1);
    expect(records[0]?.level).toBe(40);
    expect(records[0]?.msg).toMatch(/GPU metrics are disabled: nvidia-smi was not found/);
    expect(records[0]?.msg).toContain(missing);
  });

  it("on garbage output: no GPU series, one warning while it lasts, and recovery logged", async () => {
    const output = join(await fakeNvidiaSmi("").then((smi) => smi.dir), "output");
    await replaceFile(output, "this is not csv\n");
    const smi = await fakeNvidiaSmi(`cat "${output}"`);
    const { gpuSamples, records } = await start(smi.path, { intervalMs: 10 });
    await eventually(async () => expect(await smi.runs()).toBeGreaterThanOrEqual(4));
    expect(await gpuSamples()).toEqual(new Map());
    expect(records.map((record) => [record.level, record.msg])).toEqual([
      [
        40,
        'GPU metrics are unavailable until nvidia-smi answers: GPU discovery output line 1 "this is not csv" is not "index, uuid, name, memory.total (MiB), memory.used (MiB), memory.free (MiB), utilization.gpu (%)": expected 7 comma-separated fields, got 1',
      ],
    ]);
    await replaceFile(output, "0, GPU-a, T4, 2, 1, 1, 10\n");
    await eventually(async () => expect((await gpuSamples()).size).toBe(3));
    expect(records.map((record) => record.msg)).toHaveLength(2);
    expect(records[1]).toMatchObject({ level: 30, msg: "GPU metrics recovered", gpus: 1 });
  });

  it("drops the figures of a failed poll instead of serving stale ones", async () => {
    const output = join(await fakeNvidiaSmi("").then((smi) => smi.dir), "output");
    await replaceFile(output, "0, GPU-a, T4, 2, 1, 1, 10\n");
    // One read of the file decides both the output and the exit status.
    const smi = await fakeNvidiaSmi(`out=$(cat "${output}")\n[ -n "$out" ] || exit 9\necho "$out"`);
    const { gpuSamples, records } = await start(smi.path);
    await eventually(async () => expect((await gpuSamples()).size).toBe(3));
    await replaceFile(output, "");
    await eventually(async () => expect((await gpuSamples()).size).toBe(0));
    expect(records.at(-1)?.msg).toMatch(/exited with code 9$/);
  });

  it("reports nvidia-smi's own explanation when it exits non-zero", async () => {
    const smi = await fakeNvidiaSmi(
      'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver."\nexit 9',
    );
    const { gpuSamples, records } = await start(smi.path);
    await eventually(async () => expect(records).toHaveLength(1));
    expect(records[0]?.msg).toBe(
      `GPU metrics are unavailable until nvidia-smi answers: GPU discovery "${smi.path} ${GPU_STATUS_QUERY_ARGS.join(" ")}" exited with code 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.`,
    );
    expect(await gpuSamples()).toEqual(new Map());
  });

  it("kills an nvidia-smi that hangs past the timeout", async () => {
    const smi = await fakeNvidiaSmi("exec sleep 30");
    const { gpuSamples, records } = await start(smi.path, { timeoutMs: 100 });
    await eventually(async () => expect(records).toHaveLength(1));
    expect(records[0]?.msg).toBe(
      `GPU metrics are unavailable until nvidia-smi answers: GPU discovery "${smi.path} ${GPU_STATUS_QUERY_ARGS.join(" ")}" did not finish within 100 ms and was killed; check that the GPU driver responds, or raise timeoutMs`,
    );
    expect(await gpuSamples()).toEqual(new Map());
  });

  it("leaves out a figure the GPU does not report", async () => {
    const smi = await fakeNvidiaSmi("echo '0, MIG-x, A100, 40960, 512, [N/A], [Not Supported]'");
    const { gpuSamples } = await start(smi.path);
    await eventually(async () =>
      expect(Object.fromEntries(await gpuSamples())).toEqual({
        'gpu_sidecar_gpu_memory_used_bytes{gpu="0",uuid="MIG-x"}': 512 * MIB,
        'gpu_sidecar_gpu_memory_total_bytes{gpu="0",uuid="MIG-x"}': 40960 * MIB,
      }),
    );
  });

  it("stops polling on close, killing a poll in flight", async () => {
    const smi = await fakeNvidiaSmi(`echo '0, GPU-a, T4, 1, 1, 0, 1'`);
    const { metrics, gpuSamples } = await start(smi.path, { intervalMs: 10 });
    await eventually(async () => expect(await smi.runs()).toBeGreaterThanOrEqual(2));
    expect(seriesNamed(await gpuSamples(), "gpu_sidecar_gpu_utilization_ratio")).toHaveLength(1);
    await metrics.close();
    const runs = await smi.runs();
    await intervalsPass(5);
    // At most the poll that was starting as close ran.
    expect(await smi.runs()).toBeLessThanOrEqual(runs + 1);
    const settled = await smi.runs();
    await intervalsPass(5);
    expect(await smi.runs()).toBe(settled);
  });

  it("never runs nvidia-smi when the interval is 0", async () => {
    const smi = await fakeNvidiaSmi(`echo '0, GPU-a, T4, 1, 1, 0, 1'`);
    const { gpuSamples } = await start(smi.path, { intervalMs: 0 });
    await intervalsPass(5);
    expect(await smi.runs()).toBe(0);
    expect(await gpuSamples()).toEqual(new Map());
  });
});
