// The encoder graph's ops (model/graph.ts) as fine-tuning runs them: each one computes the forward as inference does,
// records its backward rule on the tape, and leaves its activations to the tape. Projections with a trainable LoRA
// delta compute it from A and Bᵀ directly (v = x·Aᵀ is kept for dB), so their gradients reach A and B.
import type { Tensor } from "../tensor/tensor.js";
import type { Weight } from "../tensor/weight.js";
import { attention, axpy, gather, gluGelu, layerNorm, linear, unary, type AttentionOptions } from "../ops/ops.js";
import { attentionBackward, dropout, gluGeluBackward, layerNormBackward, matmul, scatterRows, unaryBackward } from "../ops/grad.js";
import { project, type LinearWeights } from "../model/project.js";
import type { Graph } from "../model/graph.js";
import type { Tape } from "./tape.js";

/** A trainable LoRA delta: A [r, in] and Bᵀ [r, out] (watched by the tape), scale α/r. */
export interface TrainableDelta { a: Tensor; bt: Tensor; scale: number }

/**
 * Dropout of one training forward: probabilities (LoRA input, hidden sites, before the classifier) and the u32 seed of
 * each site, fixed per forward, so a recomputed layer draws the very masks its first forward drew.
 */
export interface DropoutPlan { lora: number; hidden: number; classifier: number; seed(site: string): number }

export class TrainingGraph implements Graph {
  constructor(
    readonly tape: Tape,
    private readonly deltas: ReadonlyMap<string, TrainableDelta>,
    /** Wᵀ of a frozen projection ([in, out], so linear(g, Wᵀ) = g·W = dL/dx): made once per training run. */
    private readonly transposed: (lin: LinearWeights) => Weight,
    private readonly hooks: { onEmbeddings?: (x: Tensor) => void; onLayer?: (layer: number, attentionOut: Tensor, layerOut: Tensor) => void } = {},
    private readonly drop?: DropoutPlan,
  ) {}

  onEmbeddings(x: Tensor): void { this.hooks.onEmbeddings?.(x); }
  onLayer(layer: number, a: Tensor, l: Tensor): void { this.hooks.onLayer?.(layer, a, l); }

  /**
   * y = x·Wᵀ + b (+ s·(drop(x)·Aᵀ)·Bᵀ with a trainable delta, drop = peft's lora_dropout); W and b frozen.
   */
  project(x: Tensor, lin: LinearWeights): Tensor {
    const y = project(x, lin);
    const d = this.deltas.get(lin.name);
    if (!d) return this.tape.record(y, [x], (g, need) => [need[0] ? linear(g, this.transposed(lin)) : null]);
    const p = this.drop?.lora ?? 0, seed = p > 0 ? this.drop!.seed(`lora:${lin.name}`) : 0;
    const xd = p > 0 ? this.tape.keep(dropout(x, p, seed)) : x;
    const v = this.tape.keep(matmul(xd, d.a, { transB: true }));
    matmul(v, d.bt, { alpha: d.scale, into: y });
    return this.tape.record(y, [x, d.a, d.bt], (g, need) => {
      const gv = matmul(g, d.bt, { transB: true, alpha: d.scale });
      try {
        const gbt = need[2] ? matmul(v, g, { transA: true, alpha: d.scale }) : null;
        const ga = need[1] ? matmul(gv, xd, { transA: true }) : null;
        if (!need[0]) return [null, ga, gbt];
        const base = linear(g, this.transposed(lin));
        if (p === 0) return [matmul(gv, d.a, { into: base }), ga, gbt];
        // Through the LoRA branch the gradient passes the same mask: drop(gv·A), added to the frozen path's.
        const branch = matmul(gv, d.a), dropped = dropout(branch, p, seed);
        branch.dispose();
        try { return [axpy(1, dropped, base), ga, gbt]; } finally { dropped.dispose(); base.dispose(); }
      } finally { gv.dispose(); }
    });
  }

  /** Hidden dropout (and the classifier's, at site "classifier"): the same op, same seed, on the gradient. */
  dropout(x: Tensor, site: string): Tensor {
    const p = site === "classifier" ? this.drop?.classifier ?? 0 : this.drop?.hidden ?? 0;
    if (p === 0) return x;
    const seed = this.drop!.seed(site);
    const y = dropout(x, p, seed);
    // No backward rule reads x at the dropout sites (their producers' rules read their own inputs): free it now
    // instead of at the end of the step. The tape still knows it as the node its gradient flows to.
    this.tape.untrack(x).dispose();
    return this.tape.record(y, [x], (g) => [dropout(g, p, seed)]);
  }

  attention(qkv: Tensor, o: AttentionOptions): Tensor {
    if (o.keyMask) throw new Error("internal: training runs packed batches without key masks");
    const ctx = attention(qkv, o);
    return this.tape.record(ctx, [qkv], (g) => [attentionBackward(qkv, ctx, g, o)]);
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number, residual?: Tensor): Tensor {
    const y = layerNorm(x, gamma, beta, eps, residual);
    const inputs = residual ? [x, residual] : [x];
    return this.tape.record(y, inputs, (g) => {
      const gx = layerNormBackward(x, gamma, g, eps, residual);
      return residual ? [gx, gx] : [gx];
    });
  }

  gluGelu(x: Tensor): Tensor {
    const h = gluGelu(x);
    return this.tape.record(h, [x], (g) => [gluGeluBackward(x, g)]);
  }

  tanh(x: Tensor): Tensor {
    const y = unary(x, "tanh");
    return this.tape.record(y, [x], (g) => [unaryBackward(x, g, "tanh")]);
  }

  /** Rows `ids` of x (the [CLS] rows); the gradient scatters back into x's rows. */
  rows(x: Tensor, ids: Int32Array): Tensor {
    const y = gather(x, ids);
    return this.tape.record(y, [x], (g) => [scatterRows(g, ids, x.shape[0])]);
  }

  /**
   * A trainable linear (modules_to_save: the classifier): z = x·wᵀ + b with w [out, in] and b viewed [out] from
   * its [1, out] parameter (so db = 1ᵀ·g is a matmul). Gradients reach x, w and b.
   */
  trainableLinear(x: Tensor, w: Tensor, b: Tensor, ones: Tensor, asWeight: (w: Tensor) => Weight): Tensor {
    const weight = asWeight(w);
    const bias = b.reshaped([b.size]);
    let z: Tensor;
    try { z = linear(x, weight, bias); } finally { weight.dispose(); bias.dispose(); }
    return this.tape.record(z, [x, w, b], (g, need) => [
      need[0] ? matmul(g, w) : null,
      need[1] ? matmul(g, x, { transA: true }) : null,
      need[2] ? matmul(ones, g) : null,
    ]);
  }

  /** Training keeps what it made (the tape frees it); anything else (the embedding lookup) is freed now. */
  release(t: Tensor): void { if (!this.tape.isKept(t)) t.dispose(); }
}
