// The DNABERT-2 / GERM encoder graph over a packed (unpadded) batch: embeddings → L post-LN layers.
// Heads (pooler, classifier, MLM) live in heads.ts; both only call src/ops (projections through project()).
import { Tensor } from "../tensor/tensor.js";
import { attention, gather, gluGelu, layerNorm } from "../ops/ops.js";
import { SeqIndex } from "../contract/seq.js";
import { project, type LoraSpan } from "./project.js";
import type { ModelState } from "./state.js";

/** Per-layer activations the GERM paper measures outliers on (validate_sc.py hooks). */
export interface LayerTap {
  layer: number;
  /** Output of mlp.wo (FFN output), [nnz, H]. */
  wo: Tensor;
  /** Output of mlp.layernorm, [nnz, H] (also the layer output). */
  layernorm: Tensor;
}

export interface EncodeOptions {
  /** Called with each layer's hooked activations; the encoder disposes `wo` after it returns. */
  onLayer?: (tap: LayerTap) => void | Promise<void>;
  /** LoRA adapters by packed row range (token rows); absent or null deltas: the base model. */
  lora?: readonly LoraSpan[];
}

/** Token ids of several sequences, concatenated, with the batch's sequence index (built once, used by every op). */
export interface PackedBatch {
  ids: Int32Array;
  seqs: SeqIndex;
}

export function packBatch(rows: readonly (readonly number[])[]): PackedBatch {
  const seqs = SeqIndex.of(rows.map((r) => r.length));
  const ids = new Int32Array(seqs.total);
  rows.forEach((r, i) => ids.set(r, seqs.offsets[i]));
  return { ids, seqs };
}

/** Run the encoder; returns the last hidden state [nnz, H] (caller disposes). */
export async function encode(state: ModelState, batch: PackedBatch, opts: EncodeOptions = {}): Promise<Tensor> {
  const { weights: w, config: cfg, slopes } = state;
  const spans = opts.lora;
  const eps = cfg.layerNormEps;
  const emb = gather(w.wordEmb, batch.ids, w.typeEmb0);
  let x = layerNorm(emb, w.embLnG, w.embLnB, eps);
  emb.dispose();
  for (let j = 0; j < w.layers.length; j++) {
    const l = w.layers[j];
    const qkv = project(x, l.qkv, spans);
    const ctx = attention(qkv, { seqs: batch.seqs, heads: cfg.numAttentionHeads, softmax: cfg.attnSoftmax, slopes });
    qkv.dispose();
    const attnOut = project(ctx, l.attnOut, spans);
    ctx.dispose();
    const x1 = layerNorm(attnOut, l.attnLnG, l.attnLnB, eps, x);
    attnOut.dispose(); x.dispose();
    const gated = project(x1, l.gated, spans);
    const h = gluGelu(gated);
    gated.dispose();
    const wo = project(h, l.wo, spans);
    h.dispose();
    x = layerNorm(wo, l.mlpLnG, l.mlpLnB, eps, x1);
    x1.dispose();
    if (opts.onLayer) await opts.onLayer({ layer: j, wo, layernorm: x });
    wo.dispose();
  }
  return x;
}
