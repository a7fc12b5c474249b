// Output heads on the packed last hidden state: mean pooling, [CLS] rows, BERT pooler, classifier, MLM.
import { Tensor } from "../tensor/tensor.js";
import { gather, layerNorm, meanPool, unary } from "../ops/ops.js";
import type { SeqIndex } from "../contract/seq.js";
import { MissingTensorError } from "../errors.js";
import { project } from "./project.js";
import type { Head, ModelWeights } from "./weights.js";

/** The MLM head's LayerNorm eps is hard-coded to 1e-12 in the reference, whatever config.json says. */
const MLM_LN_EPS = 1e-12;

function need<T>(head: Head<T>, what: string): T {
  if (!head.ok) throw new MissingTensorError(`${what} needs weights this checkpoint lacks: ${head.missing.join(", ")}`);
  return head.w;
}

export function meanPooled(hidden: Tensor, seqs: SeqIndex): Tensor {
  return meanPool(hidden, seqs);
}

/** Each sequence's first row ([CLS]) of the packed batch. */
export function clsRows(hidden: Tensor, seqs: SeqIndex): Tensor {
  return gather(hidden, seqs.offsets.subarray(0, seqs.count));
}

/** tanh(dense(h[CLS])) — BertPooler. */
export function pooler(w: ModelWeights, hidden: Tensor, seqs: SeqIndex): Tensor {
  const p = need(w.pooler, "the pooler (bert.pooler.dense)");
  const cls = clsRows(hidden, seqs);
  const dense = project(cls, p);
  cls.dispose();
  const out = unary(dense, "tanh");
  dense.dispose();
  return out;
}

/** classifier(pooled) → [seqs, labels]. Dropout is identity at inference. */
export function classifierLogits(w: ModelWeights, hidden: Tensor, seqs: SeqIndex): Tensor {
  const c = need(w.classifier, "classify()");
  const pooled = pooler(w, hidden, seqs);
  const logits = project(pooled, c);
  pooled.dispose();
  return logits;
}

/** dense → GELU → LayerNorm(1e-12) → tied decoder + bias, on every packed row → [nnz, V]. */
export function mlmLogits(w: ModelWeights, hidden: Tensor): Tensor {
  const m = need(w.mlm, "maskedLM()");
  const dense = project(hidden, m.dense);
  const act = unary(dense, "gelu");
  dense.dispose();
  const t = layerNorm(act, m.lnG, m.lnB, MLM_LN_EPS);
  act.dispose();
  const logits = project(t, m.decoder);
  t.dispose();
  return logits;
}
