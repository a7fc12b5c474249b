// config.json → GermConfig. Missing keys take DNABERT-2-117M's values; unknown keys are ignored.
// `attn_softmax` is our extension (released configs lack it): the attnSoftmax option overrides it.
import { ConfigError } from "../errors.js";
import { preview as describe } from "../io/quote.js";
import type { SoftmaxKind } from "../contract/spec.js";

/**
 * A model's config.json as germ-js reads it ({@link GermModel.config}); missing keys take DNABERT-2-117M's values.
 * @category Model
 */
export interface GermConfig {
  /** hidden_size: width of every token's hidden state (768 in DNABERT-2-117M). */
  hiddenSize: number;
  /** num_hidden_layers: encoder layers (12). */
  numHiddenLayers: number;
  /** num_attention_heads (12); hiddenSize / numAttentionHeads is the head size. */
  numAttentionHeads: number;
  /** intermediate_size: the GLU MLP's inner width (3072). */
  intermediateSize: number;
  /** vocab_size: rows of the word-embedding table (4096). */
  vocabSize: number;
  /** type_vocab_size: token-type embeddings (2; germ-js always uses type 0). */
  typeVocabSize: number;
  /** layer_norm_eps (1e-12). */
  layerNormEps: number;
  /** "vanilla" for DNABERT-2, "softmax1" for GERM. */
  attnSoftmax: SoftmaxKind;
  /** Where attnSoftmax came from, so callers can warn when it was only a default. */
  attnSoftmaxSource: "option" | "config" | "default";
  /** Activation of the MLM head transform only (the encoder MLP is always exact GELU). */
  hiddenAct: string;
  /** config.json's architectures, e.g. ["BertForMaskedLM"] ([] when absent). */
  architectures: string[];
  /** Label names by class index (`id2label`), length = number of labels. */
  labels: string[];
  /** Dropout probabilities in training (fine-tuning): hidden_dropout_prob, classifier_dropout (null: the hidden one, as
   *  HF's BertForSequenceClassification), attention_probs_dropout_prob (0 in DNABERT-2 and GERM; not applied). */
  dropout: {
    /** hidden_dropout_prob (0.1 in DNABERT-2; 0 when absent). */
    hidden: number;
    /** classifier_dropout; null: the hidden one. */
    classifier: number | null;
    /** attention_probs_dropout_prob (0 in DNABERT-2 and GERM). */
    attention: number;
  };
}

/** Bound on every size in config.json (dimensions, layers, labels): far above any real model, far below what would
 *  exhaust memory while building tables from it. */
const MAX_DIM = 1 << 20;

/** A short quotation of a config value for messages: a 100 000-character string is not echoed whole, and a value
 *  nested 10^5 deep is described, never stringified (JSON.stringify would overflow the stack). */
function preview(v: unknown): string {
  if (typeof v !== "string") return describe(v);
  const s = JSON.stringify(v.slice(0, 61));
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** Documented defaults: DNABERT-2-117M's config.json. */
export const DEFAULT_CONFIG = {
  hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
  vocab_size: 4096, type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_act: "gelu",
} as const;

export function parseConfig(json: unknown, file = "config.json", attnSoftmax?: SoftmaxKind): GermConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ConfigError(`${file}: expected a JSON object`);
  const c = json as Record<string, unknown>;
  const int = (key: keyof typeof DEFAULT_CONFIG): number => {
    const v = c[key] ?? DEFAULT_CONFIG[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0 || v > MAX_DIM) {
      throw new ConfigError(`${file}: "${key}" must be a positive integer ≤ ${MAX_DIM}, got ${preview(v)}`);
    }
    return v;
  };
  const hiddenSize = int("hidden_size"), numAttentionHeads = int("num_attention_heads");
  if (hiddenSize % numAttentionHeads !== 0) {
    throw new ConfigError(`${file}: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numAttentionHeads}`);
  }
  const eps = c.layer_norm_eps ?? DEFAULT_CONFIG.layer_norm_eps;
  // 1e999 parses to Infinity, which would flatten every LayerNorm output to 0.
  if (typeof eps !== "number" || !(eps >= 0) || !Number.isFinite(eps)) throw new ConfigError(`${file}: "layer_norm_eps" must be a finite non-negative number, got ${preview(eps)}`);

  let softmax: SoftmaxKind = "vanilla";
  let attnSoftmaxSource: GermConfig["attnSoftmaxSource"] = "default";
  if (c.attn_softmax !== undefined) {
    if (c.attn_softmax !== "vanilla" && c.attn_softmax !== "softmax1") {
      throw new ConfigError(`${file}: "attn_softmax" must be "vanilla" or "softmax1", got ${preview(c.attn_softmax)}`);
    }
    softmax = c.attn_softmax;
    attnSoftmaxSource = "config";
  }
  if (attnSoftmax !== undefined) {
    if (attnSoftmax !== "vanilla" && attnSoftmax !== "softmax1") throw new ConfigError(`attnSoftmax option must be "vanilla" or "softmax1", got ${JSON.stringify(attnSoftmax)}`);
    softmax = attnSoftmax;
    attnSoftmaxSource = "option";
  }

  return {
    hiddenSize, numAttentionHeads,
    numHiddenLayers: int("num_hidden_layers"),
    intermediateSize: int("intermediate_size"),
    vocabSize: int("vocab_size"),
    typeVocabSize: int("type_vocab_size"),
    layerNormEps: eps,
    attnSoftmax: softmax,
    attnSoftmaxSource,
    hiddenAct: typeof c.hidden_act === "string" ? c.hidden_act.slice(0, 64) : DEFAULT_CONFIG.hidden_act,
    architectures: parseArchitectures(c.architectures, file),
    labels: parseLabels(c, file),
    dropout: parseDropout(c, file),
  };
}

/** The dropout probabilities (each in [0, 1); absent: 0, as in eval mode). */
function parseDropout(c: Record<string, unknown>, file: string): GermConfig["dropout"] {
  const p = (key: string, fallback: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== "number" || !(v >= 0 && v < 1)) throw new ConfigError(`${file}: "${key}" must be a probability in [0, 1), got ${preview(v)}`);
    return v;
  };
  const hidden = p("hidden_dropout_prob", 0);
  return { hidden, classifier: c.classifier_dropout == null ? null : p("classifier_dropout", 0), attention: p("attention_probs_dropout_prob", 0) };
}

/** `id2label` as an array; HF's default is 2 labels named LABEL_0, LABEL_1. */
export function parseLabels(c: Record<string, unknown>, file: string): string[] {
  const id2label = c.id2label;
  // A num_labels that is not a number is an error, not a reason to count id2label instead.
  const n = c.num_labels != null ? c.num_labels : id2label && typeof id2label === "object" ? Object.keys(id2label).length : 2;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_DIM) throw new ConfigError(`${file}: "num_labels" must be an integer in 1…${MAX_DIM}, got ${preview(n)}`);
  const labels = Array.from({ length: n }, (_, i) => `LABEL_${i}`);
  if (id2label && typeof id2label === "object") {
    for (const [k, v] of Object.entries(id2label as Record<string, unknown>)) {
      // Canonical indices only: Number() would read "01", "1.0", " 1" and "" as indices and let them overwrite another label.
      const i = /^(0|[1-9]\d{0,6})$/.test(k) ? Number(k) : -1;
      if (i < 0 || i >= n) throw new ConfigError(`${file}: id2label key ${preview(k)} is not a label index below ${n}`);
      if (typeof v !== "string" && typeof v !== "number") throw new ConfigError(`${file}: id2label[${k}] must be a string, got ${preview(v)}`);
      labels[i] = String(v).slice(0, 200);
    }
  }
  return labels;
}

/** `architectures`: a list of class names (only reported, never acted on), bounded. */
function parseArchitectures(a: unknown, file: string): string[] {
  if (a == null) return [];
  if (!Array.isArray(a) || a.length > 64 || !a.every((x) => typeof x === "string")) {
    throw new ConfigError(`${file}: "architectures" must be a list of at most 64 class names, got ${preview(a)}`);
  }
  return a.map((x: string) => x.slice(0, 200));
}
