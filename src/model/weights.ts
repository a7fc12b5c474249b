// Maps checkpoint tensor names (BertModel, BertForMaskedLM, BertForSequenceClassification; with or without
// the "bert." prefix) to the encoder's weights, checks every shape against config.json, uploads once.
// With dtype "f16" the GEMM weights (linear's w) are stored as halves; embeddings, LayerNorm and biases stay f32.
import type { Backend } from "../backend/backend.js";
import { Tensor, type DType } from "../tensor/tensor.js";
import { ConfigError, MissingTensorError } from "../errors.js";
import { toFloat32, type TensorMap } from "../io/raw-tensor.js";
import type { GermConfig } from "./config.js";

export interface LayerWeights {
  qkvW: Tensor; qkvB: Tensor;
  attnOutW: Tensor; attnOutB: Tensor; attnLnG: Tensor; attnLnB: Tensor;
  gatedW: Tensor; woW: Tensor; woB: Tensor; mlpLnG: Tensor; mlpLnB: Tensor;
}

/** An optional head: its tensors, or the names that were missing from the checkpoint. */
export type Head<T> = { ok: true; w: T } | { ok: false; missing: string[] };

export interface ModelWeights {
  wordEmb: Tensor; typeEmb0: Tensor; embLnG: Tensor; embLnB: Tensor;
  layers: LayerWeights[];
  pooler: Head<{ w: Tensor; b: Tensor }>;
  classifier: Head<{ w: Tensor; b: Tensor }>;
  mlm: Head<{ denseW: Tensor; denseB: Tensor; lnG: Tensor; lnB: Tensor; decoderW: Tensor; decoderB: Tensor }>;
  /** Checkpoint keys nothing used (reported once at load). */
  unused: string[];
}

/** `dtype` is the storage of the GEMM weights only (see the header); the backend must support it (checked by the caller). */
export function loadWeights(backend: Backend, tensors: TensorMap, cfg: GermConfig, file: string, dtype: DType = "f32"): ModelWeights {
  const H = cfg.hiddenSize, I = cfg.intermediateSize, V = cfg.vocabSize;
  const used = new Set<string>();
  const prefixed = [...tensors.keys()].some((k) => k.startsWith("bert."));
  const key = (name: string): string => (prefixed ? `bert.${name}` : name);

  const has = (name: string): boolean => tensors.has(name);
  const data = (name: string, shape: number[]): Float32Array => {
    const raw = tensors.get(name);
    if (!raw) throw new MissingTensorError(`${file}: tensor "${name}" is missing (expected shape [${shape.join(", ")}])`);
    if (raw.shape.length !== shape.length || raw.shape.some((d, i) => d !== shape[i])) {
      throw new ConfigError(`${file}: tensor "${name}" has shape [${raw.shape.join(", ")}] but config.json implies [${shape.join(", ")}]`);
    }
    used.add(name);
    return toFloat32(raw, name);
  };
  const load = (name: string, shape: number[]): Tensor => Tensor.from(backend, data(name, shape), shape);
  // A weight read only by linear(). The word embeddings are not one even when the MLM decoder is tied to them:
  // gather reads that table, and gather is f32-only.
  const loadW = (name: string, shape: number[]): Tensor => Tensor.from(backend, data(name, shape), shape, dtype);
  const head = <T>(names: string[], build: () => T): Head<T> => {
    const missing = names.filter((n) => !has(n));
    return missing.length ? { ok: false, missing } : { ok: true, w: build() };
  };

  const wordEmb = load(key("embeddings.word_embeddings.weight"), [V, H]);
  const typeAll = data(key("embeddings.token_type_embeddings.weight"), [cfg.typeVocabSize, H]);
  const weights: ModelWeights = {
    wordEmb,
    // DNABERT-2's collators never pass token types, so only row 0 is ever added.
    typeEmb0: Tensor.from(backend, typeAll.slice(0, H), [H]),
    embLnG: load(key("embeddings.LayerNorm.weight"), [H]),
    embLnB: load(key("embeddings.LayerNorm.bias"), [H]),
    layers: [],
    pooler: head([key("pooler.dense.weight"), key("pooler.dense.bias")], () => ({
      w: loadW(key("pooler.dense.weight"), [H, H]), b: load(key("pooler.dense.bias"), [H]),
    })),
    classifier: { ok: false, missing: ["classifier.weight", "classifier.bias"] },
    mlm: head(["cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
      "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias", "cls.predictions.decoder.bias"], () => ({
      denseW: loadW("cls.predictions.transform.dense.weight", [H, H]),
      denseB: load("cls.predictions.transform.dense.bias", [H]),
      lnG: load("cls.predictions.transform.LayerNorm.weight", [H]),
      lnB: load("cls.predictions.transform.LayerNorm.bias", [H]),
      // safetensors drops the tied decoder weight: re-tie it to the word embeddings.
      decoderW: has("cls.predictions.decoder.weight") ? tiedOrOwn(tensors, "cls.predictions.decoder.weight", key("embeddings.word_embeddings.weight"), () => loadW("cls.predictions.decoder.weight", [V, H]), wordEmb, used) : wordEmb,
      decoderB: load("cls.predictions.decoder.bias", [V]),
    })),
    unused: [],
  };

  if (has("classifier.weight")) {
    const n = tensors.get("classifier.weight")!.shape[0];
    if (n !== cfg.labels.length) {
      throw new ConfigError(`${file}: classifier.weight has ${n} rows but config.json declares ${cfg.labels.length} labels (id2label/num_labels)`);
    }
    weights.classifier = head(["classifier.weight", "classifier.bias"], () => ({
      w: loadW("classifier.weight", [n, H]), b: load("classifier.bias", [n]),
    }));
  }

  for (let j = 0; j < cfg.numHiddenLayers; j++) {
    const p = key(`encoder.layer.${j}.`);
    weights.layers.push({
      qkvW: loadW(`${p}attention.self.Wqkv.weight`, [3 * H, H]), qkvB: load(`${p}attention.self.Wqkv.bias`, [3 * H]),
      attnOutW: loadW(`${p}attention.output.dense.weight`, [H, H]), attnOutB: load(`${p}attention.output.dense.bias`, [H]),
      attnLnG: load(`${p}attention.output.LayerNorm.weight`, [H]), attnLnB: load(`${p}attention.output.LayerNorm.bias`, [H]),
      gatedW: loadW(`${p}mlp.gated_layers.weight`, [2 * I, H]),
      woW: loadW(`${p}mlp.wo.weight`, [H, I]), woB: load(`${p}mlp.wo.bias`, [H]),
      mlpLnG: load(`${p}mlp.layernorm.weight`, [H]), mlpLnB: load(`${p}mlp.layernorm.bias`, [H]),
    });
  }
  if (has(key(`encoder.layer.${cfg.numHiddenLayers}.mlp.wo.weight`))) {
    throw new ConfigError(`${file}: checkpoint has more than num_hidden_layers = ${cfg.numHiddenLayers} layers`);
  }
  weights.unused = [...tensors.keys()].filter((k) => !used.has(k));
  return weights;
}

/** The .bin format stores the tied decoder weight; reuse the embedding tensor when the bytes are the same. */
function tiedOrOwn(tensors: TensorMap, decoderName: string, embName: string, loadOwn: () => Tensor, wordEmb: Tensor, used: Set<string>): Tensor {
  const a = tensors.get(decoderName)!, b = tensors.get(embName);
  if (b && a.bytes.byteLength === b.bytes.byteLength && a.bytes.every((v, i) => v === b.bytes[i])) {
    used.add(decoderName);
    return wordEmb;
  }
  return loadOwn();
}

export function disposeWeights(w: ModelWeights): void {
  const seen = new Set<Tensor>();
  const drop = (t: Tensor) => { if (!seen.has(t)) { seen.add(t); t.dispose(); } };
  [w.wordEmb, w.typeEmb0, w.embLnG, w.embLnB].forEach(drop);
  for (const l of w.layers) Object.values(l).forEach(drop);
  for (const h of [w.pooler, w.classifier, w.mlm]) if (h.ok) Object.values(h.w).forEach(drop);
}
