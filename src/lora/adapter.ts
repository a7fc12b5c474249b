// A PEFT LoRA adapter resolved against one loaded model: per targeted Linear its A [r, in] and Bᵀ [r, out] on the
// model's backend with peft's scaling, plus the head Linears it replaces (modules_to_save, e.g. a classifier with
// its own labels). Every tensor of the file must be used and fit the model; anything else is a typed error naming
// the adapter file and the tensor.
import type { Backend } from "../contract/backend.js";
import { ConfigError, FormatError, MissingTensorError } from "../errors.js";
import { toFloat32, type RawTensor, type TensorMap } from "../io/raw-tensor.js";
import { transpose } from "../contract/math.js";
import { Tensor } from "../tensor/tensor.js";
import { Weight } from "../tensor/weight.js";
import type { LinearWeights, LoraDelta } from "../model/project.js";
import { loraScale, matches, patternValue, peftModuleName, type AdapterConfig } from "./config.js";

/** What an adapter file holds, before it is resolved against a model. */
export interface AdapterFiles {
  config: AdapterConfig;
  /** adapter_config.json as read (saveAdapter writes it back unchanged). */
  configJson: Record<string, unknown>;
  tensors: TensorMap;
  /** `<location>/adapter_model.safetensors` (or .bin), for errors. */
  file: string;
  /** id2label of the adapter directory's config.json, when it has one. */
  labels: string[] | null;
}

export interface Adapter {
  readonly name: string;
  readonly file: string;
  /** LoRA deltas by module name (`encoder.layer.0.attention.self.Wqkv`: the model's names, without "bert."). */
  readonly deltas: ReadonlyMap<string, LoraDelta>;
  /** Head Linears replaced while the adapter is active (modules_to_save): "classifier", "pooler.dense". */
  readonly heads: ReadonlyMap<string, LinearWeights>;
  /** Label names of a replaced classifier. */
  readonly labels: readonly string[] | null;
  /** What saveAdapter writes back: adapter_config.json, the "bert." naming, and the replaced heads' values. */
  readonly peft: { config: Record<string, unknown>; prefixed: boolean; heads: ReadonlyMap<string, { w: Float32Array; b: Float32Array }> };
}

/** The head Linears modules_to_save may replace; encoder modules cannot be (they run batched across adapters). */
const REPLACEABLE = new Set(["classifier", "pooler.dense"]);

const PEFT_PREFIX = "base_model.model.";

/** A saved adapter key as peft names the parameter (`bert.….Wqkv.lora_A.weight`; its in-memory ".default" names too). */
export function peftName(key: string): string {
  return (key.startsWith(PEFT_PREFIX) ? key.slice(PEFT_PREFIX.length) : key).replace(/\.lora_([AB])\.default\.weight$/, ".lora_$1.weight").replace(".modules_to_save.default.", ".");
}

/**
 * Resolve `files` against the model's Linears (`linears`: name → weights, from modelLinears) and upload.
 * `hidden` is the model's hidden size (a replaced classifier's input width); `labels` overrides the label names.
 */
export function buildAdapter(backend: Backend, name: string, files: AdapterFiles, linears: ReadonlyMap<string, LinearWeights>,
  hidden: number, opts: { labels?: readonly string[] } = {}): Adapter {
  const { config: cfg, file } = files;
  // Normalised key (PEFT's in-memory ".default" names accepted too) → the raw tensor and its original key.
  const keys = new Map<string, { key: string; t: RawTensor }>();
  for (const [key, t] of files.tensors) {
    if (!key.startsWith(PEFT_PREFIX)) throw new FormatError(`${file}: tensor "${key}" is not a PEFT adapter key (expected "${PEFT_PREFIX}…")`);
    keys.set(peftName(key).replace(/^bert\./, ""), { key, t });
  }
  // The adapter's base model names encoder modules "bert.…" when it was a BertFor* class; peft matched full names.
  const prefixed = [...files.tensors.keys()].some((k) => k.startsWith(`${PEFT_PREFIX}bert.`));
  const fullName = (m: string) => peftModuleName(m, prefixed);
  const used = new Set<string>();
  const take = (k: string, shape: number[], what: string): Float32Array => {
    const e = keys.get(k)!;
    if (e.t.shape.length !== shape.length || e.t.shape.some((d, i) => d !== shape[i])) {
      throw new ConfigError(`${file}: tensor "${e.key}" is [${e.t.shape.join(", ")}] but ${what} needs [${shape.join(", ")}]: the adapter does not fit this base model`);
    }
    used.add(k);
    const v = toFloat32(e.t, e.key);
    const bad = v.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new FormatError(`${file}: tensor "${e.key}"[${bad}] = ${v[bad]}: adapter weights must be finite`);
    return v;
  };

  const made: { dispose(): void }[] = [];
  const upload = (data: Float32Array, shape: number[]) => { const t = Tensor.from(backend, data, shape); made.push(t); return t; };
  const deltas = new Map<string, LoraDelta>();
  const heads = new Map<string, LinearWeights>();
  const headValues = new Map<string, { w: Float32Array; b: Float32Array }>();
  const savedModule = (m: string) => cfg.modulesToSave.some((e) => m === e || m.endsWith(`.${e}`) || m.startsWith(`${e}.`));
  try {
    for (const [m, lin] of linears) {
      const full = fullName(m);
      if (!matches(cfg.targets, full) || (cfg.exclude && matches(cfg.exclude, full)) || savedModule(m)) continue;
      const layer = /(?:^|\.)layer\.(\d+)\./.exec(m);
      if (cfg.layers && !(layer && cfg.layers.includes(Number(layer[1])))) continue;
      const ka = `${m}.lora_A.weight`, kb = `${m}.lora_B.weight`;
      const hasA = keys.has(ka), hasB = keys.has(kb);
      if (!hasA && !hasB && !layer) continue; // a head the adapter's base model did not have (e.g. the MLM head)
      if (!hasA || !hasB) {
        throw new MissingTensorError(`${file}: module "${full}" is targeted (target_modules) but "${PEFT_PREFIX}${full}.lora_${hasA ? "B" : "A"}.weight" is missing`);
      }
      const [out, inF] = lin.w.shape;
      const r = patternValue(cfg.rankPattern, full, cfg.r, file);
      const a = take(ka, [r, inF], `lora_A of ${full} (r = ${r}, in = ${inF})`);
      const b = take(kb, [out, r], `lora_B of ${full} (out = ${out}, r = ${r})`);
      const bt = transpose(b, out, r);
      const alpha = patternValue(cfg.alphaPattern, full, cfg.alpha, file);
      deltas.set(m, { a: upload(a, [r, inF]), bt: upload(bt, [r, out]), scale: loraScale(cfg, alpha, r), r });
    }
    // modules_to_save: whole head Linears (weight + bias) that replace the base model's while the adapter is active.
    const saved = [...keys.keys()].filter((k) => !used.has(k) && !/\.lora_[AB]\.weight$/.test(k));
    for (const k of saved) {
      const m = k.replace(/\.(weight|bias)$/, "");
      if (!savedModule(m)) continue;
      if (!REPLACEABLE.has(m)) {
        throw new ConfigError(`${file}: tensor "${keys.get(k)!.key}" saves module "${m}" (modules_to_save); germ-js replaces only the classifier and the pooler's dense layer`);
      }
    }
    for (const m of REPLACEABLE) {
      const kw = `${m}.weight`, kb = `${m}.bias`;
      if (!keys.has(kw) && !keys.has(kb)) continue;
      if (!keys.has(kw) || !keys.has(kb)) throw new MissingTensorError(`${file}: modules_to_save "${m}" has ${keys.has(kw) ? "a weight but no bias" : "a bias but no weight"}`);
      const wt = keys.get(kw)!.t;
      const out = m === "classifier" ? wt.shape[0] : hidden;
      const w = take(kw, [out, hidden], `module ${m} (hidden size ${hidden})`), bias = take(kb, [out], `the bias of ${m}`);
      const weight = Weight.from(backend, w, [out, hidden]);
      made.push(weight);
      heads.set(m, { name: m, w: weight, b: upload(bias, [out]) });
      headValues.set(m, { w, b: bias });
    }
    const left = [...keys.keys()].filter((k) => !used.has(k));
    if (left.length) {
      const k = left[0], mod = k.replace(/\.(lora_[AB]\.weight|weight|bias)$/, "");
      const why = linears.has(mod) ? `module "${fullName(mod)}" is not targeted by target_modules${savedModule(mod) ? "" : " nor listed in modules_to_save"}`
        : `this base model has no module "${fullName(mod)}"`;
      throw new ConfigError(`${file}: tensor "${keys.get(k)!.key}" cannot be applied: ${why}${left.length > 1 ? ` (and ${left.length - 1} more)` : ""}`);
    }
    if (deltas.size === 0 && heads.size === 0) throw new ConfigError(`${file}: the adapter changes nothing in this model (no LoRA tensor matches its target_modules)`);
    const cls = heads.get("classifier");
    let labels: string[] | null = null;
    if (cls) {
      const n = cls.w.shape[0];
      const given = opts.labels ?? files.labels;
      if (given && given.length !== n) throw new ConfigError(`${file}: the adapter's classifier has ${n} labels but ${opts.labels ? "the labels option" : "its config.json"} names ${given.length}`);
      labels = given ? [...given] : Array.from({ length: n }, (_, i) => `LABEL_${i}`);
    }
    return { name, file, deltas, heads, labels, peft: { config: files.configJson, prefixed, heads: headValues } };
  } catch (e) {
    made.forEach((t) => t.dispose());
    throw e;
  }
}

export function disposeAdapter(a: Adapter): void {
  for (const d of a.deltas.values()) { d.a.dispose(); d.bt.dispose(); }
  for (const h of a.heads.values()) { h.w.dispose(); h.b?.dispose(); }
}
