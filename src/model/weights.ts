// Maps checkpoint tensor names (BertModel, BertForMaskedLM, BertForSequenceClassification; with or without
// the "bert." prefix) to the encoder's weights, checks every shape against config.json, uploads once.
// Projection weights are stored in the requested format (formats.ts), uploaded as stored when the checkpoint already
// holds that format (no F16 → f32 → f16 round trip), and prepared once for the backend's GEMM.
import type { Backend } from "../contract/backend.js";
import { expandQ4Scales, FORMATS, fakeQuantRows, type EncodedWeight, type FormatName } from "../contract/formats.js";

/**
 * GERM's WnAn evaluation: weights per output channel symmetric, activations per token asymmetric, min–max; or, with
 * `perTensor`, GERM's own observers: weights per tensor (symmetric), the encoder projections' inputs with the static
 * per-tensor `ranges` (by module name, calibrated; projections without one, the heads, stay per token).
 */
export interface SimulateBits { wBits: number; aBits: number; perTensor?: boolean; ranges?: ReadonlyMap<string, readonly [number, number]> }

/**
 * A checkpoint stored quantized (with its q4 group size; 32 for q8, where it is unused, and whether its q8 weights
 * carry static activation scales, `<name>_input_scale`), or false for float weights.
 */
export type Prequantized = false | { group: number; staticScales?: boolean };
import { Tensor } from "../tensor/tensor.js";
import { Weight } from "../tensor/weight.js";
import { ConfigError, FormatError, MissingTensorError } from "../errors.js";
import { toFloat32, type RawTensor, type TensorEntry, type TensorIndex, type TensorMap } from "../io/raw-tensor.js";
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

/**
 * The projection weights of a checkpoint (full tensor names of `<module>.weight`) with their [out, in] shapes: what
 * the loader stores in the projection format, and what a quantized checkpoint holds as int data + `<name>_scale`.
 * The tied MLM decoder is not one (it reads the f32 word embeddings).
 */
export function projectionWeights(tensors: TensorMap, cfg: GermConfig): Map<string, [number, number]> {
  const key = keyOf(tensors);
  return projectionsOf(tensors, cfg, decoderIsTied(tensors, "cls.predictions.decoder.weight", key("embeddings.word_embeddings.weight")));
}

/** projectionWeights over any tensor listing, with the tied-decoder decision made by the caller. */
function projectionsOf(tensors: ReadonlyMap<string, { shape: number[] }>, cfg: GermConfig, tiedDecoder: boolean): Map<string, [number, number]> {
  const H = cfg.hiddenSize, I = cfg.intermediateSize, V = cfg.vocabSize;
  const key = keyOf(tensors);
  const out = new Map<string, [number, number]>();
  for (let j = 0; j < cfg.numHiddenLayers; j++) {
    const p = key(`encoder.layer.${j}.`);
    out.set(`${p}attention.self.Wqkv.weight`, [3 * H, H]).set(`${p}attention.output.dense.weight`, [H, H]);
    out.set(`${p}mlp.gated_layers.weight`, [2 * I, H]).set(`${p}mlp.wo.weight`, [H, I]);
  }
  if (tensors.has(key("pooler.dense.weight"))) out.set(key("pooler.dense.weight"), [H, H]);
  const cls = tensors.get("classifier.weight");
  if (cls) out.set("classifier.weight", [cls.shape[0], H]);
  if (tensors.has("cls.predictions.transform.dense.weight")) out.set("cls.predictions.transform.dense.weight", [H, H]);
  if (tensors.has("cls.predictions.decoder.weight") && !tiedDecoder) {
    out.set("cls.predictions.decoder.weight", [V, H]);
  }
  return out;
}

/** Names with the "bert." prefix when the checkpoint uses it (BertFor* classes), without it otherwise (BertModel). */
function keyOf(tensors: ReadonlyMap<string, unknown>): (name: string) => string {
  const prefixed = [...tensors.keys()].some((k) => k.startsWith("bert."));
  return (name) => (prefixed ? `bert.${name}` : name);
}

/**
 * `format` is the storage of the projection weights only (see the header); the caller checked the backend runs it.
 * A prequantized checkpoint (quant/checkpoint.ts) holds them as int data + `<name>_scale`, read without re-quantizing;
 * `prequantized` says so, with the q4 group size it declares (scales per 32, 64 or 128 weights).
 * Tensors are read from `tensors` one at a time and uploaded, so a streamed checkpoint (io/checkpoint.ts openCheckpoint)
 * costs the loaded model plus one tensor, not the whole file beside it.
 */
export async function loadWeights(backend: Backend, tensors: TensorIndex, cfg: GermConfig, file: string, format: FormatName = "f32", prequantized: Prequantized = false,
  simulate?: SimulateBits, allowNonFinite = false): Promise<ModelWeights> {
  const H = cfg.hiddenSize, I = cfg.intermediateSize, V = cfg.vocabSize;
  const used = new Set<string>();
  const key = keyOf(tensors);
  const decoderName = "cls.predictions.decoder.weight", embName = key("embeddings.word_embeddings.weight");
  const tied = !tensors.has(decoderName) || await entriesEqual(tensors.get(decoderName)!, tensors.get(embName));
  const projections = projectionsOf(tensors, cfg, tied);

  const has = (name: string): boolean => tensors.has(name);
  const entry = (name: string, shape: number[]): TensorEntry => {
    const t = tensors.get(name);
    if (!t) throw new MissingTensorError(`${file}: tensor "${name}" is missing (expected shape [${shape.join(", ")}])`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ConfigError(`${file}: tensor "${name}" has shape [${t.shape.join(", ")}] but config.json implies [${shape.join(", ")}]`);
    }
    return t;
  };
  const raw = async (name: string, shape: number[]): Promise<RawTensor> => {
    const e = entry(name, shape);
    const t: RawTensor = { dtype: e.dtype, shape: e.shape, bytes: await e.read() };
    used.add(name);
    if (!allowNonFinite && (t.dtype === "F32" || t.dtype === "F16" || t.dtype === "BF16")) checkFinite(t, name, file);
    return t;
  };
  const data = async (name: string, shape: number[]): Promise<Float32Array> => { const t = await raw(name, shape); return wrap(name, () => toFloat32(t, name)); };
  const load = async (name: string, shape: number[]): Promise<Tensor> => Tensor.from(backend, await data(name, shape), shape);
  // A projection weight: the checkpoint's bytes as they are when they already are `format`, else encoded from f32.
  const weight = async (name: string, shape: [number, number]): Promise<Weight> => {
    if (!projections.has(name)) throw new Error(`internal: ${name} is loaded as a projection but projectionWeights does not list it`);
    // WnAn simulation: weights fake-quantized per output channel (or per tensor), symmetric min–max, then run as f32.
    if (simulate) {
      const [rows, cols] = simulate.perTensor ? [1, shape[0] * shape[1]] : shape;
      return Weight.from(backend, fakeQuantRows(await data(name, shape), rows, cols, simulate.wBits, true), shape);
    }
    if (prequantized) {
      used.add(name).add(`${name}_scale`);
      const enc = await readQuantized(tensors, name, shape, format, prequantized.group, file);
      if (prequantized.staticScales) {
        enc.inputScale = await readInputScale(tensors, name, file);
        used.add(inputScaleName(name));
      }
      return Weight.fromEncoded(backend, format, enc, shape);
    }
    return projectionFromRaw(backend, await raw(name, shape), name, shape, format);
  };
  // `module` is the checkpoint module name; weight and bias are `<module>.weight` / `<module>.bias`.
  const linear = async (module: string, shape: [number, number], bias = true): Promise<LinearWeights> => ({
    name: module.replace(/^bert\./, ""), w: await weight(`${module}.weight`, shape), b: bias ? await load(`${module}.bias`, [shape[0]]) : undefined,
    actBits: simulate?.aBits, actRange: simulate?.ranges?.get(module.replace(/^bert\./, "")),
  });
  const head = async <T>(names: string[], build: () => Promise<T>): Promise<Head<T>> => {
    const missing = names.filter((n) => !has(n));
    return missing.length ? { ok: false, missing } : { ok: true, w: await build() };
  };

  const wordEmb = await load(embName, [V, H]);
  // Tiedness was decided once above (a byte compare of the whole table) and projectionsOf lists only an untied
  // decoder; a tied one reads the embeddings, and .bin's stored copy of them counts as used.
  const tiedDecoder = (): Weight => {
    if (has(decoderName)) used.add(decoderName);
    return Weight.fromTensor(wordEmb, { shared: true });
  };
  const typeAll = await data(key("embeddings.token_type_embeddings.weight"), [cfg.typeVocabSize, H]);
  const mlmNames = ["cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
    "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias", "cls.predictions.decoder.bias"];
  const weights: ModelWeights = {
    wordEmb,
    // DNABERT-2's collators never pass token types, so only row 0 is ever added.
    typeEmb0: Tensor.from(backend, typeAll.slice(0, H), [H]),
    embLnG: await load(key("embeddings.LayerNorm.weight"), [H]),
    embLnB: await load(key("embeddings.LayerNorm.bias"), [H]),
    layers: [],
    pooler: await head([key("pooler.dense.weight"), key("pooler.dense.bias")], () => linear(key("pooler.dense"), [H, H])),
    classifier: { ok: false, missing: ["classifier.weight", "classifier.bias"] },
    mlm: await head(mlmNames, async () => ({
      dense: await linear("cls.predictions.transform.dense", [H, H]),
      lnG: await load("cls.predictions.transform.LayerNorm.weight", [H]),
      lnB: await load("cls.predictions.transform.LayerNorm.bias", [H]),
      decoder: {
        name: "cls.predictions.decoder",
        // safetensors drops the tied decoder weight; .bin stores it (the same bytes): either way it reads the f32
        // word embeddings, which gather keeps reading in their own layout (prepareWeight may give the decoder a copy).
        w: projections.has(decoderName) ? await weight(decoderName, [V, H]) : tiedDecoder(),
        b: await load("cls.predictions.decoder.bias", [V]),
      },
    })),
    unused: [],
  };

  if (has("classifier.weight")) {
    const n = tensors.get("classifier.weight")!.shape[0];
    if (n !== cfg.labels.length) {
      throw new ConfigError(`${file}: classifier.weight has ${n} rows but config.json declares ${cfg.labels.length} labels (id2label/num_labels)`);
    }
    weights.classifier = await head(["classifier.weight", "classifier.bias"], () => linear("classifier", [n, H]));
  }

  if (has(key(`encoder.layer.${cfg.numHiddenLayers}.mlp.wo.weight`))) {
    throw new ConfigError(`${file}: checkpoint has more than num_hidden_layers = ${cfg.numHiddenLayers} layers`);
  }
  for (let j = 0; j < cfg.numHiddenLayers; j++) {
    const p = key(`encoder.layer.${j}.`);
    weights.layers.push({
      qkv: await linear(`${p}attention.self.Wqkv`, [3 * H, H]),
      attnOut: await linear(`${p}attention.output.dense`, [H, H]),
      attnLnG: await load(`${p}attention.output.LayerNorm.weight`, [H]), attnLnB: await load(`${p}attention.output.LayerNorm.bias`, [H]),
      gated: await linear(`${p}mlp.gated_layers`, [2 * I, H], false),
      wo: await linear(`${p}mlp.wo`, [H, I]),
      mlpLnG: await load(`${p}mlp.layernorm.weight`, [H]), mlpLnB: await load(`${p}mlp.layernorm.bias`, [H]),
    });
  }
  weights.unused = [...tensors.keys()].filter((k) => !used.has(k));
  // A stray activation scale would be silently ignored: the checkpoint does not mean what it says.
  const stray = weights.unused.find((k) => k.endsWith("_input_scale"));
  if (stray !== undefined) {
    disposeWeights(weights);
    throw new FormatError(`${file}: tensor "${stray}" is an activation scale that no static q8 projection uses${prequantized && prequantized.staticScales ? "" : " (the checkpoint does not declare static activation scales)"}`);
  }
  return weights;
}

/**
 * A projection weight from its checkpoint tensor (shape checked by the caller): the bytes as they are when they
 * already are `format`, else encoded from f32 (quantized formats: the reference quantizers of formats.ts).
 * The loader and LoRA's unmerge both build weights here, so an unmerged model is the loaded one bit for bit.
 */
export function projectionFromRaw(backend: Backend, t: RawTensor, name: string, shape: [number, number], format: FormatName): Weight {
  const f32 = () => wrap(name, () => toFloat32(t, name));
  if (FORMATS[format].scales !== "none") return Weight.from(backend, f32(), shape, format);
  const stored = FORMATS[format].storedAs.includes(t.dtype) ? Tensor.fromBytes(backend, format, t.bytes, shape) : Tensor.from(backend, f32(), shape, format);
  return Weight.fromTensor(stored);
}

/** The checkpoint name of a module's weight: heads (classifier, cls.*) as they are, the encoder's with "bert." when used. */
export function checkpointWeightName(tensors: TensorMap, module: string): string {
  return tensors.has(`${module}.weight`) ? `${module}.weight` : `bert.${module}.weight`;
}

/** A prequantized projection weight's data and scales, checked against its format (typed errors name the tensor); q4
 *  scales per `group` weights come back as the per-32 scales the kernels run (expandQ4Scales: the same values). */
async function readQuantized(tensors: TensorIndex, name: string, shape: [number, number], format: FormatName, group: number, file: string): Promise<EncodedWeight> {
  const f = FORMATS[format], [n, k] = shape;
  const data = tensors.get(name), scales = tensors.get(`${name}_scale`);
  if (!data) throw new MissingTensorError(`${file}: tensor "${name}" is missing (${format} data of a [${n}, ${k}] weight)`);
  if (!scales) throw new MissingTensorError(`${file}: tensor "${name}_scale" is missing (the scales of ${format} weight "${name}")`);
  const want = f.dataBytes(n, k), dtype = format === "q8" ? "I8" : "U8";
  if (data.dtype !== dtype || data.byteLength !== want) {
    throw new FormatError(`${file}: tensor "${name}" is ${data.dtype} [${data.shape.join(", ")}] (${data.byteLength} bytes); a ${format} [${n}, ${k}] weight is ${dtype}, ${want} bytes`);
  }
  const count = format === "q4" ? n * Math.ceil(k / group) : f.scaleCount(n, k);
  // q4 scales may be F16 (quantize({ scales: "f16" })): widened exactly, and kept as halves where linear reads them so.
  const scaleBytes = scales.dtype === "F32" ? 4 : scales.dtype === "F16" && format === "q4" ? 2 : 0;
  if (scaleBytes === 0 || scales.byteLength !== scaleBytes * count) {
    throw new FormatError(`${file}: tensor "${name}_scale" is ${scales.dtype} [${scales.shape.join(", ")}]; ${format}${format === "q4" ? ` (groups of ${group})` : ""} weight "${name}" [${n}, ${k}] needs ${count} F32${format === "q4" ? " (or F16)" : ""} scales`);
  }
  const s = toFloat32({ dtype: scales.dtype, shape: scales.shape, bytes: await scales.read() }, `${name}_scale`);
  const bad = s.findIndex((v) => !(Number.isFinite(v) && v >= 0));
  if (bad >= 0) throw new FormatError(`${file}: tensor "${name}_scale"[${bad}] = ${s[bad]} is not a finite, non-negative scale`);
  return { data: await data.read(), scales: format === "q4" ? expandQ4Scales(s, n, k, group) : s };
}

/** The tensor beside a static q8 weight `<name>` that holds its activation scale (F32 [1]). */
export const inputScaleName = (weight: string): string => `${weight}_input_scale`;

/** A static q8 weight's activation scale `<name>_input_scale`: F32 [1], finite and > 0 (typed errors name it). */
async function readInputScale(tensors: TensorIndex, name: string, file: string): Promise<number> {
  const key = inputScaleName(name), t = tensors.get(key);
  if (!t) throw new FormatError(`${file}: tensor "${key}" is missing: the checkpoint declares static activation scales, and "${name}" has none`);
  if (t.dtype !== "F32" || t.shape.length !== 1 || t.shape[0] !== 1) {
    throw new FormatError(`${file}: tensor "${key}" is ${t.dtype} [${t.shape.join(", ")}]; a static activation scale is F32 [1]`);
  }
  const s = toFloat32({ dtype: t.dtype, shape: t.shape, bytes: await t.read() }, key)[0];
  if (!(s > 0 && Number.isFinite(s))) throw new FormatError(`${file}: tensor "${key}" = ${s} is not a finite activation scale > 0`);
  return s;
}

/**
 * A NaN or ±Inf weight makes every output NaN without a word: refused at load, naming the tensor and the element
 * (fromPretrained's `allowNonFinite` loads such a checkpoint anyway).
 */
function checkFinite(t: RawTensor, name: string, file: string): void {
  const v = toFloat32(t, name);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new FormatError(`${file}: tensor "${name}" [${t.shape.join(", ")}] holds ${v[i]} at element ${i}; weights must be finite (pass allowNonFinite: true to load it anyway)`);
    }
  }
}

/** Name the tensor in a raw-tensor decoding error (toFloat32 names it already; this adds the file). */
function wrap<T>(name: string, f: () => T): T {
  try { return f(); } catch (e) {
    if (e instanceof FormatError && !e.message.includes(name)) throw new FormatError(`tensor "${name}": ${e.message}`);
    throw e;
  }
}

/** Two entries hold the same dtype and bytes (the tied decoder test of a streamed checkpoint; reads both once). */
async function entriesEqual(a: TensorEntry, b: TensorEntry | undefined): Promise<boolean> {
  if (!b || a.dtype !== b.dtype || a.byteLength !== b.byteLength) return false;
  const [x, y] = [await a.read(), await b.read()];
  return x.every((v, i) => v === y[i]);
}

/** Tied when the checkpoint has no decoder weight (safetensors) or the same bytes as the word embeddings (.bin). */
function decoderIsTied(tensors: TensorMap, decoderName: string, embName: string): boolean {
  const a = tensors.get(decoderName), b = tensors.get(embName);
  if (!a) return true;
  return Boolean(b && a.dtype === b.dtype && a.bytes.byteLength === b.bytes.byteLength && a.bytes.every((v, i) => v === b.bytes[i]));
}

/** Every projection of the model by module name (the names adapters target), in model order. */
export function modelLinears(w: ModelWeights): Map<string, LinearWeights> {
  const all: LinearWeights[] = w.layers.flatMap((l) => [l.qkv, l.attnOut, l.gated, l.wo]);
  if (w.pooler.ok) all.push(w.pooler.w);
  if (w.classifier.ok) all.push(w.classifier.w);
  if (w.mlm.ok) all.push(w.mlm.w.dense, w.mlm.w.decoder);
  return new Map(all.map((l) => [l.name, l]));
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
