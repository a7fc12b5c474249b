// project(): the one path every projection of the model takes (Wqkv, attention dense, gated_layers, wo, pooler,
// classifier, MLM transform and decoder). It runs the base GEMM for the weight's format (after the input's fake
// quantization when simulating), then each row range's LoRA adapter, unmerged: y += s·(x·Aᵀ)·Bᵀ, never forming B·A
// (llama.cpp's build_lora_mm is the model). Quantized bases take adapters the same way (QLoRA-style inference).
import type { Tensor } from "../tensor/tensor.js";
import type { Weight } from "../tensor/weight.js";
import { fakeQuant, linear, loraAdd } from "../ops/ops.js";

/** A projection's parameters: the base weight [out, in] in its format, and an optional f32 bias [out]. */
export interface LinearWeights {
  /** Checkpoint module name (e.g. `encoder.layer.0.mlp.wo`, without the `bert.` prefix), for errors and adapters. */
  name: string;
  w: Weight;
  b?: Tensor;
  /** Fake-quantize the input per token (asymmetric min–max) to this many bits first: GermModel.simulate's WnAn. */
  actBits?: number;
  /** With actBits: one static range [lo, hi] (calibrated) instead of each token's min–max. */
  actRange?: readonly [number, number];
}

/** One module's LoRA: a = lora_A [r, in], bt = lora_Bᵀ [r, out] (f32), scale = lora_alpha / r (or / √r). */
export interface LoraDelta { a: Tensor; bt: Tensor; scale: number; r: number }

/** Rows `start … start + count` of the projection's input take this adapter's deltas (by module name); null: none. */
export interface LoraSpan { deltas: ReadonlyMap<string, LoraDelta> | null; start: number; count: number }

/** y = x·Wᵀ + b through the base weight's format, plus each span's LoRA update on its rows. */
export function project(x: Tensor, lin: LinearWeights, spans?: readonly LoraSpan[]): Tensor {
  let y: Tensor;
  if (lin.actBits === undefined) y = linear(x, lin.w, lin.b);
  else {
    const xq = fakeQuant(x, lin.actBits, false, lin.actRange);
    try { y = linear(xq, lin.w, lin.b); } finally { xq.dispose(); }
  }
  if (spans) {
    for (const s of spans) {
      const d = s.deltas?.get(lin.name);
      if (d) loraAdd(y, x, d.a, d.bt, d.scale, s);
    }
  }
  return y;
}
