import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  loadModelRepository,
  type ModelRepository,
  type RepositoryModel,
} from "../src/config/index.js";
import { SidecarError } from "../src/sidecar-error.js";

let base: string;
let root: string;
let repository: ModelRepository;

/** Creates `files` (relative path → content; a path ending in `/` is an empty directory). */
async function tree(directory: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const file = join(directory, path);
    if (path.endsWith("/")) {
      await mkdir(file, { recursive: true });
    } else {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    }
  }
}

async function failure(name: string): Promise<SidecarError> {
  const error = await repository.readModel(name).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SidecarError);
  return error as SidecarError;
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "model-repository-"));
  root = join(base, "repo");
  const onnx = "not really onnx";
  await tree(root, {
    "fraud/config.json": JSON.stringify({
      max_batch_size: 16,
      version_policy: { latest: { num_versions: 2 } },
    }),
    "fraud/1/model.onnx": onnx,
    "fraud/2/model.onnx": onnx,
    "fraud/9/model.onnx": onnx,
    "fraud/10/model.onnx": onnx,
    "fraud/0/model.onnx": onnx,
    "fraud/01/model.onnx": onnx,
    "fraud/notes.txt": "",
    "ranker/1/model.onnx": onnx,
    "every/config.json": JSON.stringify({ version_policy: { all: {} } }),
    "every/1/model.onnx": onnx,
    "every/2/model.onnx": onnx,
    "chosen/config.json": JSON.stringify({ version_policy: { specific: { versions: [3, 1] } } }),
    "chosen/1/model.onnx": onnx,
    "chosen/2/model.onnx": onnx,
    "chosen/3/model.onnx": onnx,
    "chosen-missing/config.json": JSON.stringify({
      version_policy: { specific: { versions: [2, 5, 7] } },
    }),
    "chosen-missing/1/model.onnx": onnx,
    "chosen-missing/2/model.onnx": onnx,
    "stub/config.json": JSON.stringify({ backend: "mock", mock: { fixed_latency_us: 100 } }),
    "stub/1/": "",
    "unversioned/config.json": "{}",
    "unversioned/latest/model.onnx": onnx,
    "unversioned/v1/": "",
    "unversioned/0/model.onnx": onnx,
    "unversioned/007/model.onnx": onnx,
    "fileless/1/": "",
    "misconfigured/config.json": JSON.stringify({
      max_batch_size: -1,
      dynamic_batching: { max_queue_delay: 10 },
      backend: "onnx",
    }),
    "misconfigured/1/model.onnx": onnx,
    "garbled/config.json": "{ max_batch_size: 4 ",
    "garbled/1/model.onnx": onnx,
    "README.md": "# models",
    ".cache/1/model.onnx": onnx,
    "version-escape/1/model.onnx": onnx,
  });
  await tree(base, { "outside/1/model.onnx": onnx });
  await symlink(join(root, "ranker"), join(root, "alias"));
  await symlink(join(base, "outside"), join(root, "escape"));
  await symlink(join(root, "nothing-here"), join(root, "dangling"));
  await symlink(join(base, "outside/1"), join(root, "version-escape/2"));
  repository = await loadModelRepository(root);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("listModels", () => {
  it("lists model directories and symlinks to directories, sorted", async () => {
    expect(await repository.listModels()).toEqual([
      "alias",
      "chosen",
      "chosen-missing",
      "escape",
      "every",
      "fileless",
      "fraud",
      "garbled",
      "misconfigured",
      "ranker",
      "stub",
      "unversioned",
      "version-escape",
    ]);
  });
});

describe("readModel", () => {
  it("reads config.json and selects the latest versions by number, not by name", async () => {
    const model = await repository.readModel("fraud");
    expect(model.name).toBe("fraud");
    expect(model.path).toBe(join(root, "fraud"));
    expect(model.config.max_batch_size).toBe(16);
    expect(model.versions).toEqual([
      { version: "9", path: join(root, "fraud/9") },
      { version: "10", path: join(root, "fraud/10") },
    ]);
  });

  it("uses the default config without config.json: the latest version only", async () => {
    const model = await repository.readModel("ranker");
    expect(model.config.backend).toBe("onnx");
    expect(model.config.max_batch_size).toBe(32);
    expect(model.versions.map((version) => version.version)).toEqual(["1"]);
  });

  it("selects every version with the all policy", async () => {
    const model = await repository.readModel("every");
    expect(model.versions.map((version) => version.version)).toEqual(["1", "2"]);
  });

  it("selects the listed versions with the specific policy", async () => {
    const model = await repository.readModel("chosen");
    expect(model.versions.map((version) => version.version)).toEqual(["1", "3"]);
  });

  it("reports specific versions that have no directory, with the available ones", async () => {
    const error = await failure("chosen-missing");
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toContain("asks for 5, 7");
    expect(error.message).toContain("available: 1, 2");
  });

  it("needs no model file for a mock model", async () => {
    const model = await repository.readModel("stub");
    expect(model.config.backend === "mock" && model.config.mock.fixed_latency_us).toBe(100);
    expect(model.versions).toEqual([{ version: "1", path: join(root, "stub/1") }]);
  });

  it("reports a model without a positive-integer version directory, listing what it found", async () => {
    const error = await failure("unversioned");
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toContain('model "unversioned" has no version');
    expect(error.message).toContain(join(root, "unversioned/1"));
    expect(error.message).toContain("found only: 0, 007, latest, v1");
  });

  it("reports a selected onnx version without model.onnx, naming the file", async () => {
    const error = await failure("fileless");
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toContain(join(root, "fileless/1/model.onnx"));
  });

  it("reports every issue of a bad config.json with the file and key path", async () => {
    const error = await failure("misconfigured");
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.map((issue) => [issue.source, issue.path])).toEqual([
      [join(root, "misconfigured/config.json"), "max_batch_size"],
      [join(root, "misconfigured/config.json"), "dynamic_batching.max_queue_delay"],
    ]);
    expect(issues[1]?.message).toContain("max_queue_delay_us");
  });

  it("reports a config.json that is not JSON", async () => {
    const error = await failure("garbled");
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toContain(join(root, "garbled/config.json"));
    expect(error.message).toContain("not valid JSON");
  });

  it("follows a symlink that stays inside the repository", async () => {
    const model = await repository.readModel("alias");
    expect(model.versions).toEqual([{ version: "1", path: join(root, "alias/1") }]);
  });

  it("refuses a model symlink that leaves the repository", async () => {
    const error = await failure("escape");
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toContain('model "escape" resolves to');
    expect(error.message).toContain("outside the model repository");
  });

  it("refuses a version symlink that leaves the repository", async () => {
    const error = await failure("version-escape");
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toContain('model "version-escape" version 2');
  });

  it("refuses names that are not one safe directory name", async () => {
    for (const name of [
      "../escape",
      "a/b",
      "..",
      ".",
      "",
      "/etc",
      "a\\b",
      ".cache",
      "-x",
      "x".repeat(256),
    ]) {
      const error = await failure(name);
      expect(error.code).toBe("INVALID_ARGUMENT");
      expect(error.message).toContain(`invalid model name ${JSON.stringify(name)}`);
    }
  });

  it("reports unknown names, files and dangling symlinks as NOT_FOUND", async () => {
    for (const name of ["nope", "README.md", "dangling"]) {
      const error = await failure(name);
      expect(error.code).toBe("NOT_FOUND");
      expect(error.message).toContain(`model ${JSON.stringify(name)} not found`);
    }
  });

  it("never returns a path outside the repository, whatever the name", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.constantFrom("fraud", "escape", "alias", "..", "../repo/fraud"),
          fc
            .array(fc.constantFrom("..", ".", "fraud", "escape", "1", "/"), { maxLength: 4 })
            .map((parts) => parts.join("/")),
        ),
        async (name) => {
          let model: RepositoryModel;
          try {
            model = await repository.readModel(name);
          } catch (error) {
            expect(error).toBeInstanceOf(SidecarError);
            return;
          }
          const realRoot = await realpath(root);
          for (const { path } of model.versions) {
            expect((await realpath(path)).startsWith(`${realRoot}/`)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("loadModelRepository", () => {
  it("reports a missing repository or a file as NOT_FOUND", async () => {
    for (const path of [join(base, "absent"), join(root, "README.md")]) {
      const error = await loadModelRepository(path).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(SidecarError);
      expect((error as SidecarError).code).toBe("NOT_FOUND");
      expect((error as Error).message).toContain(path);
    }
  });

  it("works through a symlinked repository root, keeping the given path", async () => {
    const link = join(base, "linked-repo");
    await symlink(root, link);
    const linked = await loadModelRepository(link);
    expect(linked.root).toBe(link);
    const model = await linked.readModel("fraud");
    expect(model.versions.map((version) => version.path)).toEqual([
      join(link, "fraud/9"),
      join(link, "fraud/10"),
    ]);
    expect(
      (await linked.readModel("escape").catch((error: unknown) => error)) instanceof SidecarError,
    ).toBe(true);
  });
});
