// Maps checkpoint tensor names (BertModel, BertForMaskedLM, BertForSequenceClassification; with or without
// the "bert." prefix) to the encoder's weights, checks every shape against config.json, uploads once.
// Projection weights are stored in the requested format (formats.ts), uploaded as stored when the checkpoint already
// holds that format (no F16 → f32 → f16 round trip), and prepared once for the backend's GEMM.
import type { Backend } from "../contract/backend.js";
import { FORMATS, type FormatName } from "../contract/formats.js";
import { Tensor } from "../tensor/tensor.js";
import { Weight } from "../tensor/weight.js";
import { ConfigError, FormatError, MissingTensorError } from "../errors.js";
import { toFloat32, type RawTensor, type TensorMap } from "../io/raw-tensor.js";
import type { GermConfig } from "./config.js";
import type { LinearWeights } from "./project.js";

export interface LayerWeights {
  qkv: LinearWeights; attnOut: LinearWeights; attnLnG: Tensor; attnLnB: Tensor;
  gated: LinearWeights; wo: LinearWeights; mlpLnG: Tensor; mlpLnB: Tensor;
}

/** An optional head: its tensors, or the names that were missing from the checkpoint. */
export type Head<T> = { ok: true; w: T } | { ok: false; missing: string[] };

export interface ModelWeights {
  wordEmb: Tensor; typeEmb0: Tensor; embLnG: Tensor; embLnB: Tensor;
  layers: LayerWeights[];
  pooler: Head<LinearWeights>;
  classifier: Head<LinearWeights>;
  mlm: Head<{ dense: LinearWeights; lnG: Tensor; lnB: Tensor; decoder: LinearWeights }>;
  /** Checkpoint keys nothing used (reported once at load). */
  unused: string[];
}

/** `format` is the storage of the projection weights only (see the header); the caller checked the backend runs it. */
export function loadWeights(backend: Backend, tensors: TensorMap, cfg: GermConfig, file: string, format: FormatName = "f32"): ModelWeights {
  const H = cfg.hiddenSize, I = cfg.intermediateSize, V = cfg.vocabSize;
  const used = new Set<string>();
  const prefixed = [...tensors.keys()].some((k) => k.startsWith("bert."));
  const key = (name: string): string => (prefixed ? `bert.${name}` : name);

  const has = (name: string): boolean => tensors.has(name);
  const raw = (name: string, shape: number[]): RawTensor => {
    const t = tensors.get(name);
    if (!t) throw new MissingTensorError(`${file}: tensor "${name}" is missing (expected shape [${shape.join(", ")}])`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ConfigError(`${file}: tensor "${name}" has shape [${t.shape.join(", ")}] but config.json implies [${shape.join(", ")}]`);
    }
    used.add(name);
    return t;
  };
  const data = (name: string, shape: number[]): Float32Array => wrap(name, () => toFloat32(raw(name, shape), name));
  const load = (name: string, shape: number[]): Tensor => Tensor.from(backend, data(name, shape), shape);
  // A projection weight: the checkpoint's bytes as they are when they already are `format`, else encoded from f32.
  const weight = (name: string, shape: [number, number]): Weight => {
    const t = raw(name, shape);
    // Quantized formats: the reference quantizer (formats.ts) at load; their checkpoints carry scales (not yet read).
    if (FORMATS[format].scales !== "none") return Weight.from(backend, data(name, shape), shape, format);
    const stored = FORMATS[format].storedAs.includes(t.dtype)
      ? Tensor.fromBytes(backend, format, t.bytes, shape)
      : Tensor.from(backend, data(name, shape), shape, format);
    return Weight.fromTensor(stored);
  };
  // `module` is the checkpoint module name; weight and bias are `<module>.weight` / `<module>.bias`.
  const linear = (module: string, shape: [number, number], bias = true): LinearWeights => ({
    name: module.replace(/^bert\./, ""), w: weight(`${module}.weight`, shape), b: bias ? load(`${module}.bias`, [shape[0]]) : undefined,
  });
  const head = <T>(names: string[], build: () => T): Head<T> => {
    const missing = names.filter((n) => !has(n));
    return missing.length ? { ok: false, missing } : { ok: true, w: build() };
  };

  const wordEmb = load(key("embeddings.word_embeddings.weight"), [V, H]);
  const typeAll = data(key("embeddings.token_type_embeddings.weight"), [cfg.typeVocabSize, H]);
  const mlmNames = ["cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
    "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias", "cls.predictions.decoder.bias"];
  const weights: ModelWeights = {
    wordEmb,
    // DNABERT-2's collators never pass token types, so only row 0 is ever added.
    typeEmb0: Tensor.from(backend, typeAll.slice(0, H), [H]),
    embLnG: load(key("embeddings.LayerNorm.weight"), [H]),
    embLnB: load(key("embeddings.LayerNorm.bias"), [H]),
    layers: [],
    pooler: head([key("pooler.dense.weight"), key("pooler.dense.bias")], () => linear(key("pooler.dense"), [H, H])),
    classifier: { ok: false, missing: ["classifier.weight", "classifier.bias"] },
    mlm: head(mlmNames, () => ({
      dense: linear("cls.predictions.transform.dense", [H, H]),
      lnG: load("cls.predictions.transform.LayerNorm.weight", [H]),
      lnB: load("cls.predictions.transform.LayerNorm.bias", [H]),
      decoder: {
        name: "cls.predictions.decoder",
        // safetensors drops the tied decoder weight; .bin stores it (the same bytes): either way it reads the f32
        // word embeddings, which gather keeps reading in their own layout (prepareWeight may give the decoder a copy).
        w: decoderIsTied(tensors, "cls.predictions.decoder.weight", key("embeddings.word_embeddings.weight"), used)
          ? Weight.fromTensor(wordEmb, { shared: true })
          : weight("cls.predictions.decoder.weight", [V, H]),
        b: load("cls.predictions.decoder.bias", [V]),
      },
    })),
    unused: [],
  };

  if (has("classifier.weight")) {
    const n = tensors.get("classifier.weight")!.shape[0];
    if (n !== cfg.labels.length) {
      throw new ConfigError(`${file}: classifier.weight has ${n} rows but config.json declares ${cfg.labels.length} labels (id2label/num_labels)`);
    }
    weights.classifier = head(["classifier.weight", "classifier.bias"], () => linear("classifier", [n, H]));
  }

  for (let j = 0; j < cfg.numHiddenLayers; j++) {
    const p = key(`encoder.layer.${j}.`);
    weights.layers.push({
      qkv: linear(`${p}attention.self.Wqkv`, [3 * H, H]),
      attnOut: linear(`${p}attention.output.dense`, [H, H]),
      attnLnG: load(`${p}attention.output.LayerNorm.weight`, [H]), attnLnB: load(`${p}attention.output.LayerNorm.bias`, [H]),
      gated: linear(`${p}mlp.gated_layers`, [2 * I, H], false),
      wo: linear(`${p}mlp.wo`, [H, I]),
      mlpLnG: load(`${p}mlp.layernorm.weight`, [H]), mlpLnB: load(`${p}mlp.layernorm.bias`, [H]),
    });
  }
  if (has(key(`encoder.layer.${cfg.numHiddenLayers}.mlp.wo.weight`))) {
    throw new ConfigError(`${file}: checkpoint has more than num_hidden_layers = ${cfg.numHiddenLayers} layers`);
  }
  weights.unused = [...tensors.keys()].filter((k) => !used.has(k));
  return weights;
}

/** Name the tensor in a raw-tensor decoding error (toFloat32 names it already; this adds the file). */
function wrap<T>(name: string, f: () => T): T {
  try { return f(); } catch (e) {
    if (e instanceof FormatError && !e.message.includes(name)) throw new FormatError(`tensor "${name}": ${e.message}`);
    throw e;
  }
}

/** Tied when the checkpoint has no decoder weight (safetensors) or the same bytes as the word embeddings (.bin). */
function decoderIsTied(tensors: TensorMap, decoderName: string, embName: string, used: Set<string>): boolean {
  const a = tensors.get(decoderName), b = tensors.get(embName);
  if (!a) return true;
  if (b && a.dtype === b.dtype && a.bytes.byteLength === b.bytes.byteLength && a.bytes.every((v, i) => v === b.bytes[i])) {
    used.add(decoderName);
    return true;
  }
  return false;
}

export function disposeWeights(w: ModelWeights): void {
  const seen = new Set<{ dispose(): void }>();
  const drop = (t: { dispose(): void } | undefined) => { if (t && !seen.has(t)) { seen.add(t); t.dispose(); } };
  const dropLinear = (l: LinearWeights) => { drop(l.w); drop(l.b); };
  [w.wordEmb, w.typeEmb0, w.embLnG, w.embLnB].forEach(drop);
  for (const l of w.layers) {
    [l.qkv, l.attnOut, l.gated, l.wo].forEach(dropLinear);
    [l.attnLnG, l.attnLnB, l.mlpLnG, l.mlpLnB].forEach(drop);
  }
  if (w.pooler.ok) dropLinear(w.pooler.w);
  if (w.classifier.ok) dropLinear(w.classifier.w);
  if (w.mlm.ok) { dropLinear(w.mlm.w.dense); dropLinear(w.mlm.w.decoder); drop(w.mlm.w.lnG); drop(w.mlm.w.lnB); }
}
