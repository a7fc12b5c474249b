// Calibration for SmoothQuant: per input channel, the largest |activation| over every token of the calibration
// sequences, at the inputs of each layer's attention.output.dense and mlp.wo (the projections whose 1/s can be
// folded exactly, smooth.ts). The f32 model runs the sequences; the hooked activations are read once per layer.
import { encode, type PackedBatch } from "../model/encoder.js";
import { INFERENCE, type Graph } from "../model/graph.js";
import { project } from "../model/project.js";
import type { Tensor } from "../tensor/tensor.js";
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

/**
 * Static per-tensor activation ranges (GERM's calibrated observers, `simulate({ observers: "per-tensor" })`): for every
 * encoder projection, by module name, the min and max of its input over every token of the calibration sequences.
 * A graph that defers freeing the projection inputs lets each layer's tap read them, then free them.
 */
export async function calibrateRanges(state: ModelState, batches: Iterable<PackedBatch>): Promise<Map<string, [number, number]>> {
  const ranges = new Map<string, [number, number]>();
  // A projection input lives until both the encoder released it and the tap read it, whichever comes last.
  const unread = new Set<Tensor>(), released = new Set<Tensor>();
  const pending: [string, Tensor][] = [];
  const graph: Graph = {
    ...INFERENCE,
    project(x, lin, spans) { unread.add(x); pending.push([lin.name, x]); return project(x, lin, spans); },
    release(t) { if (unread.has(t)) released.add(t); else t.dispose(); },
  };
  try {
    for (const batch of batches) await calibrateBatch(batch);
  } finally {
    // An error mid-batch (an abort, a lost device) leaves deferred inputs behind: free them.
    for (const t of new Set([...unread, ...released])) t.dispose();
  }
  return ranges;

  async function calibrateBatch(batch: PackedBatch): Promise<void> {
    const hidden = await encode(state, batch, {
      graph,
      // Every input this layer projected is computed when its tap runs.
      onLayer: async () => {
        for (const [name, x] of pending.splice(0)) {
          const v = await x.data();
          let [lo, hi] = ranges.get(name) ?? [Infinity, -Infinity];
          for (let i = 0; i < v.length; i++) { if (v[i] < lo) lo = v[i]; if (v[i] > hi) hi = v[i]; }
          ranges.set(name, [lo, hi]);
        }
        for (const t of unread) if (released.delete(t)) t.dispose();
        unread.clear();
      },
    });
    hidden.dispose();
  }
}
