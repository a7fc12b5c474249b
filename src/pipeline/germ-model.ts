// GermModel: the public, isomorphic API — load a HuggingFace DNABERT-2/GERM checkpoint, then
// forward / embed / classify / maskedLM on DNA strings. Everything below it is reached through here.
import { createBackend, type Backend, type BackendName } from "../backend/backend.js";
import { BackendError, InputError, ConfigError, FormatError } from "../errors.js";
import { parseConfig, type GermConfig } from "../model/config.js";
import { loadWeights, disposeWeights, type ModelWeights } from "../model/weights.js";
import { encode, packBatch, type EncodeOptions, type PackedBatch } from "../model/encoder.js";
import { classifierLogits, clsRows, meanPooled, mlmLogits, pooler } from "../model/heads.js";
import { loadCheckpoint, type ModelSource } from "../io/checkpoint.js";
import { openSource } from "../io/source.js";
import { DnaTokenizer } from "../tokenizer/tokenizer.js";
import { warnOnce } from "../log.js";
import type { SoftmaxKind } from "../ops/spec.js";
import { Tensor, type DType } from "../tensor/tensor.js";
import { supportsF16Weights } from "../ops/ops.js";
import { splitRows, softmaxRow } from "./outputs.js";
import { summarize, tokenStats, type LayerStats, type OutlierReport } from "./outliers.js";

export interface FromPretrainedOptions {
  /** "auto" picks WebGPU on a hardware adapter, else Wasm, else (warning once) the reference backend. */
  device?: BackendName | "auto";
  /**
   * Storage of the GEMM weights: "f32" (default), or "f16" (IEEE half weights, f32 activations and accumulation;
   * half the weight memory). f16 needs the WebGPU backend on an adapter with `shader-f16` (or "reference", which
   * computes with the same rounded weights); other backends throw BackendError. Outputs move by ~1e-3 vs f32.
   */
  dtype?: DType;
  threads?: number;
  /** Overrides config.json's attn_softmax. Use "softmax1" for magicslabnu/GERM (its config does not say). */
  attnSoftmax?: SoftmaxKind;
  /** Tokenizer truncation (HF-Python rule: [CLS] + first L−2 tokens + [SEP]); default: none. */
  maxLength?: number;
  /** Sequences per forward pass (memory bound); results do not depend on it. Default 16. */
  batchSize?: number;
  revision?: string;
  onProgress?: (p: { file: string; loaded: number; total?: number; status: string }) => void;
}

export type Pooling = "mean" | "cls" | "pooler";
export interface Classification { logits: Float32Array; probs: Float32Array; label: string }

/**
 * A loaded DNABERT-2 or GERM model.
 * @example
 * const model = await GermModel.fromPretrained("zhihan1996/DNABERT-2-117M", { device: "auto" });
 * const [emb] = await model.embed(["ACGTAGCATCGGATCTATCTATCGACAC"], { pooling: "mean" });
 * model.dispose();
 */
export class GermModel {
  private disposed = false;
  private constructor(
    readonly config: GermConfig,
    readonly tokenizer: DnaTokenizer,
    private readonly engine: Backend,
    private readonly weights: ModelWeights,
    private readonly opts: FromPretrainedOptions,
  ) {}

  /** Name of the backend the model runs on ("reference" | "wasm" | "webgpu"). */
  get backend(): BackendName { return this.engine.name; }

  /** Load from a local directory, a directory URL, a HuggingFace repo id, or a ModelSource. */
  static async fromPretrained(dirOrUrl: string | ModelSource, opts: FromPretrainedOptions = {}): Promise<GermModel> {
    const dtype = opts.dtype ?? "f32";
    if (dtype !== "f32" && dtype !== "f16") throw new InputError(`dtype ${JSON.stringify(dtype)} is not supported (expected "f32" or "f16")`);
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
    const { tensors, file } = await loadCheckpoint(src);
    const engine = await createBackend(opts.device ?? "auto", { threads: opts.threads });
    let weights: ModelWeights;
    try {
      const f16 = dtype === "f16" ? supportsF16Weights(engine) : true;
      if (f16 !== true) {
        throw new BackendError(`dtype "f16" needs the WebGPU backend on an adapter with shader-f16; backend ${engine.name} cannot run f16 weights: ${f16.reason}`);
      }
      weights = loadWeights(engine, tensors, config, `${src.location}/${file}`, dtype);
    } catch (e) {
      engine.dispose();
      throw e;
    }
    const absent = [weights.pooler.ok ? "" : "pooler (classify, pooling 'pooler')", weights.classifier.ok ? "" : "classifier (classify)", weights.mlm.ok ? "" : "MLM head (maskedLM)"].filter(Boolean);
    if (absent.length) warnOnce(`heads:${src.location}`, `${src.location}: no weights for ${absent.join(", ")}; those calls will throw MissingTensorError.`);
    if (weights.unused.length) warnOnce(`unused:${src.location}`, `${src.location}: ${weights.unused.length} checkpoint tensors are unused (${weights.unused.slice(0, 3).join(", ")}${weights.unused.length > 3 ? ", …" : ""}).`);
    return new GermModel(config, tokenizer, engine, weights, opts);
  }

  /** Last hidden state per input, [nTokens × hidden] row-major. Texts are tokenized; `inputIds` rows are used as given. */
  async forward(input: string[] | { inputIds: number[][] }): Promise<{ lastHiddenState: Float32Array[] }> {
    const rows = this.rows(input);
    const H = this.config.hiddenSize;
    const lastHiddenState = await this.mapBatches(rows, async (batch, hidden) => splitRows(await hidden.data(), batch.seqLens, H));
    return { lastHiddenState };
  }

  /** One vector per text: "mean" over all tokens incl. [CLS]/[SEP] (DNABERT-2's usual), "cls" = h[CLS], "pooler" = tanh(dense(h[CLS])). */
  async embed(texts: string[], opts: { pooling?: Pooling } = {}): Promise<Float32Array[]> {
    const pooling = opts.pooling ?? "mean";
    if (!["mean", "cls", "pooler"].includes(pooling)) throw new InputError(`embed: pooling must be "mean", "cls" or "pooler", got ${JSON.stringify(pooling)}`);
    const H = this.config.hiddenSize;
    return this.mapBatches(this.rows(texts), async (batch, hidden) => {
      const pooled = pooling === "mean" ? meanPooled(hidden, batch.seqLens)
        : pooling === "cls" ? clsRows(hidden, batch.seqLens) : pooler(this.weights, hidden, batch.seqLens);
      try { return splitRows(await pooled.data(), batch.seqLens.map(() => 1), H); } finally { pooled.dispose(); }
    });
  }

  /** Sequence classification: logits, softmax probabilities and the argmax label name. */
  async classify(texts: string[]): Promise<Classification[]> {
    const labels = this.config.labels;
    return this.mapBatches(this.rows(texts), async (batch, hidden) => {
      const logits = classifierLogits(this.weights, hidden, batch.seqLens);
      try {
        return splitRows(await logits.data(), batch.seqLens.map(() => 1), labels.length).map((l) => {
          const probs = softmaxRow(l);
          let best = 0;
          for (let i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
          return { logits: l, probs, label: labels[best] };
        });
      } finally { logits.dispose(); }
    });
  }

  /** MLM logits per text, [nTokens × vocab]. */
  async maskedLM(texts: string[] | { inputIds: number[][] }): Promise<Float32Array[]> {
    if (this.config.hiddenAct !== "gelu") throw new ConfigError(`maskedLM: hidden_act "${this.config.hiddenAct}" is not supported (only "gelu")`);
    const V = this.config.vocabSize;
    return this.mapBatches(this.rows(texts), async (batch, hidden) => {
      const logits = mlmLogits(this.weights, hidden);
      try { return splitRows(await logits.data(), batch.seqLens, V); } finally { logits.dispose(); }
    });
  }

  /**
   * The GERM paper's outlier statistics: per-token ∞-norm and kurtosis at every layer's `mlp.wo` and
   * `mlp.layernorm` output, and validate_sc.py's summary over all tokens of `texts`.
   * `activations: true` also returns the raw per-layer activations ([nTokens × hidden] each).
   */
  async outliers(texts: string[] | { inputIds: number[][] }, opts: { activations?: boolean } = {}): Promise<OutlierReport> {
    const H = this.config.hiddenSize;
    let perSeq: LayerStats[][] = [];
    const sequences = await this.mapBatches(this.rows(texts), async () => perSeq.map((layers) => ({ layers })), (batch) => {
      perSeq = batch.seqLens.map(() => []);
      return {
        onLayer: async (tap) => {
          const wo = splitRows(await tap.wo.data(), batch.seqLens, H);
          const ln = splitRows(await tap.layernorm.data(), batch.seqLens, H);
          batch.seqLens.forEach((n, i) => perSeq[i].push({
            wo: tokenStats(wo[i], n, H), layernorm: tokenStats(ln[i], n, H),
            ...(opts.activations ? { woActivations: wo[i], layernormActivations: ln[i] } : {}),
          }));
        },
      };
    });
    return { sequences, summary: summarize(sequences, this.config.numHiddenLayers) };
  }

  /** Free every backend buffer. The model is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeWeights(this.weights);
    this.engine.dispose();
  }

  /** Validate input and turn it into token id rows. */
  private rows(input: string[] | { inputIds: number[][] }): number[][] {
    if (this.disposed) throw new InputError("model was disposed");
    if (Array.isArray(input)) {
      if (input.length === 0) throw new InputError("expected at least one sequence, got an empty list");
      input.forEach((t, i) => { if (typeof t !== "string") throw new InputError(`input ${i} is ${t === null ? "null" : typeof t}, expected a string`); });
      return input.map((t) => this.tokenizer.encode(t, { maxLength: this.opts.maxLength }).ids);
    }
    if (!input || !Array.isArray(input.inputIds)) throw new InputError("expected string[] or { inputIds: number[][] }");
    if (input.inputIds.length === 0) throw new InputError("inputIds: expected at least one row, got none");
    const V = this.config.vocabSize;
    input.inputIds.forEach((row, i) => {
      if (!Array.isArray(row) || row.length === 0) throw new InputError(`inputIds[${i}]: expected a non-empty array of token ids`);
      row.forEach((id, p) => { if (!Number.isInteger(id) || id < 0 || id >= V) throw new InputError(`inputIds[${i}][${p}] = ${id} is not a token id in [0, ${V})`); });
    });
    return input.inputIds;
  }

  /** Encode rows in batches of `batchSize` sequences and collect per-sequence results in input order. */
  private async mapBatches<T>(
    rows: number[][], fn: (batch: PackedBatch, hidden: Tensor) => Promise<T[]>, hooks?: (batch: PackedBatch) => EncodeOptions,
  ): Promise<T[]> {
    const size = this.opts.batchSize ?? 16;
    const out: T[] = [];
    for (let s = 0; s < rows.length; s += size) {
      const batch = packBatch(rows.slice(s, s + size));
      const hidden = await encode(this.weights, this.config, batch, hooks?.(batch));
      try { out.push(...(await fn(batch, hidden))); } finally { hidden.dispose(); }
    }
    return out;
  }
}

function parseJson(bytes: Uint8Array, file: string): unknown {
  try { return JSON.parse(new TextDecoder().decode(bytes)); } catch (e) {
    throw new FormatError(`${file}: invalid JSON (${(e as Error).message})`);
  }
}
