// What the `germ` command logic is given: the model (or a fake with this shape), its loader, and the process.
// Declared apart from commands.ts so the input, output and runner files can share them without an import cycle.
import type { Writable } from "node:stream";
import type { OutlierReport } from "../pipeline/outliers.js";
import type { FineTuneOptions, FineTuneRun } from "../pipeline/fine-tune.js";
import type { CliOptions } from "./args.js";
import type { ProgressSink } from "./progress.js";

/** The part of DnaTokenizer the CLI uses. */
export interface CliTokenizer { encode(text: string, opts?: { maxLength?: number }): { ids: number[]; tokens: string[] } }

/** The part of GermModel the CLI uses; a fake with this shape is enough for tests. */
export interface CliModel {
  tokenizer: CliTokenizer;
  embed(texts: string[], opts: { pooling: "mean" | "cls" | "pooler" | "max"; adapter?: string; layer?: number }): Promise<Float32Array[]>;
  /** embed --window (GermModel.embedWindows): every window of every text, in text order and by start. */
  embedWindows?(texts: string[], opts: { window: { size: number; stride?: number; unit: "bp" | "tokens" }; pooling: "mean" | "cls" | "pooler" | "max"; adapter?: string; layer?: number }):
    Promise<{ seq: number; start: number; end: number; vector: Float32Array }[]>;
  /** embed --per-token (GermModel.embedTokens). */
  embedTokens?(texts: string[], opts: { adapter?: string; layer?: number }): Promise<{ tokens: string[]; offsets: [number, number][]; vectors: Float32Array }[]>;
  classify(texts: string[], opts?: { adapter?: string }): Promise<{ logits: Float32Array; probs: Float32Array; label: string }[]>;
  outliers(texts: string[], opts?: { adapter?: string }): Promise<OutlierReport>;
  fineTune(data: { texts: string[]; labels: number[] }, opts: FineTuneOptions): Promise<FineTuneRun>;
  saveAdapter(name: string, dir: string): Promise<void>;
  /** Write the model as a directory (quantize). */
  save(dir: string): Promise<void>;
  /** quantize: a q8 copy (SmoothQuant-calibrated on the given sequences) or a q4 copy with other group sizes. */
  quantize(opts: {
    weights: "int8" | "int4"; activations: "int8" | "f32"; calibration?: string[]; smoothQuant?: number; groupSize?: number;
    activationScales?: "dynamic" | "static"; scales?: "f32" | "f16";
  }): Promise<CliModel>;
  readonly config: { numHiddenLayers: number; hiddenSize?: number };
  dispose(): void;
}

export interface LoadOptions {
  device: CliOptions["device"];
  threads?: number;
  attnSoftmax?: "vanilla" | "softmax1";
  dtype?: "f32" | "f16" | "q8" | "q4";
  maxLength?: number;
  batchSize?: number;
  /** Token budget per forward pass (FromPretrainedOptions.maxBatchTokens). */
  maxBatchTokens?: number;
  revision?: string;
  onProgress?: (p: { file: string; loaded: number; total?: number; status: string }) => void;
  /** Load this adapter as CLI_ADAPTER (and merge it when `merge`). */
  adapter?: string;
  merge?: boolean;
  /** --quiet: the loader prints nothing (main.ts's "what really runs" line); --verbose: it prints it to a pipe too. */
  quiet?: boolean;
  verbose?: boolean;
}

export type ModelLoader = (dirOrUrl: string, opts: LoadOptions) => Promise<CliModel>;

/** `germ tokenize` reads tokenizer.json only: no weights, no backend. */
export type TokenizerLoader = (dirOrUrl: string, opts: Pick<LoadOptions, "revision" | "onProgress">) => Promise<CliTokenizer>;

export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: ProgressSink;
  /** The bytes of stdin, for the input '-' (called at most once). */
  stdin(): AsyncIterable<Uint8Array | string>;
  version: string;
  /** Force the progress display on or off (default: when stderr is a TTY). */
  progress?: boolean;
  /**
   * Aborted on Ctrl-C (main.ts wires SIGINT): finetune saves the adapter trained so far; the other commands stop
   * after the current batch, close their output (an NPY file with a header for the rows written) and exit 130.
   */
  interrupt?: AbortSignal;
}
