/** One dense layer of an MLP: `y = activation(x · weight + bias)`, an ONNX Gemm plus an activation. */
export interface MlpLayer {
  readonly inputs: number;
  readonly outputs: number;
  /** The ONNX operator applied after the Gemm. */
  readonly activation: "Relu" | "Sigmoid";
  /** Row-major `[inputs, outputs]` (Gemm's B without transB). */
  readonly weight: Float32Array;
  /** `outputs` values. */
  readonly bias: Float32Array;
}

/** What `encodeMlp` writes. */
export interface MlpModel {
  /** GraphProto.name. */
  readonly graphName: string;
  /** The graph input: FP32 `[batch, layers[0].inputs]`. */
  readonly inputName: string;
  /** The graph output: FP32 `[batch, last layer's outputs]`. */
  readonly outputName: string;
  /** At least one; each layer's `inputs` equals the previous layer's `outputs`. */
  readonly layers: readonly MlpLayer[];
  /** ModelProto.producer_name; `"gpu-sidecar"` when omitted. */
  readonly producer?: string;
}

/**
 * The ONNX file (IR 8, opset 17) of an MLP: per layer `i` a Gemm node `layer<i>.gemm` with the
 * initializers `layer<i>.weight` and `layer<i>.bias`, then the activation node; FP32 throughout,
 * with a dynamic `batch` dimension. The same model gives the same bytes. Throws a `RangeError` if
 * the layers do not chain or a weight or bias has the wrong size.
 */
export declare function encodeMlp(model: MlpModel): Uint8Array;
