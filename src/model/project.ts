// project(): the one path every projection of the model takes (Wqkv, attention dense, gated_layers, wo, pooler,
// classifier, MLM transform and decoder). It runs the base GEMM for the weight's format; this is the single place
// where LoRA adapters and quantized activations will hook in (llama.cpp's build_lora_mm is the model).
import type { Tensor } from "../tensor/tensor.js";
import type { Weight } from "../tensor/weight.js";
import { fakeQuant, linear } from "../ops/ops.js";

/** A projection's parameters: the base weight [out, in] in its format, and an optional f32 bias [out]. */
export interface LinearWeights {
  /** Checkpoint module name (e.g. `encoder.layer.0.mlp.wo`, without the `bert.` prefix), for errors and adapters. */
  name: string;
  w: Weight;
  b?: Tensor;
  /** Fake-quantize the input per token (asymmetric min–max) to this many bits first: GermModel.simulate's WnAn. */
  actBits?: number;
}

/** y = x·Wᵀ + b through the base weight's format (after the input's fake quantization, when simulating). */
export function project(x: Tensor, lin: LinearWeights): Tensor {
  if (lin.actBits === undefined) return linear(x, lin.w, lin.b);
  const xq = fakeQuant(x, lin.actBits, false);
  try { return linear(xq, lin.w, lin.b); } finally { xq.dispose(); }
}
