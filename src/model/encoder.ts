// The DNABERT-2 / GERM encoder graph over a packed (unpadded) batch: embeddings → L post-LN layers.
// Heads (pooler, classifier, MLM) live in heads.ts; both only call src/ops, never a backend directly.
import { Tensor } from "../tensor/tensor.js";
import { attention, gather, gluGelu, layerNorm, linear } from "../ops/ops.js";
import { alibiSlopes } from "../ops/math.js";
import type { GermConfig } from "./config.js";
import type { ModelWeights } from "./weights.js";

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
}

/** Token ids of several sequences, concatenated, with each sequence's length. */
export interface PackedBatch {
  ids: Int32Array;
  seqLens: number[];
}

export function packBatch(rows: readonly (readonly number[])[]): PackedBatch {
  const seqLens = rows.map((r) => r.length);
  const ids = new Int32Array(seqLens.reduce((a, b) => a + b, 0));
  let o = 0;
  for (const r of rows) { ids.set(r, o); o += r.length; }
  return { ids, seqLens };
}

/** Run the encoder; returns the last hidden state [nnz, H] (caller disposes). */
export async function encode(w: ModelWeights, cfg: GermConfig, batch: PackedBatch, opts: EncodeOptions = {}): Promise<Tensor> {
  const eps = cfg.layerNormEps;
  const slopes = alibiSlopes(cfg.numAttentionHeads);
  const emb = gather(w.wordEmb, batch.ids, w.typeEmb0);
  let x = layerNorm(emb, w.embLnG, w.embLnB, eps);
  emb.dispose();
  for (let j = 0; j < w.layers.length; j++) {
    const l = w.layers[j];
    const qkv = linear(x, l.qkvW, l.qkvB);
    const ctx = attention(qkv, { seqLens: batch.seqLens, heads: cfg.numAttentionHeads, softmax: cfg.attnSoftmax, slopes });
    qkv.dispose();
    const attnOut = linear(ctx, l.attnOutW, l.attnOutB);
    ctx.dispose();
    const x1 = layerNorm(attnOut, l.attnLnG, l.attnLnB, eps, x);
    attnOut.dispose(); x.dispose();
    const gated = linear(x1, l.gatedW);
    const h = gluGelu(gated);
    gated.dispose();
    const wo = linear(h, l.woW, l.woB);
    h.dispose();
    x = layerNorm(wo, l.mlpLnG, l.mlpLnB, eps, x1);
    x1.dispose();
    if (opts.onLayer) await opts.onLayer({ layer: j, wo, layernorm: x });
    wo.dispose();
  }
  return x;
}
