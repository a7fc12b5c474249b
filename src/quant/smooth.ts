// SmoothQuant (Xiao et al. 2023) for the q8 (W8A8) format: per input channel j of a projection, s_j =
// max|x_j|^α / max|W_:,j|^(1−α) moves the activation outliers into the weights (x/s · (W·diag(s))ᵀ = x·Wᵀ), so
// per-token int8 activations lose less. The 1/s must be folded into whatever produces x, exactly:
// - attention.output.dense reads the attention context P·V: V's rows of Wqkv (and their bias) take 1/s;
// - mlp.wo reads gelu(x·W1ᵀ) ⊙ (x·W2ᵀ): the linear half's rows of gated_layers take 1/s.
// Wqkv and gated_layers read a LayerNorm output that is also the post-LN residual stream, so 1/s cannot be folded
// there without changing the residual: they stay as they are (docs/quantization.md).
import { toFloat32, type RawTensor, type TensorMap } from "../io/raw-tensor.js";
import type { GermConfig } from "../model/config.js";
import { checkpointWeightName } from "../model/weights.js";

/** Per layer, max |x_j| over the calibration tokens of each smoothed projection's input. */
export interface ActivationRanges { attnOutIn: Float32Array[]; woIn: Float32Array[] }

/** A copy of `tensors` (float checkpoint) with SmoothQuant applied to every layer's attention output and mlp.wo. */
export function smoothCheckpoint(tensors: TensorMap, cfg: GermConfig, ranges: ActivationRanges, alpha: number): TensorMap {
  const H = cfg.hiddenSize, I = cfg.intermediateSize;
  const out: TensorMap = new Map(tensors);
  const get = (name: string) => toFloat32(tensors.get(name)!, name).slice();
  const put = (name: string, v: Float32Array) => out.set(name, f32(v, tensors.get(name)!.shape));
  for (let j = 0; j < cfg.numHiddenLayers; j++) {
    const w = (m: string) => checkpointWeightName(tensors, `encoder.layer.${j}.${m}`);
    const qkvW = w("attention.self.Wqkv"), qkvB = qkvW.replace(/weight$/, "bias"), dense = w("attention.output.dense");
    const gated = w("mlp.gated_layers"), wo = w("mlp.wo");
    // attention.output.dense [H, H]: input columns × s; V rows (2H … 3H) of Wqkv and its bias ÷ s.
    const d = get(dense), s1 = factors(ranges.attnOutIn[j], d, H, H, alpha);
    scaleColumns(d, H, H, s1);
    const q = get(qkvW), qb = get(qkvB);
    for (let c = 0; c < H; c++) {
      for (let k = 0; k < H; k++) q[(2 * H + c) * H + k] /= s1[c];
      qb[2 * H + c] /= s1[c];
    }
    put(dense, d); put(qkvW, q); put(qkvB, qb);
    // mlp.wo [H, I]: input columns × s; the linear half (rows I … 2I) of gated_layers ÷ s (it has no bias).
    const o = get(wo), s2 = factors(ranges.woIn[j], o, H, I, alpha);
    scaleColumns(o, H, I, s2);
    const g = get(gated);
    for (let c = 0; c < I; c++) for (let k = 0; k < H; k++) g[(I + c) * H + k] /= s2[c];
    put(wo, o); put(gated, g);
  }
  return out;
}

/** s_j = max|x_j|^α / max|W_:,j|^(1−α) for W [n, k]; 1 where either range is 0, so such channels stay untouched. */
function factors(xMax: Float32Array, w: Float32Array, n: number, k: number, alpha: number): Float64Array {
  const s = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let wm = 0;
    for (let r = 0; r < n; r++) wm = Math.max(wm, Math.abs(w[r * k + c]));
    s[c] = xMax[c] > 0 && wm > 0 ? Math.max(1e-5, Math.pow(xMax[c], alpha) / Math.pow(wm, 1 - alpha)) : 1;
  }
  return s;
}

function scaleColumns(w: Float32Array, n: number, k: number, s: Float64Array): void {
  for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) w[r * k + c] *= s[c];
}

function f32(v: Float32Array, shape: number[]): RawTensor {
  return { dtype: "F32", shape, bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) };
}
