// GermModel.fineTune's work: labels and options checked, the trainer built from the checkpoint, the loop run, and
// the trained adapter registered under its name (then usable like any loaded adapter, and savable as PEFT files).
import { InputError } from "../errors.js";
import type { ModelState } from "../model/state.js";
import type { AdapterRegistry } from "../lora/registry.js";
import { peftName, type AdapterFiles } from "../lora/adapter.js";
import { toFloat32, type TensorMap } from "../io/raw-tensor.js";
import type { ModelSource } from "../io/checkpoint.js";
import { trainedAdapterConfig } from "../lora/save.js";
import { Weight } from "../tensor/weight.js";
import { Tensor } from "../tensor/tensor.js";
import { LoraTrainer } from "../train/trainer.js";
import { runTraining, type EvalInfo, type Examples, type LoopOptions, type RunReport } from "../train/fine-tune.js";
import { warnOnce } from "../log.js";

/**
 * Labelled sequences for {@link GermModel.fineTune}: `labels[i]` belongs to `texts[i]`.
 * @category Training
 */
export interface FineTuneData {
  /** DNA sequences. */
  texts: string[];
  /** Class indices, label names (see `labelNames`) or strings of indices as CSVs hold them; numbers for regression. */
  labels: (number | string)[];
}

/**
 * Options of {@link GermModel.fineTune}: the adapter (LoRA rank, targets), the head, and the training loop
 * (epochs, learning rate, schedule, evaluation, callbacks). Defaults are peft's and the HF Trainer's
 * (docs/training.md).
 * @category Training
 */
export interface FineTuneOptions extends LoopOptions {
  /** Name the trained adapter is registered under (default "finetuned"). */
  adapter?: string;
  /** The LoRA adapter to train. */
  lora?: {
    /** Rank (default 8). */
    r?: number;
    /** lora_alpha (default 16): the update is scaled by alpha / r (alpha / √r with `rslora`). */
    alpha?: number;
    /** peft's target_modules: a list of names (default ["Wqkv"], GERM's recipe) or a regex string. */
    targetModules?: string[] | string;
    /** rsLoRA scaling alpha / √r instead of alpha / r (peft's use_rslora). */
    rslora?: boolean;
    /** peft's lora_dropout on each LoRA module's input (default 0, peft's default; GERM's recipe uses 0.05). */
    dropout?: number;
    /** A PEFT adapter (directory, URL or hub id, as loadAdapter takes) to start from instead of peft's initialisation. */
    init?: string | ModelSource;
  };
  /**
   * BERT's hidden dropout in training (after the embeddings and attention.output.dense, before mlp.wo); default config.json's
   * hidden_dropout_prob (0.1 in DNABERT-2), as the HF Trainer trains. 0 gives the eval-mode math of the training goldens.
   */
  hiddenDropout?: number;
  /** Dropout before the classifier; default config.json's classifier_dropout, else the hidden dropout (HF's rule). */
  classifierDropout?: number;
  /** Recompute each layer's activations in the backward pass (activation checkpointing): memory of one layer, ~1 more forward. */
  recompute?: boolean;
  /** Classes of the trained classifier (default: the base classifier's); 1 = regression with MSE. */
  numLabels?: number;
  /** Label names (default: config.json's when the count matches, else LABEL_i); string labels are looked up here. */
  labelNames?: string[];
  /** Held-out sequences scored (loss, accuracy, macro F1, MCC) every `evalEvery`; results in FineTuneRun.evals. */
  evalSet?: FineTuneData;
}

/**
 * What {@link GermModel.fineTune} returns: the adapter's name and the run's history.
 * @category Training
 */
export interface FineTuneRun extends RunReport {
  /** Name the trained adapter is registered under (use it as `{ adapter }`, or save it with saveAdapter). */
  adapter: string;
  /** One entry per evaluation of `evalSet`, in order. */
  evals: EvalInfo[];
}

export async function fineTune(state: ModelState, registry: AdapterRegistry, tensors: TensorMap, file: string,
  tokenize: (text: string) => number[], data: FineTuneData, opts: FineTuneOptions, initFiles?: AdapterFiles): Promise<FineTuneRun> {
  const name = opts.adapter ?? "finetuned";
  if (registry.names.includes(name)) throw new InputError(`fineTune: an adapter named "${name}" is already loaded`);
  const cfg = state.config.dropout;
  const prob = (what: string, v: number | undefined, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !(v >= 0 && v < 1)) throw new InputError(`fineTune: ${what} must be a probability in [0, 1), got ${String(v).slice(0, 20)}`);
    return v;
  };
  const hidden = prob("hiddenDropout", opts.hiddenDropout, cfg.hidden);
  const dropout = {
    lora: prob("lora.dropout", opts.lora?.dropout, 0), hidden,
    classifier: prob("classifierDropout", opts.classifierDropout, cfg.classifier ?? hidden),
  };
  // DNABERT-2 and GERM train with attention-probability dropout 0; the fused attention kernels have none.
  if (cfg.attention > 0) warnOnce("dropout:attention", `fineTune: attention_probs_dropout_prob ${cfg.attention} is not applied (the attention kernels have no dropout; DNABERT-2 and GERM use 0)`);
  const baseCls = state.weights.classifier.ok ? state.weights.classifier.w.w.shape[0] : state.config.labels.length;
  const numLabels = opts.numLabels ?? baseCls;
  if (!Number.isInteger(numLabels) || numLabels < 1) throw new InputError(`fineTune: numLabels must be an integer ≥ 1, got ${numLabels}`);
  const names = opts.labelNames ?? (numLabels === state.config.labels.length ? state.config.labels : Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`));
  if (names.length !== numLabels) throw new InputError(`fineTune: ${names.length} label names for ${numLabels} labels`);
  const examples = (d: FineTuneData, what: string): Examples => {
    if (!d || !Array.isArray(d.texts) || !Array.isArray(d.labels)) throw new InputError(`fineTune: ${what} must be { texts: string[], labels: [] }`);
    if (d.texts.length === 0) throw new InputError(`fineTune: ${what} has no sequences`);
    if (d.texts.length !== d.labels.length) throw new InputError(`fineTune: ${what} has ${d.texts.length} texts but ${d.labels.length} labels`);
    const labels = d.labels.map((l, i) => label(l, i, what));
    return { ids: d.texts.map((t, i) => { if (typeof t !== "string") throw new InputError(`fineTune: ${what} text ${i} is not a string`); return tokenize(t); }), labels };
  };
  const label = (l: number | string, i: number, what: string): number => {
    if (numLabels === 1) {
      const v = typeof l === "string" ? Number(l) : l;
      if (!Number.isFinite(v)) throw new InputError(`fineTune: ${what} label ${i} = ${JSON.stringify(l)} is not a number (regression)`);
      return v;
    }
    if (typeof l === "string") {
      const k = names.indexOf(l);
      if (k >= 0) return k;
      if (/^\d+$/.test(l) && Number(l) < numLabels) return Number(l);
      throw new InputError(`fineTune: ${what} label ${i} = "${l}" is none of ${names.map((n) => `"${n}"`).join(", ")}`);
    }
    if (!Number.isInteger(l) || l < 0 || l >= numLabels) throw new InputError(`fineTune: ${what} label ${i} = ${l} is not a class index in [0, ${numLabels})`);
    return l;
  };
  const train = examples(data, "training set"), evalSet = opts.evalSet ? examples(opts.evalSet, "evalSet") : undefined;
  const lo = opts.lora ?? {};
  const r = lo.r ?? 8, alpha = lo.alpha ?? 16;
  if (!Number.isInteger(r) || r < 1) throw new InputError(`fineTune: lora.r must be a positive integer, got ${r}`);
  const targets = lo.targetModules ?? ["Wqkv"];
  const matcher = typeof targets === "string" ? { regex: new RegExp(`^(?:${targets})$`, "u"), source: targets } : { list: targets };
  const trainer = new LoraTrainer(state, { r, alpha, targets: matcher, rslora: lo.rslora, numLabels, seed: opts.seed, recompute: opts.recompute, init: initFiles ? initValues(initFiles) : undefined, dropout }, tensors, file);
  let report: RunReport;
  try {
    report = await runTraining(trainer, train, evalSet, opts);
  } catch (e) {
    trainer.dispose();
    throw e;
  }
  const values = await trainer.values();
  const { deltas, classifier } = trainer.release();
  const w = values.get("classifier.weight")!.data, b = values.get("classifier.bias")!.data;
  classifier.w.dispose(); classifier.b.dispose();
  const head = { name: "classifier", w: Weight.from(state.backend, w, [numLabels, state.config.hiddenSize]), b: Tensor.from(state.backend, b, [numLabels]) };
  registry.register({
    name, file: "(fine-tuned)", deltas, heads: new Map([["classifier", head]]), labels: names,
    peft: { config: trainedAdapterConfig({ r, alpha, rslora: lo.rslora ?? false, targets, base: file }), prefixed: trainer.prefixed, heads: new Map([["classifier", { w, b }]]) },
  });
  return { adapter: name, ...report };
}

/** A PEFT adapter's tensors as initial values by peft parameter name (lora_A/B of modules, classifier.*). */
function initValues(files: AdapterFiles): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of files.tensors) {
    if (t.dtype !== "F32") throw new InputError(`fineTune: init tensor "${k}" is ${t.dtype}; expected F32`);
    out.set(peftName(k), toFloat32(t, k));
  }
  return out;
}
