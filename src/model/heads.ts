// Output heads on the packed last hidden state: mean pooling, [CLS] rows, BERT pooler, classifier, MLM.
import { Tensor } from "../tensor/tensor.js";
import { gather, layerNorm, linear, meanPool, unary } from "../ops/ops.js";
import { MissingTensorError } from "../errors.js";
import type { Head, ModelWeights } from "./weights.js";

/** The MLM head's LayerNorm eps is hard-coded to 1e-12 in the reference, whatever config.json says. */
const MLM_LN_EPS = 1e-12;

function need<T>(head: Head<T>, what: string): T {
  if (!head.ok) throw new MissingTensorError(`${what} needs weights this checkpoint lacks: ${head.missing.join(", ")}`);
  return head.w;
}

/** Row index of each sequence's first token ([CLS]) in the packed batch. */
export function firstRows(seqLens: readonly number[]): Int32Array {
  const rows = new Int32Array(seqLens.length);
  let o = 0;
  seqLens.forEach((n, i) => { rows[i] = o; o += n; });
  return rows;
}

export function meanPooled(hidden: Tensor, seqLens: readonly number[]): Tensor {
  return meanPool(hidden, seqLens);
}

export function clsRows(hidden: Tensor, seqLens: readonly number[]): Tensor {
  return gather(hidden, firstRows(seqLens));
}

/** tanh(dense(h[CLS])) — BertPooler. */
export function pooler(w: ModelWeights, hidden: Tensor, seqLens: readonly number[]): Tensor {
  const p = need(w.pooler, "the pooler (bert.pooler.dense)");
  const cls = clsRows(hidden, seqLens);
  const dense = linear(cls, p.w, p.b);
  cls.dispose();
  const out = unary(dense, "tanh");
  dense.dispose();
  return out;
}

/** classifier(pooled) → [seqs, labels]. Dropout is identity at inference. */
export function classifierLogits(w: ModelWeights, hidden: Tensor, seqLens: readonly number[]): Tensor {
  const c = need(w.classifier, "classify()");
  const pooled = pooler(w, hidden, seqLens);
  const logits = linear(pooled, c.w, c.b);
  pooled.dispose();
  return logits;
}

/** dense → GELU → LayerNorm(1e-12) → tied decoder + bias, on every packed row → [nnz, V]. */
export function mlmLogits(w: ModelWeights, hidden: Tensor): Tensor {
  const m = need(w.mlm, "maskedLM()");
  const dense = linear(hidden, m.denseW, m.denseB);
  const act = unary(dense, "gelu");
  dense.dispose();
  const t = layerNorm(act, m.lnG, m.lnB, MLM_LN_EPS);
  act.dispose();
  const logits = linear(t, m.decoderW, m.decoderB);
  t.dispose();
  return logits;
}
