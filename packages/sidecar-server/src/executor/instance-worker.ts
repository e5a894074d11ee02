// Entry of one model instance's worker thread (built to dist/instance-worker.js). It loads the
// model with its own backend session and runs one batch at a time: the blocking native call
// happens here, never on the sidecar's event loop.
import { parentPort, workerData } from "node:worker_threads";
import { ErrorCode, type LoadedModel, SidecarError } from "@gpu-sidecar/sidecar-core";
import { createBackend } from "../backends/create-backend.js";
import type {
  FromInstance,
  InstanceWorkerData,
  ToInstance,
  WireError,
} from "./instance-messages.js";
import { transferableTensors } from "./transferable-tensors.js";

function toWire(error: unknown): WireError {
  const { code, message } = SidecarError.from(error);
  return { code, message };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) {
    throw new SidecarError(
      ErrorCode.FailedPrecondition,
      "instance-worker.js is a worker_threads entry; start it with new Worker(), not node",
    );
  }
  const post = (message: FromInstance, transferList: ArrayBuffer[] = []) =>
    port.postMessage(message, transferList);
  const { backend, request } = workerData as InstanceWorkerData;

  let model: LoadedModel;
  try {
    model = await createBackend(backend, {
      onWarning: (message) => post({ type: "warning", message }),
    }).load(request);
  } catch (error) {
    post({ type: "load-failed", error: toWire(error) });
    port.close();
    return;
  }

  port.on("message", async (message: ToInstance) => {
    if (message.type === "close") {
      try {
        await model.unload();
      } catch (error) {
        post({ type: "warning", message: `unloading the model failed: ${toWire(error).message}` });
      }
      port.close();
      return;
    }
    try {
      const { tensors, transferList } = transferableTensors(
        await model.run(message.inputs, message.outputNames),
      );
      post({ type: "result", outputs: tensors }, transferList);
    } catch (error) {
      post({ type: "run-failed", error: toWire(error) });
    }
  });
  // A run whose inputs cannot be deserialized (say, a detached buffer) never reaches "message":
  // answer it, or the instance stays busy and its model hangs.
  port.on("messageerror", (error) => post({ type: "run-failed", error: toWire(error) }));
  post({ type: "ready", signature: model.signature });
}

void main();
