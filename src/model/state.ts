// ModelState: everything a loaded model holds (config, backend, weights, per-model constants), internal to the
// library. GermModel (pipeline/) is its thin public face; lora/, quant/ and train/ work on this, not on GermModel.
import type { Backend } from "../contract/backend.js";
import type { FormatName } from "../contract/formats.js";
import { alibiSlopes } from "../contract/math.js";
import { indexOf, type TensorIndex, type TensorMap } from "../io/raw-tensor.js";
import type { GermConfig } from "./config.js";
import { disposeWeights, loadWeights, type ModelWeights, type Prequantized, type SimulateBits } from "./weights.js";

export interface ModelState {
  readonly config: GermConfig;
  readonly backend: Backend;
  readonly weights: ModelWeights;
  /** Storage format of the projection weights. */
  readonly format: FormatName;
  /** ALiBi slopes, made once (backends may keep them on the device for the model's lifetime). */
  readonly slopes: Float32Array;
}

/**
 * Upload a checkpoint's weights to `backend` (which the caller checked runs everything the model needs), tensor by
 * tensor from an opened checkpoint's index or from a loaded TensorMap.
 */
export async function createModelState(backend: Backend, tensors: TensorIndex | TensorMap, config: GermConfig, file: string, format: FormatName,
  prequantized: Prequantized = false, simulate?: SimulateBits, allowNonFinite = false): Promise<ModelState> {
  const index = isIndex(tensors) ? tensors : indexOf(tensors);
  const weights = await loadWeights(backend, index, config, file, format, prequantized, simulate, allowNonFinite);
  return { config, backend, weights, format, slopes: alibiSlopes(config.numAttentionHeads) };
}

/** Free the weights and the backend. */
export function disposeModelState(state: ModelState): void {
  disposeWeights(state.weights);
  state.backend.dispose();
}

function isIndex(t: TensorIndex | TensorMap): t is TensorIndex {
  const first = t.values().next();
  return first.done === true || "read" in first.value;
}
