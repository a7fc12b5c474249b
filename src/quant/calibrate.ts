// Calibration for SmoothQuant: per input channel, the largest |activation| over every token of the calibration
// sequences, at the inputs of each layer's attention.output.dense and mlp.wo (the projections whose 1/s can be
// folded exactly, smooth.ts). The f32 model runs the sequences; the hooked activations are read once per layer.
import { encode, type PackedBatch } from "../model/encoder.js";
import type { ModelState } from "../model/state.js";
import type { ActivationRanges } from "./smooth.js";

export async function calibrate(state: ModelState, batches: Iterable<PackedBatch>): Promise<ActivationRanges> {
  const { numHiddenLayers: L, hiddenSize: H, intermediateSize: I } = state.config;
  const ranges: ActivationRanges = {
    attnOutIn: Array.from({ length: L }, () => new Float32Array(H)), woIn: Array.from({ length: L }, () => new Float32Array(I)),
  };
  const colMax = (into: Float32Array, v: Float32Array, cols: number) => {
    for (let i = 0; i < v.length; i++) { const c = i % cols, a = Math.abs(v[i]); if (a > into[c]) into[c] = a; }
  };
  for (const batch of batches) {
    const hidden = await encode(state, batch, {
      onLayer: async (tap) => {
        colMax(ranges.attnOutIn[tap.layer], await tap.attnOutIn.data(), H);
        colMax(ranges.woIn[tap.layer], await tap.woIn.data(), I);
      },
    });
    hidden.dispose();
  }
  return ranges;
}
