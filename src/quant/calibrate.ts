// Calibration: for SmoothQuant, per input channel, the largest |activation| over every token of the calibration
// sequences at the inputs of each layer's attention.output.dense and mlp.wo (the projections whose 1/s can be folded
// exactly, smooth.ts); for simulate's per-tensor observers and static q8 scales, each projection input's [lo, hi].
// The f32 model runs the sequences; the hooked activations are read once per layer.
import { encode, type PackedBatch } from "../model/encoder.js";
import { INFERENCE, type Graph } from "../model/graph.js";
import { project } from "../model/project.js";
import { clsRows, pooler } from "../model/heads.js";
import { InputError } from "../errors.js";
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
 * With `heads`, also the inputs of the heads' projections the checkpoint has: pooler.dense ([CLS] rows), classifier
 * (pooled rows), cls.predictions.transform.dense (every row); static q8 scales need them all (activationScales).
 * A graph that defers freeing the projection inputs lets each layer's tap read them, then free them.
 */
export async function calibrateRanges(state: ModelState, batches: Iterable<PackedBatch>, opts: { heads?: boolean } = {}): Promise<Map<string, [number, number]>> {
  const ranges = new Map<string, [number, number]>();
  const observe = async (name: string, x: Tensor) => {
    const v = await x.data();
    let [lo, hi] = ranges.get(name) ?? [Infinity, -Infinity];
    for (let i = 0; i < v.length; i++) { if (v[i] < lo) lo = v[i]; if (v[i] > hi) hi = v[i]; }
    ranges.set(name, [lo, hi]);
  };
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
        for (const [name, x] of pending.splice(0)) await observe(name, x);
        for (const t of unread) if (released.delete(t)) t.dispose();
        unread.clear();
      },
    });
    try {
      if (opts.heads) await observeHeads(hidden, batch);
    } finally { hidden.dispose(); }
  }

  /** The heads' projection inputs, made as heads.ts makes them (an untied MLM decoder's is not measured). */
  async function observeHeads(hidden: Tensor, batch: PackedBatch): Promise<void> {
    const w = state.weights, cls = batch.seqs.offsets.subarray(0, batch.seqs.count);
    if (w.mlm.ok) await observe(w.mlm.w.dense.name, hidden);
    if (!w.pooler.ok) return;
    const rows = clsRows(hidden, batch.seqs);
    try { await observe(w.pooler.w.name, rows); } finally { rows.dispose(); }
    if (!w.classifier.ok) return;
    const pooled = pooler(w, hidden, cls);
    try { await observe(w.classifier.w.name, pooled); } finally { pooled.dispose(); }
  }
}

/**
 * Static q8 activation scales, per-tensor symmetric: for each projection weight (checkpoint name `<module>.weight`,
 * with or without "bert."), s = f32(max(|lo|, |hi|) / 127) of its module's calibrated input range. A projection
 * the calibration did not reach is an InputError; one whose input was 0 on every token gets s = f32(1/127).
 * @example
 * const ranges = await calibrateRanges(state, batches, { heads: true });
 * activationScales(ranges, projectionWeights(tensors, cfg).keys()); // "bert.encoder.layer.0.mlp.wo.weight" → s, …
 */
export function activationScales(ranges: ReadonlyMap<string, readonly [number, number]>, weights: Iterable<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of weights) {
    const module = name.replace(/^bert\./, "").replace(/\.weight$/, "");
    const r = ranges.get(module);
    if (!r) throw new InputError(`static activation scales: calibration measured no input of ${module} (measured: the encoder, pooler.dense, classifier, cls.predictions.transform.dense; an untied MLM decoder is not)`);
    const m = Math.max(Math.abs(r[0]), Math.abs(r[1]));
    out.set(name, Math.fround(m > 0 ? m / 127 : 1 / 127));
  }
  return out;
}
