// Output heads on the packed last hidden state: mean pooling, [CLS] rows, BERT pooler, classifier, MLM.
import { Tensor } from "../tensor/tensor.js";
import { gather, layerNorm, meanPool, unary } from "../ops/ops.js";
import type { SeqIndex } from "../contract/seq.js";
import { MissingTensorError } from "../errors.js";
import { project, type LinearWeights, type LoraDelta } from "./project.js";
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

/**
 * The adapter a head call runs with (one per call: heads run per adapter group): its LoRA deltas and the head
 * Linears it replaces (modules_to_save).
 */
export interface HeadAdapter { deltas: ReadonlyMap<string, LoraDelta> | null; heads?: ReadonlyMap<string, LinearWeights> }

/** The adapter's span over all `rows` of a head input. */
const span = (ad: HeadAdapter | undefined, rows: number) => (ad?.deltas ? [{ deltas: ad.deltas, start: 0, count: rows }] : undefined);

/** tanh(dense(h[CLS])) — BertPooler, on the [CLS] rows `cls` of the packed batch (row indices). */
export function pooler(w: ModelWeights, hidden: Tensor, cls: Int32Array, ad?: HeadAdapter): Tensor {
  const p = ad?.heads?.get("pooler.dense") ?? need(w.pooler, "the pooler (bert.pooler.dense)");
  const rows = gather(hidden, cls);
  const dense = project(rows, p, span(ad, cls.length));
  rows.dispose();
  const out = unary(dense, "tanh");
  dense.dispose();
  return out;
}

/** classifier(pooled) → [cls.length, labels] for the [CLS] rows `cls`. Dropout is identity at inference. */
export function classifierLogits(w: ModelWeights, hidden: Tensor, cls: Int32Array, ad?: HeadAdapter): Tensor {
  const c = ad?.heads?.get("classifier") ?? need(w.classifier, "classify()");
  const pooled = pooler(w, hidden, cls, ad);
  const logits = project(pooled, c, span(ad, cls.length));
  pooled.dispose();
  return logits;
}

/** dense → GELU → LayerNorm(1e-12) → tied decoder + bias, on every packed row → [nnz, V]. */
export function mlmLogits(w: ModelWeights, hidden: Tensor, ad?: HeadAdapter): Tensor {
  const m = need(w.mlm, "maskedLM()");
  const rows = hidden.shape[0];
  const dense = project(hidden, m.dense, span(ad, rows));
  const act = unary(dense, "gelu");
  dense.dispose();
  const t = layerNorm(act, m.lnG, m.lnB, MLM_LN_EPS);
  act.dispose();
  const logits = project(t, m.decoder, span(ad, rows));
  t.dispose();
  return logits;
}
