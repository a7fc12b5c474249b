// GermModel: the public, isomorphic API — load a HuggingFace DNABERT-2/GERM checkpoint, then
// forward / embed / classify / maskedLM on DNA strings. Everything below it is reached through here.
import { selectBackend } from "../backend/create.js";
import type { BackendName } from "../contract/backend.js";
import type { SoftmaxKind } from "../contract/spec.js";
import { InputError, ConfigError, FormatError } from "../errors.js";
import { parseConfig, type GermConfig } from "../model/config.js";
import { modelRequirements } from "../model/needs.js";
import { createModelState, disposeModelState, type ModelState } from "../model/state.js";
import { encode, packBatch, type EncodeOptions, type PackedBatch } from "../model/encoder.js";
import { classifierLogits, clsRows, meanPooled, mlmLogits, pooler } from "../model/heads.js";
import { loadCheckpoint, openCheckpoint, type ModelSource, type OpenedCheckpoint } from "../io/checkpoint.js";
import { openSource } from "../io/source.js";
import { DnaTokenizer } from "../tokenizer/tokenizer.js";
import { infoOnce, warnOnce } from "../log.js";
import { Tensor } from "../tensor/tensor.js";
import { rowStats } from "../ops/ops.js";
import { splitRows, softmaxRow } from "./outputs.js";
import { checkpointFormat, checkpointQ4Group, checkpointStaticScales, quantizeCheckpoint, META } from "../quant/checkpoint.js";
import { activationScales, calibrate, calibrateRanges } from "../quant/calibrate.js";
import { smoothCheckpoint } from "../quant/smooth.js";
import { disposeWeights, projectionWeights } from "../model/weights.js";
import type { TensorMap } from "../io/raw-tensor.js";
import { Q4_GROUP, Q4_GROUPS, type FormatName } from "../contract/formats.js";
import { nodeFs } from "../io/random-access.js";
import { hasFileSystem } from "../env.js";
import { statsFromMoments, summarize, type LayerStats, type OutlierReport } from "./outliers.js";
import { gather } from "../ops/ops.js";
import type { LoraSpan } from "../model/project.js";
import type { HeadAdapter } from "../model/heads.js";
import { AdapterRegistry } from "../lora/registry.js";
import { readAdapterFiles } from "../lora/load.js";
import { adapterFiles } from "../lora/save.js";
import { fineTune, type FineTuneData, type FineTuneOptions, type FineTuneRun } from "./fine-tune.js";
import { checkMaxBatchTokens, layersToRun, planBatches } from "./batching.js";
import { maxRows, resolveWindow, tokenSpan, windowRanges, type LayerOption, type TokenEmbeddings, type WindowEmbedding, type WindowSpec } from "./windows.js";

/**
 * Options of {@link GermModel.fromPretrained}. Every field is optional: `{}` loads an f32 model on the fastest
 * backend that runs it.
 * @category Model
 */
export interface FromPretrainedOptions {
  /**
   * Where the kernels run. "auto" (default) picks WebGPU on a hardware adapter, else Wasm, else (warning once) the
   * reference backend; a named device that cannot run the model fails at load with one BackendError listing why.
   */
  device?: BackendName | "auto";
  /**
   * Storage of the GEMM weights: "f32" (default), "f16" (IEEE half weights, f32 activations and accumulation;
   * half the weight memory), "q8" (W8A8: int8 weights per output row, activations quantized per token on the fly)
   * or "q4" (int4 weights in groups of 32, f32 activations), quantized at load with the reference quantizers
   * (contract/formats.ts). A backend that lacks the format's kernel fails at load (BackendError naming it); "auto"
   * takes one that has it. f16 runs on WebGPU with `shader-f16`; q8 and q4 on every backend (docs/quantization.md).
   */
  dtype?: "f32" | "f16" | "q8" | "q4";
  /**
   * Wasm worker threads, 1…64 (default: the core count, at most 8). More than one needs shared memory: always there
   * in Node and Deno; in a page only when it is cross-origin isolated (COOP + COEP headers), else one thread and a
   * warning saying why (docs/getting-started.md).
   */
  threads?: number;
  /**
   * Research: load as a fake-quant WnAn model (GERM's evaluation): projection weights quantized per output channel
   * (symmetric min–max) to `wBits` and back, inputs of every projection per token (asymmetric min–max) to `aBits`,
   * computed in f32. Bits 2…8. See GermModel.simulate.
   */
  simulate?: {
    /** Bits of the fake-quantized projection weights (2…8). */
    wBits: number;
    /** Bits of the fake-quantized projection inputs (2…8). */
    aBits: number;
    /** GERM's own observers: weights per tensor, and static input ranges (see `ranges`) where given. */
    perTensor?: boolean;
    /** Static [lo, hi] per encoder projection input, by module name (`encoder.layer.0.attention.self.Wqkv`, …): what GermModel.simulate calibrates. */
    ranges?: ReadonlyMap<string, readonly [number, number]>;
  };
  /** Load a checkpoint whose float weights hold NaN or ±Inf (refused with a FormatError naming the tensor by default). */
  allowNonFinite?: boolean;
  /** Overrides config.json's attn_softmax. Use "softmax1" for magicslabnu/GERM (its config does not say). */
  attnSoftmax?: SoftmaxKind;
  /** Tokenizer truncation (HF-Python rule: [CLS] + first L−2 tokens + [SEP]); default: none. */
  maxLength?: number;
  /** Sequences per forward pass (memory bound); results do not depend on it. Default 16 (no limit when only maxBatchTokens is set). */
  batchSize?: number;
  /**
   * Token budget per forward pass: batches are formed (in input order) so that rows × longest row ≤ maxBatchTokens;
   * a single longer sequence runs alone. Bounds memory when lengths vary (windows, reads); results do not depend on
   * it. Combined with `batchSize`. Default 4096 (8 windows of 512 tokens: the 117M model's activations stay ~200 MB).
   * A call's own `maxBatchTokens` overrides it.
   */
  maxBatchTokens?: number;
  /** Hub branch, tag or commit (default "main"); ignored for local directories and URLs. */
  revision?: string;
  /**
   * Called as each file arrives: its name, the bytes `loaded` so far, `total` when known, and `status` ("download"
   * while bytes stream in, "cache" when read from the cache, "done").
   */
  onProgress?: (p: { file: string; loaded: number; total?: number; status: string }) => void;
}

/**
 * How {@link GermModel.embed} makes one vector of a sequence's token states: "mean" over every token including
 * [CLS] and [SEP] (DNABERT-2's usual embedding), "cls" the [CLS] row, "pooler" tanh(dense(h[CLS])), "max" the
 * per-dimension maximum over the same tokens as "mean".
 * @category Model
 */
export type Pooling = "mean" | "cls" | "pooler" | "max";

/**
 * One result of {@link GermModel.classify}.
 * @category Model
 */
export interface Classification {
  /** Classifier outputs, one per label. */
  logits: Float32Array;
  /** softmax(logits). */
  probs: Float32Array;
  /** Name of the largest logit's label (config.json's id2label, or the adapter's own labels). */
  label: string;
}

/**
 * A DNA string, or one with the LoRA adapter it runs with (overrides the call's `adapter` option; null: base).
 * @category Model
 */
export type SequenceInput = string | {
  /** The DNA sequence (upper-case ACGTN; other characters become [UNK]). */
  text: string;
  /** A loaded adapter's name; null runs the base model; absent takes the call's `adapter` option. */
  adapter?: string | null;
};

/**
 * Options every inference call takes: which loaded adapter to run (default: the base model), and an AbortSignal.
 * @category Model
 */
export interface AdapterOption {
  /** A loaded adapter ({@link GermModel.loadAdapter}) for every sequence of the call; null, absent: the base. */
  adapter?: string | null;
  /** Stops the call between layers and batches: it rejects with the signal's reason, and the model stays usable. */
  signal?: AbortSignal;
  /** This call's token budget per batch (overrides {@link FromPretrainedOptions.maxBatchTokens}); results do not depend on it. */
  maxBatchTokens?: number;
}

/** Token id rows, each with its adapter (null: the base model); how many layers to run and the batch token budget. */
/** The token budget of a batch when none is given: 8 windows of 512 tokens; short reads still go 16 at a time. */
const DEFAULT_BATCH_TOKENS = 4096;

interface Rows { ids: number[][]; adapters: (string | null)[]; signal?: AbortSignal; layers?: number; maxBatchTokens?: number }

/** A run of sequences of one packed batch that share an adapter (batches are sorted so that runs are contiguous). */
interface Group extends HeadAdapter { seqStart: number; seqCount: number; labels: readonly string[] }

/**
 * {@link GermModel.info}: where the model's kernels run.
 * @category Model
 */
export interface ModelInfo {
  /** The backend's name. */
  backend: BackendName;
  /** "simd" | "relaxed" | "simd-mt" | "relaxed-mt" on Wasm; "wgsl", "wgsl+f16", … on WebGPU; "f64" on reference. */
  build: string;
  /** Threads the kernels use (1 on WebGPU and the reference backend). */
  threads: number;
  /** Free-form: GPU adapter, Wasm build flavour, for logs. */
  description: string;
}

/**
 * Above this many tokens (≈ 20–25 kbp of DNA with DNABERT-2's BPE) a sequence gets a one-time warning: attention
 * time grows with the square of the length, so one such sequence can take minutes on a CPU backend.
 * @category Model
 */
export const LONG_SEQUENCE_TOKENS = 4096;

function warnLong(rows: readonly (readonly number[])[]): void {
  const i = rows.findIndex((r) => r.length > LONG_SEQUENCE_TOKENS);
  if (i < 0) return;
  warnOnce("long-sequence", `sequence ${i} has ${rows[i]!.length} tokens (over ${LONG_SEQUENCE_TOKENS}): attention time and memory grow with the square of the length; ` +
    "split long sequences into overlapping windows (e.g. 5–10 kbp) or set maxLength, and pass a `signal` to be able to cancel");
}

/**
 * A loaded DNABERT-2 or GERM model: load one with {@link GermModel.fromPretrained}, then call forward, embed,
 * classify, maskedLM or outliers on DNA strings. Calls on one model run one at a time, in call order; results for a
 * sequence never depend on the rest of its batch. Free the model's buffers with {@link GermModel.dispose}.
 * @category Model
 * @example
 * import { GermModel } from "germ-js";
 *
 * const model = await GermModel.fromPretrained("zhihan1996/DNABERT-2-117M", { device: "auto" });
 * const [emb] = await model.embed(["ACGTAGCATCGGATCTATCTATCGACAC"], { pooling: "mean" }); // Float32Array(768)
 * model.dispose();
 */
export class GermModel {
  private disposed = false;
  private readonly registry: AdapterRegistry;
  private constructor(
    /** The parsed config.json (sizes, softmax kind, label names). */
    readonly config: GermConfig,
    /** The model's tokenizer (its tokenizer.json), for token ids, tokens and decoding. */
    readonly tokenizer: DnaTokenizer,
    private readonly state: ModelState,
    private readonly opts: FromPretrainedOptions,
    /** Where the model came from: save() re-reads the checkpoint rather than keeping host copies of the weights. */
    private readonly origin: { src: ModelSource; file: string; configBytes: Uint8Array; tokBytes: Uint8Array; prequantized: boolean },
  ) { this.registry = new AdapterRegistry(state); }

  /**
   * Load a HuggingFace PEFT LoRA adapter (a directory, directory URL or hub id holding adapter_config.json and
   * adapter_model.safetensors or .bin) under `name`. Adapters stay unmerged and share the base weights: pass
   * `{ adapter: name }` to a call (or per sequence) to run it; calls without it run the base model.
   * `labels` names the classes of an adapter's own classifier (default: its config.json's id2label, else LABEL_i).
   * @example
   * await model.loadAdapter("promoter", "./promoter-lora");
   * const [c] = await model.classify(["TATAAAAGGC…"], { adapter: "promoter" });
   */
  async loadAdapter(name: string, src: string | ModelSource, opts: { labels?: string[]; revision?: string } = {}): Promise<void> {
    this.alive();
    if (this.opts.simulate) throw new InputError("loadAdapter: a simulate() model is for quantization research; load adapters on the model itself");
    const source = typeof src === "string" ? await openSource(src, { revision: opts.revision, onProgress: this.opts.onProgress }) : src;
    this.registry.add(name, await readAdapterFiles(source), { labels: opts.labels });
  }

  /**
   * Free an adapter's buffers; calls naming it fail afterwards.
   * @example
   * model.unloadAdapter("promoter");
   */
  unloadAdapter(name: string): void { this.alive(); this.registry.remove(name); }

  /**
   * Names of the loaded adapters, in load order.
   * @example
   * await model.loadAdapter("promoter", "./promoter-lora");
   * model.adapters; // ["promoter"]
   */
  get adapters(): string[] { return this.registry.names; }

  /** The adapter merged into the base weights by merge(), or null. */
  get mergedAdapter(): string | null { return this.registry.merged; }

  /**
   * Merge adapter `name` into the base weights (W + s·B·A, from the checkpoint's weights, rounded once) so it runs
   * at the base model's speed. Until unmerge(), only calls with `{ adapter: name }` run. f32 and f16 models only.
   * @example
   * await model.loadAdapter("promoter", "./promoter-lora");
   * await model.merge("promoter");
   * const out = await model.classify(seqs, { adapter: "promoter" }); // at the base model's speed
   * await model.unmerge();
   */
  async merge(name: string): Promise<void> {
    this.alive();
    this.registry.get(name);
    return this.exclusive(async () => {
      const { tensors } = await loadCheckpoint(this.origin.src);
      await this.registry.merge(name, tensors, `${this.origin.src.location}/${this.origin.file}`);
    });
  }

  /**
   * Fine-tune a LoRA adapter on labelled sequences, as peft's SEQ_CLS recipe does (LoRA A/B on `targetModules`,
   * default Wqkv, plus the classifier; every base weight frozen; AdamW, HF Trainer schedule and clipping), then
   * register it under `adapter` (default "finetuned"): use it with `{ adapter }` and save it with saveAdapter().
   * f32/f16 models with a pooler (BertForSequenceClassification checkpoints, or any model given `numLabels`).
   * @example
   * const run = await model.fineTune({ texts, labels }, { adapter: "promoter", epochs: 3, lr: 1e-4, evalSet: dev });
   * await model.saveAdapter("promoter", "./promoter-lora");   // loads in Python's peft and back via loadAdapter
   */
  async fineTune(data: FineTuneData, opts: FineTuneOptions = {}): Promise<FineTuneRun> {
    this.alive();
    if (this.opts.simulate) throw new InputError("fineTune: a simulate() model is for quantization research; fine-tune the model itself");
    if (this.registry.merged !== null) throw new InputError(`fineTune: adapter "${this.registry.merged}" is merged into the base weights; unmerge() first`);
    const init = opts.lora?.init;
    const initFiles = init === undefined ? undefined : await readAdapterFiles(typeof init === "string" ? await openSource(init) : init);
    return this.exclusive(async () => {
      const { tensors } = await loadCheckpoint(this.origin.src);
      return fineTune(this.state, this.registry, tensors, `${this.origin.src.location}/${this.origin.file}`,
        (t) => this.tokenizer.encode(t, { maxLength: this.opts.maxLength }).ids, data, opts, initFiles);
    });
  }

  /**
   * A loaded or trained adapter as the files of a PEFT adapter directory (file name → bytes), e.g. to download
   * in a page.
   * @example
   * const files = await model.adapterFiles("promoter"); // "adapter_config.json", "adapter_model.safetensors"
   * const link = Object.assign(document.createElement("a"), { download: "adapter_model.safetensors" });
   * link.href = URL.createObjectURL(new Blob([files.get("adapter_model.safetensors")!.slice()]));
   * link.click();
   */
  async adapterFiles(name: string): Promise<Map<string, Uint8Array>> {
    this.alive();
    return adapterFiles(this.registry.get(name));
  }

  /**
   * Write adapter `name` as a PEFT directory (adapter_config.json, adapter_model.safetensors): Node and Deno.
   * Python's `PeftModel.from_pretrained` loads it, and so does {@link GermModel.loadAdapter}.
   * @example
   * await model.fineTune({ texts, labels }, { adapter: "promoter" });
   * await model.saveAdapter("promoter", "./promoter-lora");
   */
  async saveAdapter(name: string, dir: string): Promise<void> {
    this.alive();
    if (!hasFileSystem) throw new InputError("saveAdapter writes files: it needs Node or Deno (in a browser, use adapterFiles())");
    const files = await this.adapterFiles(name);
    const fs = await nodeFs();
    await fs.mkdir(dir, { recursive: true });
    for (const [f, bytes] of files) await fs.writeFile(`${dir}/${f}`, bytes);
  }

  /**
   * Undo merge(): the base weights exactly as loaded.
   * @example
   * await model.merge("promoter");
   * await model.unmerge(); // bit-identical to the model before merge()
   */
  async unmerge(): Promise<void> {
    this.alive();
    if (this.registry.merged === null) throw new InputError("unmerge: no adapter is merged");
    return this.exclusive(async () => {
      const { tensors } = await loadCheckpoint(this.origin.src);
      this.registry.unmerge(tensors, `${this.origin.src.location}/${this.origin.file}`);
    });
  }

  /**
   * A fake-quant copy of this model for GERM's WnAn evaluation (same source, same device), run in f32, to `wBits` /
   * `aBits` (2…8). `observers` "per-channel" (default): weights per output channel symmetric, projection inputs per
   * token asymmetric, min–max. "per-tensor" (GERM's own defaults): weights per tensor (symmetric), and each encoder
   * projection's input with one static asymmetric range, the min and max over the `calibration` sequences (run through
   * this model first); the heads' inputs stay per token.
   * @example
   * const w4a4 = await model.simulate({ wBits: 4, aBits: 4 });
   * const [a] = await model.embed([dna]), [b] = await w4a4.embed([dna]); // how far 4-bit moves the embedding
   * const germ = await model.simulate({ wBits: 8, aBits: 8, observers: "per-tensor", calibration: seqs });
   */
  async simulate(bits: { wBits: number; aBits: number; observers?: "per-channel" | "per-tensor"; calibration?: string[] }): Promise<GermModel> {
    this.alive();
    const { wBits, aBits, observers = "per-channel", calibration } = bits ?? ({} as never);
    if (observers !== "per-channel" && observers !== "per-tensor") throw new InputError(`simulate: observers ${JSON.stringify(observers)} must be "per-channel" or "per-tensor"`);
    if (observers === "per-channel") {
      if (calibration !== undefined) throw new InputError(`simulate: calibration is for observers "per-tensor" (static ranges); "per-channel" measures each token`);
      return GermModel.fromPretrained(this.origin.src, { ...this.opts, dtype: undefined, device: this.backend, simulate: { wBits, aBits } });
    }
    if (!Array.isArray(calibration) || calibration.length === 0) throw new InputError(`simulate: observers "per-tensor" needs calibration sequences (calibration: string[])`);
    if (this.origin.prequantized || this.opts.simulate) throw new InputError("simulate: this model is already quantized (or simulated); simulate the float model");
    if (this.registry.merged !== null) throw new InputError(`simulate: adapter "${this.registry.merged}" is merged into the weights the ranges would be measured on; unmerge() first`);
    const ranges = await this.exclusive(() => calibrateRanges(this.state, this.calibrationBatches(calibration)));
    return GermModel.fromPretrained(this.origin.src, { ...this.opts, dtype: undefined, device: this.backend, simulate: { wBits, aBits, perTensor: true, ranges } });
  }

  /**
   * A quantized copy of this model (same device): `weights: "int8"` with int8 activations is q8 (W8A8), `"int4"`
   * with f32 activations is q4 (W4A16; `groupSize` 32 (default), 64 or 128 weights per scale). `smoothQuant: α` (q8;
   * default off, 0.5 is SmoothQuant's usual) first migrates activation outliers into the weights of every layer's
   * attention output and mlp.wo, from per-channel ranges measured on the `calibration` sequences (docs/quantization.md).
   * `activationScales: "static"` (q8) quantizes each projection's input with one scale measured on the `calibration`
   * sequences (max |x| / 127 over their tokens, after smoothing when smoothQuant is given) instead of per token at
   * run time ("dynamic", the default). `scales: "f16"` (q4) rounds each group scale to the nearest half before
   * quantizing with it: the file stores F16 scales and WebGPU (shader-f16) holds them as halves, with the same values
   * on every backend. The copy saves as a quantized checkpoint.
   * @example
   * const q8 = await model.quantize({ weights: "int8", activations: "int8", calibration: seqs, smoothQuant: 0.5 });
   * await q8.save("./germ-q8-sq");
   * const fixed = await model.quantize({ weights: "int8", activations: "int8", calibration: seqs, activationScales: "static" });
   * const q4 = await model.quantize({ weights: "int4", groupSize: 128 }); // one scale per 128 weights: smaller file
   * const q4h = await model.quantize({ weights: "int4", scales: "f16" }); // scales rounded to halves: F16 in the file, f16 on WebGPU
   */
  async quantize(opts: {
    weights: "int8" | "int4"; activations?: "int8" | "f32"; groupSize?: number; calibration?: string[]; smoothQuant?: number;
    activationScales?: "dynamic" | "static"; scales?: "f32" | "f16";
  }): Promise<GermModel> {
    this.alive();
    const acts = opts?.activations ?? (opts?.weights === "int4" ? "f32" : "int8");
    const format = opts?.weights === "int8" && acts === "int8" ? "q8" : opts?.weights === "int4" && acts === "f32" ? "q4" : null;
    if (!format) throw new InputError(`quantize: weights ${JSON.stringify(opts?.weights)} with activations ${JSON.stringify(acts)} is not a format germ-js has (int8 + int8 = q8, int4 + f32 = q4)`);
    const group = opts.groupSize ?? Q4_GROUP;
    if (opts.groupSize !== undefined && (format !== "q4" || !Q4_GROUPS.includes(group))) {
      throw new InputError(`quantize: groupSize ${String(opts.groupSize).slice(0, 20)}: ${format === "q4" ? `q4 groups are ${Q4_GROUPS.join(", ")}` : "only int4 weights (q4) have groups"}`);
    }
    if (this.origin.prequantized || this.opts.simulate) throw new InputError("quantize: this model is already quantized (or simulated); quantize the float model");
    const scaleDtype = opts.scales ?? "f32";
    if (scaleDtype !== "f32" && scaleDtype !== "f16") throw new InputError(`quantize: scales ${JSON.stringify(String(scaleDtype).slice(0, 20))} must be "f32" or "f16"`);
    if (scaleDtype === "f16" && format !== "q4") throw new InputError("quantize: f16 scales apply to int4 weights (q4)");
    const alpha = opts.smoothQuant, scales = opts.activationScales ?? "dynamic";
    if (scales !== "dynamic" && scales !== "static") throw new InputError(`quantize: activationScales ${JSON.stringify(scales)} must be "dynamic" or "static"`);
    const hasCalibration = Array.isArray(opts.calibration) && opts.calibration.length > 0;
    if (alpha !== undefined) {
      if (format !== "q8") throw new InputError("quantize: smoothQuant applies to int8 activations (q8)");
      if (!(alpha > 0 && alpha <= 1)) throw new InputError(`quantize: smoothQuant α ${alpha} must be in (0, 1]`);
      if (!hasCalibration) throw new InputError("quantize: smoothQuant needs calibration sequences (calibration: string[])");
    }
    if (scales === "static") {
      if (format !== "q8") throw new InputError("quantize: static activation scales apply to int8 activations (q8)");
      if (!hasCalibration) throw new InputError(`quantize: activationScales "static" needs calibration sequences (calibration: string[]) to measure the scales on`);
      if (this.registry.merged !== null) throw new InputError(`quantize: adapter "${this.registry.merged}" is merged into the weights the scales would be measured on; unmerge() first`);
    } else if (alpha === undefined && opts.calibration !== undefined) {
      throw new InputError(`quantize: calibration sequences are for smoothQuant (per-channel ranges) or activationScales: "static" (per-tensor scales); pass one of them, or no calibration`);
    }
    let { tensors } = await loadCheckpoint(this.origin.src);
    const meta: Record<string, string> = {};
    if (alpha !== undefined) {
      tensors = smoothCheckpoint(tensors, this.config, await this.exclusive(() => calibrate(this.state, this.calibrationBatches(opts.calibration!))), alpha);
      meta[META.smoothQuant] = String(alpha);
    }
    const inputScales = scales === "static" ? await this.staticScales(tensors, opts.calibration!, alpha !== undefined) : undefined;
    const bytes = quantizeCheckpoint(tensors, this.config, format, { metadata: meta, group, inputScales, scaleDtype });
    const files: Record<string, Uint8Array> = { "config.json": this.origin.configBytes, "tokenizer.json": this.origin.tokBytes, "model.safetensors": bytes };
    const how = [format, format === "q4" ? `groups of ${group}` : "", scaleDtype === "f16" ? "f16 scales" : "", alpha !== undefined ? `SmoothQuant α ${alpha}` : "", inputScales ? "static activation scales" : ""];
    const src: ModelSource = { location: `${this.origin.src.location} (${how.filter(Boolean).join(", ")})`, get: async (f) => files[f] ?? null };
    return GermModel.fromPretrained(src, { ...this.opts, dtype: undefined, simulate: undefined, device: this.backend });
  }

  /**
   * Static q8 activation scales of every projection of `tensors`, measured on the f32 model they make: this model, or
   * (`smoothed`) a temporary one of the smoothed weights, so the scales see the inputs the q8 model will get.
   */
  private async staticScales(tensors: TensorMap, calibration: string[], smoothed: boolean): Promise<Map<string, number>> {
    const state = smoothed ? await createModelState(this.state.backend, tensors, this.config, this.origin.file, "f32") : this.state;
    try {
      const ranges = await this.exclusive(() => calibrateRanges(state, this.calibrationBatches(calibration), { heads: true }));
      return activationScales(ranges, projectionWeights(tensors, this.config).keys());
    } finally {
      if (smoothed) disposeWeights(state.weights);
    }
  }

  /**
   * Storage format of the projection weights ("f32" | "f16" | "q8" | "q4").
   * @example
   * (await GermModel.fromPretrained("zhihan1996/DNABERT-2-117M", { dtype: "q8" })).dtype; // "q8"
   */
  get dtype(): string { return this.state.format; }

  /**
   * Write the model as a HuggingFace-style directory (config.json, tokenizer.json, model.safetensors) that
   * fromPretrained reloads as it is: q8/q4 weights stored quantized (I8 / U8 + `<name>_scale`, scheme in
   * __metadata__; docs/quantization.md), so a page or worker downloads ~1/4 (q8) or ~1/7 (q4) of the f32 bytes.
   * Node and Deno only (it writes files). f32/f16 models are written as their checkpoint stores them.
   * @example
   * const q8 = await GermModel.fromPretrained("zhihan1996/DNABERT-2-117M", { dtype: "q8" });
   * await q8.save("./dnabert2-q8"); // later: GermModel.fromPretrained("./dnabert2-q8")
   */
  async save(dir: string): Promise<void> {
    if (this.disposed) throw new InputError("model was disposed");
    if (this.registry.merged !== null) throw new InputError(`save() writes the base model; adapter "${this.registry.merged}" is merged into its weights: unmerge() first`);
    if (!hasFileSystem) throw new InputError("save() writes files: it needs Node or Deno (in a browser, use quantizeCheckpoint from germ-js/ops)");
    const { file } = this.origin;
    const quantized = this.state.format === "q8" || this.state.format === "q4";
    if (!quantized && file !== "model.safetensors" && file !== "pytorch_model.bin") throw new InputError(`save(): ${file} is sharded; only quantized models are re-written`);
    // Only quantizing needs the parsed tensors; otherwise the checkpoint file is copied as it is.
    const weights = quantized && !this.origin.prequantized
      ? quantizeCheckpoint((await loadCheckpoint(this.origin.src)).tensors, this.config, this.state.format)
      : await this.origin.src.get(file);
    if (!weights) throw new FormatError(`${this.origin.src.location}/${file}: vanished while saving`);
    const fs = await nodeFs();
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(`${dir}/config.json`, this.origin.configBytes);
    await fs.writeFile(`${dir}/tokenizer.json`, this.origin.tokBytes);
    await fs.writeFile(`${dir}/${quantized ? "model.safetensors" : file}`, weights);
  }

  /**
   * Name of the backend the model runs on ("reference" | "wasm" | "webgpu").
   * @example
   * model.backend; // "wasm" where there is no hardware GPU adapter
   */
  get backend(): BackendName { return this.state.backend.name; }

  /**
   * What the model really runs on: backend, its build (Wasm variant, WGSL features) and threads, plus the
   * backend's free-form description (GPU adapter, build flavour).
   * @example
   * const model = await GermModel.fromPretrained("zhihan1996/DNABERT-2-117M");
   * console.log(model.info); // { backend: "wasm", build: "relaxed-mt", threads: 2, description: "…" }
   */
  get info(): ModelInfo {
    const { name, caps } = this.state.backend;
    return { backend: name, build: caps.build, threads: caps.threads, description: caps.description };
  }

  /**
   * Load a model from a local directory (Node, Deno), a directory URL, a HuggingFace repo id, or a
   * {@link ModelSource}: config.json, tokenizer.json and model.safetensors or pytorch_model.bin (or their sharded
   * index), as HuggingFace stores them (docs/models-and-formats.md). Hub downloads are cached (env.cacheDir in
   * Node/Deno, the Cache API in browsers). Everything the model will run is checked against the backend before a
   * weight is uploaded.
   * @example
   * const germ = await GermModel.fromPretrained("magicslabnu/GERM", {
   *   attnSoftmax: "softmax1",                        // GERM's config.json does not say which softmax it uses
   *   onProgress: (p) => console.log(p.file, p.loaded, p.total),
   * });
   * const local = await GermModel.fromPretrained("./dnabert2-q8", { device: "wasm", threads: 2 });
   * // Files already in memory (an edge worker, a test): any { location, get(file) } object.
   * const files: Record<string, Uint8Array> = {};    // "config.json", "tokenizer.json", "model.safetensors" → bytes
   * const inMemory = await GermModel.fromPretrained({ location: "memory", get: async (f) => files[f] ?? null });
   */
  static async fromPretrained(dirOrUrl: string | ModelSource, opts: FromPretrainedOptions = {}): Promise<GermModel> {
    // Sizes are checked here, before anything loads: 0 or NaN batch sizes would loop or return nothing.
    for (const [k, min, max] of [["batchSize", 1, 1 << 16], ["maxLength", 2, 1 << 24], ["threads", 1, 64], ["maxBatchTokens", 1, 2 ** 31 - 1]] as const) {
      const v = opts[k];
      if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) throw new InputError(`${k} must be an integer in ${min}…${max}, got ${String(v).slice(0, 40)}`);
    }
    if (opts.dtype !== undefined && !["f32", "f16", "q8", "q4"].includes(opts.dtype)) {
      throw new InputError(`dtype ${JSON.stringify(opts.dtype)} is not supported (expected "f32", "f16", "q8" or "q4")`);
    }
    const src = typeof dirOrUrl === "string" ? await openSource(dirOrUrl, { revision: opts.revision, onProgress: opts.onProgress }) : dirOrUrl;
    const configBytes = await src.get("config.json");
    if (!configBytes) throw new FormatError(`${src.location}: config.json not found`);
    const config = parseConfig(parseJson(configBytes, `${src.location}/config.json`), `${src.location}/config.json`, opts.attnSoftmax);
    if (config.attnSoftmaxSource === "default") {
      warnOnce(`softmax:${src.location}`, `${src.location}: config.json has no "attn_softmax"; using vanilla softmax (DNABERT-2). For GERM checkpoints pass { attnSoftmax: "softmax1" }.`);
    }
    const tokBytes = await src.get("tokenizer.json");
    if (!tokBytes) throw new FormatError(`${src.location}: tokenizer.json not found`);
    const tokenizer = DnaTokenizer.fromJSON(new TextDecoder().decode(tokBytes));
    // A token id past the embedding table would fail deep in gather, or (with a larger table) read the wrong rows.
    if (tokenizer.vocabSize > config.vocabSize) {
      throw new ConfigError(`${src.location}/tokenizer.json has ids up to ${tokenizer.vocabSize - 1} but ${src.location}/config.json's vocab_size is ${config.vocabSize}`);
    }
    const ck = await openCheckpoint(src);
    const { file } = ck;
    let state: ModelState, stored: FormatName | null;
    try {
      ({ state, stored } = await uploadCheckpoint(src, ck, config, opts));
    } finally {
      await ck.close();
    }
    const weights = state.weights;
    const absent = [weights.pooler.ok ? "" : "pooler (classify, pooling 'pooler')", weights.classifier.ok ? "" : "classifier (classify)", weights.mlm.ok ? "" : "MLM head (maskedLM)"].filter(Boolean);
    // A note, not a warning: an embedding model without a classifier is the normal case; the calls that need a head
    // throw MissingTensorError naming the missing tensors.
    if (absent.length) infoOnce(`heads:${src.location}`, `${src.location}: no weights for ${absent.join(", ")}; those calls will throw MissingTensorError.`);
    if (weights.unused.length) warnOnce(`unused:${src.location}`, `${src.location}: ${weights.unused.length} checkpoint tensors are unused (${weights.unused.slice(0, 3).join(", ")}${weights.unused.length > 3 ? ", …" : ""}).`);
    return new GermModel(config, tokenizer, state, opts, { src, file, configBytes, tokBytes, prequantized: stored !== null });
  }

  /**
   * Last hidden state per input, [nTokens × hidden] row-major. Texts are tokenized ([CLS] … [SEP] added);
   * `inputIds` rows are used as given (with their own [CLS]/[SEP]).
   * @example
   * const { lastHiddenState } = await model.forward(["ACGTAGCATCGG", "TTGACA"]);
   * const tokens = lastHiddenState[0].length / model.config.hiddenSize; // rows of the first sequence
   * await model.forward({ inputIds: [[1, 5, 194, 32, 2]] });             // token ids as the tokenizer makes them
   * const mid = await model.forward(["ACGTAGCATCGG"], { layer: 5 });     // layer 5's output (0-based)
   */
  async forward(input: SequenceInput[] | { inputIds: number[][] }, opts: AdapterOption & LayerOption = {}): Promise<{
    /** Per input, in input order: its tokens' final hidden states (layer `layer`'s with that option), [nTokens × hidden] row-major. */
    lastHiddenState: Float32Array[];
  }> {
    const H = this.config.hiddenSize;
    const rows = this.rows(input, opts);
    rows.layers = layersToRun(opts.layer, this.config.numHiddenLayers, "forward");
    const lastHiddenState = await this.mapBatches(rows, async (batch, hidden) => splitRows(await hidden.data(), batch.seqs.lens, H));
    return { lastHiddenState };
  }

  /**
   * One vector per text: "mean" over all tokens incl. [CLS]/[SEP] (DNABERT-2's usual), "cls" = h[CLS],
   * "pooler" = tanh(dense(h[CLS])) (needs pooler weights: MissingTensorError otherwise), "max" = per-dimension max
   * over all tokens. `layer` pools that encoder layer's output instead of the last.
   * @example
   * const [a, b] = await model.embed(["ACGTAGCATCGG", "ACGTAGCATCGA"], { pooling: "mean" });
   * let dot = 0;
   * for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
   * const [early] = await model.embed(["ACGTAGCATCGG"], { pooling: "max", layer: -4 }); // 4th layer from the end
   */
  async embed(texts: SequenceInput[], opts: { pooling?: Pooling } & AdapterOption & LayerOption = {}): Promise<Float32Array[]> {
    const pooling = checkPooling(opts.pooling, "embed");
    const rows = this.rows(texts, opts);
    rows.layers = layersToRun(opts.layer, this.config.numHiddenLayers, "embed");
    return this.pooled(rows, pooling);
  }

  /**
   * Embeds long sequences (chromosomes, genomes) window by window: each record is cut into windows ({@link WindowSpec}:
   * `size`, `stride`, `unit` "tokens" (default, 510 tokens ≈ 2.5–3 kbp with DNABERT-2's BPE) or "bp"), every window
   * runs as its own sequence and is pooled as `embed` pools (`pooling`, `layer`). Cost is then linear in the record's
   * length (attention is quadratic only within a window). Returns every window of every record, in record order and
   * by start: `{ seq, start, end, vector }` with 0-based half-open bp coordinates. A bp window's vector is exactly
   * (bit for bit) `embed` of `text.slice(start, end)`. For one vector per record, pass the result to
   * {@link aggregateWindows}. A record's adapter applies to all its windows; `maxLength` truncates bp windows as it
   * truncates `embed` inputs (use size ≤ maxLength − 2 tokens' worth of bp) and caps token windows.
   * @example
   * import { aggregateWindows } from "germ-js";
   *
   * const chromosome = dna;                                    // a long DNA string
   * const windows = await model.embedWindows([chromosome], { window: { size: 510, stride: 255, unit: "tokens" } });
   * for (const w of windows) console.log(w.seq, w.start, w.end, w.vector.length); // overlapping, bp coordinates
   * const tiles = await model.embedWindows(seqs, { window: { size: 3000, unit: "bp" }, pooling: "max" });
   * const perRecord = aggregateWindows(tiles, { records: seqs.length }); // one vector per sequence
   */
  async embedWindows(texts: SequenceInput[], opts: { window?: WindowSpec; pooling?: Pooling } & AdapterOption & LayerOption = {}): Promise<WindowEmbedding[]> {
    const pooling = checkPooling(opts.pooling, "embedWindows");
    const { texts: seqs, adapters } = this.inputs(texts, opts);
    const w = resolveWindow(opts.window, this.opts.maxLength, "embedWindows");
    const layers = layersToRun(opts.layer, this.config.numHiddenLayers, "embedWindows");
    const spans: Omit<WindowEmbedding, "vector">[] = [];
    const rows: Rows = { ids: [], adapters: [], signal: opts.signal, layers, maxBatchTokens: checkMaxBatchTokens(opts.maxBatchTokens, "embedWindows") };
    const { cls, sep } = this.tokenizer.specialIds;
    seqs.forEach((text, seq) => {
      opts.signal?.throwIfAborted();
      if (w.unit === "bp") {
        for (const [start, end] of windowRanges(text.length, w.size, w.stride)) {
          spans.push({ seq, start, end });
          rows.ids.push(this.tokenizer.encode(text.slice(start, end), { maxLength: this.opts.maxLength }).ids);
          rows.adapters.push(adapters[seq]);
        }
        return;
      }
      const enc = this.tokenizer.encode(text, { offsets: true });
      const content = enc.ids.slice(1, -1), offsets = enc.offsets!.slice(1, -1);
      for (const [i, j] of windowRanges(content.length, w.size, w.stride)) {
        const [start, end] = tokenSpan(offsets, i, j);
        spans.push({ seq, start, end });
        rows.ids.push([cls, ...content.slice(i, j), sep]);
        rows.adapters.push(adapters[seq]);
      }
    });
    warnLong(rows.ids);
    const vectors = await this.pooled(rows, pooling);
    return spans.map((s, i) => ({ ...s, vector: vectors[i] }));
  }

  /**
   * Per-token output: for each text its token ids, token strings, `[start, end)` offsets in the text and the hidden
   * state of every token ([nTokens × hidden] row-major) — of the last layer, or of `layer`.
   * @example
   * const [t] = await model.embedTokens(["ACGTAGCATCGG"], { layer: -1 });
   * const H = model.config.hiddenSize;
   * t.tokens.forEach((tok, i) => console.log(tok, t.offsets[i], t.vectors.subarray(i * H, (i + 1) * H)));
   */
  async embedTokens(texts: SequenceInput[], opts: AdapterOption & LayerOption = {}): Promise<TokenEmbeddings[]> {
    const { texts: seqs, adapters } = this.inputs(texts, opts);
    const layers = layersToRun(opts.layer, this.config.numHiddenLayers, "embedTokens");
    const encs = seqs.map((t) => this.tokenizer.encode(t, { maxLength: this.opts.maxLength, offsets: true }));
    const ids = encs.map((e) => e.ids);
    warnLong(ids);
    const rows: Rows = { ids, adapters, signal: opts.signal, layers, maxBatchTokens: checkMaxBatchTokens(opts.maxBatchTokens, "embedTokens") };
    const H = this.config.hiddenSize;
    const vectors = await this.mapBatches(rows, async (batch, hidden) => splitRows(await hidden.data(), batch.seqs.lens, H));
    return encs.map((e, i) => ({ ids: e.ids, tokens: e.tokens, offsets: e.offsets!, vectors: vectors[i] }));
  }

  /** Pooled vectors of rows (pooling already validated). */
  private pooled(rows: Rows, pooling: Pooling): Promise<Float32Array[]> {
    const H = this.config.hiddenSize;
    return this.mapBatches(rows, async (batch, hidden, groups) => {
      if (pooling === "max") return maxRows(await hidden.data(), batch.seqs.lens, H);
      if (pooling === "pooler") {
        return this.perGroup(batch, groups, (cls, g) => pooler(this.state.weights, hidden, cls, g), (data, g) => splitRows(data, Array(g.seqCount).fill(1), H));
      }
      const pooled = pooling === "mean" ? meanPooled(hidden, batch.seqs) : clsRows(hidden, batch.seqs);
      try { return splitRows(await pooled.data(), batch.seqs.lens.map(() => 1), H); } finally { pooled.dispose(); }
    });
  }

  /**
   * Sequence classification: logits, softmax probabilities and the argmax label name (an adapter's own labels when
   * it brings a classifier). Needs a classifier (BertForSequenceClassification checkpoints, or an adapter with one).
   * @example
   * const [c] = await model.classify(["TATAAAAGGCCGCGCTATAAA"]);
   * console.log(c.label, c.probs);                                    // e.g. "LABEL_1", Float32Array [0.12, 0.88]
   * const mixed = await model.classify([{ text: "ACGT", adapter: "promoter" }, "GGCC"]); // one batched pass
   */
  async classify(texts: SequenceInput[], opts: AdapterOption = {}): Promise<Classification[]> {
    return this.mapBatches(this.rows(texts, opts), async (batch, hidden, groups) => this.perGroup(batch, groups,
      (cls, g) => classifierLogits(this.state.weights, hidden, cls, g),
      (data, g) => splitRows(data, Array(g.seqCount).fill(1), data.length / g.seqCount).map((l) => {
        const probs = softmaxRow(l);
        let best = 0;
        for (let i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
        return { logits: l, probs, label: g.labels[best] };
      })));
  }

  /**
   * MLM logits per text, [nTokens × vocab] row-major (BertForMaskedLM checkpoints such as DNABERT-2-117M).
   * @example
   * const { mask, cls, sep } = model.tokenizer.specialIds;
   * const [logits] = await model.maskedLM({ inputIds: [[cls, 5, mask, 32, sep]] });
   * const V = model.config.vocabSize, row = logits.subarray(2 * V, 3 * V);  // the [MASK] position
   * const best = row.indexOf(Math.max(...row));
   * model.tokenizer.idToToken(best);                                    // the most likely token there
   */
  async maskedLM(texts: SequenceInput[] | { inputIds: number[][] }, opts: AdapterOption = {}): Promise<Float32Array[]> {
    if (this.config.hiddenAct !== "gelu") throw new ConfigError(`maskedLM: hidden_act "${this.config.hiddenAct}" is not supported (only "gelu")`);
    const V = this.config.vocabSize;
    return this.mapBatches(this.rows(texts, opts), async (batch, hidden, groups) => {
      const { offsets, lens } = batch.seqs;
      const out: Float32Array[] = [];
      for (const g of groups) {
        // One group covering the batch reads the hidden state as it is; otherwise the group's token rows.
        const whole = groups.length === 1;
        const rows = whole ? hidden : gather(hidden, Int32Array.from({ length: offsets[g.seqStart + g.seqCount] - offsets[g.seqStart] }, (_, i) => offsets[g.seqStart] + i));
        try {
          const logits = mlmLogits(this.state.weights, rows, g);
          try { out.push(...splitRows(await logits.data(), lens.slice(g.seqStart, g.seqStart + g.seqCount), V)); } finally { logits.dispose(); }
        } finally { if (!whole) rows.dispose(); }
      }
      return out;
    });
  }

  /**
   * The GERM paper's outlier statistics: per-token ∞-norm and kurtosis at every layer's `mlp.wo` and
   * `mlp.layernorm` output, and validate_sc.py's summary over all tokens of `texts`. The per-row moments are
   * computed on the device (rowStats) and read once per batch, after its forward.
   * `activations: true` also returns the raw per-layer activations ([nTokens × hidden] each), read as they pass.
   * @example
   * const { summary, sequences } = await model.outliers(seqs);
   * console.log(summary.maxFfnOutInfNorm, summary.avgKurtosis);   // validate_sc.py's numbers
   * sequences[0].layers[11].wo.kurtosis;                            // per token of the first sequence, last layer
   */
  async outliers(texts: SequenceInput[] | { inputIds: number[][] }, opts: { activations?: boolean } & AdapterOption = {}): Promise<OutlierReport> {
    const H = this.config.hiddenSize, L = this.config.numHiddenLayers;
    // Per batch: one [2·L·nnz, 4] moments tensor (layer j's wo rows at 2j·nnz, its layernorm rows at (2j+1)·nnz).
    let moments: Tensor | null = null;
    let raw: { wo: Float32Array[]; layernorm: Float32Array[] }[] = [];
    const sequences = await this.mapBatches(this.rows(texts, opts), async (batch) => {
      const { lens, total } = batch.seqs;
      const all = await moments!.data();
      moments!.dispose();
      const rowsOf = (block: number, i: number) => all.subarray(4 * (block * total + batch.seqs.offsets[i]), 4 * (block * total + batch.seqs.offsets[i] + lens[i]));
      return lens.map((_, i) => ({
        layers: Array.from({ length: L }, (_, j): LayerStats => ({
          wo: statsFromMoments(rowsOf(2 * j, i), H), layernorm: statsFromMoments(rowsOf(2 * j + 1, i), H),
          ...(opts.activations ? { woActivations: raw[j].wo[i], layernormActivations: raw[j].layernorm[i] } : {}),
        })),
      }));
    }, (batch) => {
      const out = Tensor.empty(this.state.backend, [2 * L * batch.seqs.total, 4]);
      moments = out;
      raw = [];
      return {
        onLayer: async (tap) => {
          rowStats(tap.wo, { out, row: 2 * tap.layer * batch.seqs.total });
          rowStats(tap.layernorm, { out, row: (2 * tap.layer + 1) * batch.seqs.total });
          if (opts.activations) {
            raw.push({ wo: splitRows(await tap.wo.data(), batch.seqs.lens, H), layernorm: splitRows(await tap.layernorm.data(), batch.seqs.lens, H) });
          }
        },
      };
    });
    return { sequences, summary: summarize(sequences, this.config.numHiddenLayers) };
  }

  /**
   * Free every backend buffer (and adapters). The model is unusable afterwards; a second call does nothing.
   * @example
   * const model = await GermModel.fromPretrained("zhihan1996/DNABERT-2-117M");
   * try { await model.embed(seqs); } finally { model.dispose(); }
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.registry.dispose();
    disposeModelState(this.state);
  }

  private alive(): void { if (this.disposed) throw new InputError("model was disposed"); }

  /** An adapter option (`where` names it in errors): null for the base model, else the name of a loaded adapter. */
  private adapterOf(a: unknown, where: string): string | null {
    if (a === undefined || a === null) return null;
    if (typeof a !== "string") throw new InputError(`${where}: adapter must be a loaded adapter's name, got ${typeof a}`);
    this.registry.get(a);
    return a;
  }

  /** Validate input and turn it into token id rows, each with its adapter name (checked to be loaded). */
  private rows(input: SequenceInput[] | { inputIds: number[][] }, opts: AdapterOption): Rows {
    this.alive();
    const maxBatchTokens = checkMaxBatchTokens(opts.maxBatchTokens, "options");
    if (Array.isArray(input)) {
      const { texts, adapters } = this.inputs(input, opts);
      const ids = texts.map((t) => this.tokenizer.encode(t, { maxLength: this.opts.maxLength }).ids);
      warnLong(ids);
      return { ids, adapters, signal: opts.signal, maxBatchTokens };
    }
    if (!input || !Array.isArray(input.inputIds)) throw new InputError("expected string[] or { inputIds: number[][] }");
    if (input.inputIds.length === 0) throw new InputError("inputIds: expected at least one row, got none");
    const V = this.config.vocabSize;
    input.inputIds.forEach((row, i) => {
      if (!Array.isArray(row) || row.length === 0) throw new InputError(`inputIds[${i}]: expected a non-empty array of token ids`);
      row.forEach((id, p) => { if (!Number.isInteger(id) || id < 0 || id >= V) throw new InputError(`inputIds[${i}][${p}] = ${id} is not a token id in [0, ${V})`); });
    });
    warnLong(input.inputIds);
    const dflt = this.adapterOf(opts.adapter, "options");
    return { ids: input.inputIds, adapters: input.inputIds.map(() => dflt), signal: opts.signal, maxBatchTokens };
  }

  /** Validate a SequenceInput list: its texts and, per text, its adapter name (checked to be loaded). */
  private inputs(input: SequenceInput[], opts: AdapterOption): { texts: string[]; adapters: (string | null)[] } {
    this.alive();
    const dflt = this.adapterOf(opts.adapter, "options");
    if (!Array.isArray(input)) throw new InputError("expected an array of sequences (strings or { text, adapter })");
    if (input.length === 0) throw new InputError("expected at least one sequence, got an empty list");
    const adapters = input.map((t, i) => {
      if (typeof t === "string") return dflt;
      if (t && typeof t === "object" && typeof (t as { text?: unknown }).text === "string") {
        return "adapter" in t && t.adapter !== undefined ? this.adapterOf(t.adapter, `input ${i}`) : dflt;
      }
      throw new InputError(`input ${i} is ${t === null ? "null" : typeof t}, expected a string or { text, adapter }`);
    });
    return { texts: input.map((t) => (typeof t === "string" ? t : t.text)), adapters };
  }

  /**
   * Encode rows in batches of `batchSize` sequences and collect per-sequence results in input order. Rows are
   * sorted by adapter first (stable), so each batch holds contiguous runs of one adapter: the encoder runs the
   * batch once, each run's LoRA on its own rows; heads run per run (perGroup).
   */
  private mapBatches<T>(
    rows: Rows, fn: (batch: PackedBatch, hidden: Tensor, groups: Group[]) => Promise<T[]>, hooks?: (batch: PackedBatch) => EncodeOptions,
  ): Promise<T[]> {
    return this.exclusive(() => this.runBatches(rows, fn, hooks));
  }

  /**
   * Calls on one model run one at a time, in call order: two overlapping embed() promises give what two sequential
   * calls give, and merge()/unmerge()/fineTune() never swap weights under a running forward.
   */
  /** Calibration sequences (SmoothQuant, simulate's static ranges) tokenized and packed `batchSize` (16) at a time. */
  private calibrationBatches(texts: string[]): PackedBatch[] {
    const rows = this.rows(texts, {}).ids, size = this.opts.batchSize ?? 16;
    return Array.from({ length: Math.ceil(rows.length / size) }, (_, i) => packBatch(rows.slice(i * size, (i + 1) * size)));
  }

  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.busy.then(f, f);
    this.busy = run.then(() => undefined, () => undefined);
    return run;
  }
  private busy: Promise<void> = Promise.resolve();

  private async runBatches<T>(
    rows: Rows, fn: (batch: PackedBatch, hidden: Tensor, groups: Group[]) => Promise<T[]>, hooks?: (batch: PackedBatch) => EncodeOptions,
  ): Promise<T[]> {
    const given = rows.maxBatchTokens ?? this.opts.maxBatchTokens;
    const size = this.opts.batchSize ?? (given !== undefined ? Infinity : 16);
    const maxTokens = given ?? DEFAULT_BATCH_TOKENS;
    const key = (i: number) => rows.adapters[i] ?? "";
    const order = rows.ids.map((_, i) => i).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a - b));
    // Resolve once up front: a merged adapter makes every other name (and the base) fail before any work.
    const resolved = new Map([...new Set(rows.adapters)].map((n) => [n, this.registry.resolve(n)]));
    const out: T[] = new Array(rows.ids.length);
    for (const idx of planBatches(order, rows.ids.map((r) => r.length), size, maxTokens)) {
      const batch = packBatch(idx.map((i) => rows.ids[i]));
      const groups: Group[] = [];
      idx.forEach((i, j) => {
        const last = groups[groups.length - 1];
        if (last && rows.adapters[idx[last.seqStart]] === rows.adapters[i]) { last.seqCount++; return; }
        const r = resolved.get(rows.adapters[i])!;
        groups.push({ deltas: r.deltas, heads: r.heads, seqStart: j, seqCount: 1, labels: r.adapter?.labels ?? this.config.labels });
      });
      const { offsets } = batch.seqs;
      const lora: LoraSpan[] = groups.map((g) => ({ deltas: g.deltas, start: offsets[g.seqStart], count: offsets[g.seqStart + g.seqCount] - offsets[g.seqStart] }));
      rows.signal?.throwIfAborted();
      const hidden = await encode(this.state, batch, { ...hooks?.(batch), lora, signal: rows.signal, layers: rows.layers });
      try {
        const res = await fn(batch, hidden, groups);
        idx.forEach((i, j) => { out[i] = res[j]; });
      } finally { hidden.dispose(); }
    }
    return out;
  }

  /** A head per adapter run of the batch: `head` on the run's [CLS] rows, `read` splits its output per sequence. */
  private async perGroup<T>(batch: PackedBatch, groups: Group[], head: (cls: Int32Array, g: Group) => Tensor,
    read: (data: Float32Array, g: Group) => T[]): Promise<T[]> {
    const out: T[] = [];
    for (const g of groups) {
      const t = head(batch.seqs.offsets.subarray(g.seqStart, g.seqStart + g.seqCount), g);
      try { out.push(...read(await t.data(), g)); } finally { t.dispose(); }
    }
    return out;
  }
}

function checkPooling(p: unknown, op: string): Pooling {
  const pooling = p ?? "mean";
  if (!["mean", "cls", "pooler", "max"].includes(pooling as string)) throw new InputError(`${op}: pooling must be "mean", "cls", "pooler" or "max", got ${JSON.stringify(pooling)}`);
  return pooling as Pooling;
}

function parseJson(bytes: Uint8Array, file: string): unknown {
  try { return JSON.parse(new TextDecoder().decode(bytes)); } catch (e) {
    throw new FormatError(`${file}: invalid JSON (${(e as Error).message})`);
  }
}

/**
 * The weights of an opened checkpoint on the backend the model needs: the stored format checked against `opts.dtype`,
 * the backend chosen (every op and format checked before a weight is uploaded), then the tensors uploaded one by one.
 */
async function uploadCheckpoint(src: ModelSource, ck: OpenedCheckpoint, config: GermConfig, opts: FromPretrainedOptions): Promise<{ state: ModelState; stored: FormatName | null }> {
  const { tensors, file, metadata } = ck;
  // A quantized checkpoint (model.save / germ quantize) is read as stored, never re-quantized.
  const stored = checkpointFormat(metadata, `${src.location}/${file}`);
  if (stored && opts.dtype !== undefined && opts.dtype !== stored) {
    throw new InputError(`${src.location}/${file} holds ${stored} weights; load it with dtype "${stored}" (or without dtype)`);
  }
  const dtype = stored ?? opts.dtype ?? "f32";
  const sim = opts.simulate;
  if (sim) {
    const ok = (b: unknown) => Number.isInteger(b) && (b as number) >= 2 && (b as number) <= 8;
    if (!ok(sim.wBits) || !ok(sim.aBits)) throw new InputError(`simulate: wBits ${sim.wBits} and aBits ${sim.aBits} must be integers in 2…8`);
    if (dtype !== "f32") throw new InputError(`simulate: fake quantization starts from f32 weights; ${stored ? `${file} is stored as ${dtype}` : `dtype is ${dtype}`}`);
  }
  // Every op and weight format the model will run is checked now, before a weight is uploaded: a named device
  // that lacks one fails here with the whole list; "auto" takes the first backend that has them all.
  const { backend, skipped } = await selectBackend(opts.device ?? "auto", modelRequirements(config, dtype, sim !== undefined), { threads: opts.threads });
  const passed = skipped.filter((s) => s.unsupported);
  if (passed.length) warnOnce(`auto:${src.location}:${dtype}`, `device "auto" chose ${backend.name}: ${passed.map((s) => `${s.name} cannot run this model (${s.reason})`).join("; ")}`);
  try {
    const staticScales = checkpointStaticScales(metadata, `${src.location}/${file}`);
    const prequantized = stored === null ? false : { group: stored === "q4" ? checkpointQ4Group(metadata, `${src.location}/${file}`) : Q4_GROUP, staticScales };
    return { state: await createModelState(backend, tensors, config, `${src.location}/${file}`, dtype, prequantized, sim, opts.allowNonFinite), stored };
  } catch (e) {
    backend.dispose();
    throw e;
  }
}
