// The DNABERT-2 / GERM encoder graph over a packed (unpadded) batch: embeddings → L post-LN layers.
// Heads (pooler, classifier, MLM) live in heads.ts; both only call src/ops (projections through project()).
import { Tensor } from "../tensor/tensor.js";
import { attention, gather, type AttentionOptions } from "../ops/ops.js";
import { INFERENCE, type Graph } from "./graph.js";
import { SeqIndex } from "../contract/seq.js";
import type { LoraSpan } from "./project.js";
import type { ModelState } from "./state.js";

/** Per-layer activations the GERM paper measures outliers on (validate_sc.py hooks). */
export interface LayerTap {
  layer: number;
  /** Output of mlp.wo (FFN output), [nnz, H]. */
  wo: Tensor;
  /** Output of mlp.layernorm, [nnz, H] (also the layer output). */
  layernorm: Tensor;
  /** Inputs of attention.output.dense ([nnz, H], the attention context) and of mlp.wo ([nnz, I]): SmoothQuant's calibration reads them. */
  attnOutIn: Tensor;
  woIn: Tensor;
}

export interface EncodeOptions {
  /** Called with each layer's hooked activations; the encoder disposes them (but `layernorm`, the next layer's input) after it returns. */
  onLayer?: (tap: LayerTap) => void | Promise<void>;
  /** LoRA adapters by packed row range (token rows); absent or null deltas: the base model. */
  lora?: readonly LoraSpan[];
  /** The ops the graph runs through: inference (default), or fine-tuning's recording ones (train/graph.ts). */
  graph?: Graph;
  /** Checked before every layer: an aborted call stops there (its tensors freed) with the signal's reason. */
  signal?: AbortSignal;
  /** Run only the first `layers` encoder layers (default: all); the result is then layer `layers − 1`'s output. */
  layers?: number;
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

/** Run the encoder (or its first `opts.layers` layers); returns that hidden state [nnz, H] (caller disposes). */
export async function encode(state: ModelState, batch: PackedBatch, opts: EncodeOptions = {}): Promise<Tensor> {
  const g = opts.graph ?? INFERENCE;
  // CPU backends compute inside run(): between layers the event loop gets a turn (timers, I/O, an abort), so a long
  // forward never blocks a page or a server for more than one layer. WebGPU work is already asynchronous.
  const cpu = state.backend.name !== "webgpu";
  let x = embeddings(state, batch, g);
  const n = Math.min(opts.layers ?? Infinity, state.weights.layers.length);
  for (let j = 0; j < n; j++) {
    if (cpu) await yieldToEventLoop();
    if (opts.signal?.aborted) { g.release(x); opts.signal.throwIfAborted(); }
    x = await encodeLayer(state, batch, j, x, opts);
  }
  return x;
}

/**
 * How inference splits one layer's attention on CPU backends: when the batch's attention costs more than `flops`
 * (4·hidden·Σ n² multiply-adds), it runs in blocks of query rows (at least `minRows`, so repacking K and V per block
 * stays cheap) with a turn of the event loop and an abort check between blocks. Results are the same bit for bit.
 */
export const attentionBlocking = { flops: 2 ** 30, minRows: 64 };

/** The layer's attention: one op, or on a CPU backend for a long batch, blocks of query rows with yields between. */
async function attend(state: ModelState, g: Graph, qkv: Tensor, o: AttentionOptions, signal?: AbortSignal): Promise<Tensor> {
  const H = state.config.hiddenSize, seqs = o.seqs;
  // Training graphs record one node per attention; the GPU works asynchronously anyway.
  if (g !== INFERENCE || state.backend.name === "webgpu") return g.attention(qkv, o);
  const work = 4 * H * seqs.lens.reduce((sum, n) => sum + n * n, 0);
  if (work <= attentionBlocking.flops) return g.attention(qkv, o);
  const rows = Math.max(attentionBlocking.minRows, Math.floor(attentionBlocking.flops / (4 * H * seqs.maxLen)));
  const out = Tensor.empty(state.backend, [seqs.total, H]);
  try {
    for (let r = 0; r < seqs.total; r += rows) {
      attention(qkv, { ...o, rows: [r, Math.min(seqs.total, r + rows)], into: out });
      await yieldToEventLoop();
      signal?.throwIfAborted();
    }
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/** One turn of the event loop (setImmediate where it exists: no 1–4 ms timer clamp). */
function yieldToEventLoop(): Promise<void> {
  const si = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((r) => (si ? si(r) : setTimeout(r, 0)));
}

/** The embedding LayerNorm's output for the batch's tokens (token type 0). */
export function embeddings(state: ModelState, batch: PackedBatch, g: Graph = INFERENCE): Tensor {
  const { weights: w, config: cfg } = state;
  const emb = gather(w.wordEmb, batch.ids, w.typeEmb0);
  const x = g.dropout(g.layerNorm(emb, w.embLnG, w.embLnB, cfg.layerNormEps), "embeddings");
  g.release(emb);
  g.onEmbeddings?.(x);
  return x;
}

/** Encoder layer `j` on its input x (released through the graph like every intermediate); returns its output. */
export async function encodeLayer(state: ModelState, batch: PackedBatch, j: number, x: Tensor, opts: EncodeOptions = {}): Promise<Tensor> {
  const { weights: w, config: cfg, slopes } = state;
  const g = opts.graph ?? INFERENCE, spans = opts.lora, eps = cfg.layerNormEps;
  const l = w.layers[j];
  const qkv = g.project(x, l.qkv, spans);
  let ctx: Tensor;
  try {
    ctx = await attend(state, g, qkv, { seqs: batch.seqs, heads: cfg.numAttentionHeads, softmax: cfg.attnSoftmax, slopes }, opts.signal);
  } catch (e) {
    g.release(qkv); g.release(x); // aborted between attention blocks
    throw e;
  }
  g.release(qkv);
  // BERT's hidden dropout after attention.output.dense, before the residual LayerNorm.
  const attnOut = g.dropout(g.project(ctx, l.attnOut, spans), `layer.${j}.attention`);
  const tap = opts.onLayer !== undefined; // a tap reads the projection inputs after the layer: keep them until then
  if (!tap) g.release(ctx);
  const x1 = g.layerNorm(attnOut, l.attnLnG, l.attnLnB, eps, x);
  g.release(attnOut); g.release(x);
  const gated = g.project(x1, l.gated, spans);
  // MosaicBERT's BertGatedLinearUnitMLP (DNABERT-2): the MLP's hidden dropout sits between the GLU and mlp.wo.
  const h = g.dropout(g.gluGelu(gated), `layer.${j}.mlp`);
  g.release(gated);
  const wo = g.project(h, l.wo, spans);
  if (!tap) g.release(h);
  const out = g.layerNorm(wo, l.mlpLnG, l.mlpLnB, eps, x1);
  g.onLayer?.(j, x1, out);
  g.release(x1);
  if (opts.onLayer) {
    await opts.onLayer({ layer: j, wo, layernorm: out, attnOutIn: ctx, woIn: h });
    g.release(ctx); g.release(h);
  }
  g.release(wo);
  return out;
}
