export declare const FRAUD_FEATURE_COUNT: 16;

/** One dense layer: `y = activation(x · weight + bias)`. */
export interface FraudLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly activation: "Relu" | "Sigmoid";
  /** Row-major `[inputs, outputs]`. */
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

export declare function fraudWeights(): FraudLayer[];
