// The `germ` command logic, independent of the real process: argv, streams and the model loader are injected,
// so tests drive it with a fake model and main.ts wires it to process + GermModel.fromPretrained.
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { FormatError, GermError, InputError } from "../errors.js";
import { parseSequences, type SequenceRecord } from "../io/fasta.js";
import { HELP, UsageError, parseCliArgs, type CliOptions } from "./args.js";
import * as fmt from "./output.js";
import { summarize, type LayerStats, type OutlierReport } from "../pipeline/outliers.js";
import { createProgress, type Progress, type ProgressSink } from "./progress.js";
import type { FineTuneOptions, FineTuneRun } from "../pipeline/fine-tune.js";
import { runFineTune } from "./finetune.js";

/** The name the loader gives the --adapter adapter (the model's only one). */
export const CLI_ADAPTER = "cli";

/** The part of GermModel the CLI uses; a fake with this shape is enough for tests. */
export interface CliModel {
  tokenizer: { encode(text: string, opts?: { maxLength?: number }): { ids: number[]; tokens: string[] } };
  embed(texts: string[], opts: { pooling: "mean" | "cls" | "pooler"; adapter?: string }): Promise<Float32Array[]>;
  classify(texts: string[], opts?: { adapter?: string }): Promise<{ logits: Float32Array; probs: Float32Array; label: string }[]>;
  outliers(texts: string[], opts?: { adapter?: string }): Promise<OutlierReport>;
  fineTune(data: { texts: string[]; labels: number[] }, opts: FineTuneOptions): Promise<FineTuneRun>;
  saveAdapter(name: string, dir: string): Promise<void>;
  /** Write the model as a directory (quantize). */
  save(dir: string): Promise<void>;
  readonly config: { numHiddenLayers: number };
  dispose(): void;
}

export interface LoadOptions {
  device: CliOptions["device"];
  threads?: number;
  attnSoftmax?: "vanilla" | "softmax1";
  dtype?: "f32" | "f16" | "q8" | "q4";
  maxLength?: number;
  batchSize?: number;
  revision?: string;
  onProgress?: (p: { file: string; loaded: number; total?: number; status: string }) => void;
  /** Load this adapter as CLI_ADAPTER (and merge it when `merge`). */
  adapter?: string;
  merge?: boolean;
}

export type ModelLoader = (dirOrUrl: string, opts: LoadOptions) => Promise<CliModel>;

export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: ProgressSink;
  readStdin(): Promise<string>;
  version: string;
  /** Force the progress display on or off (default: when stderr is a TTY). */
  progress?: boolean;
  /** finetune: aborted on Ctrl-C (main.ts wires SIGINT); the adapter trained so far is saved. */
  interrupt?: AbortSignal;
}

/** Run `germ <argv>`; resolves to the exit code (0 ok, 1 runtime error, 2 usage error). Never throws. */
export async function runCli(argv: string[], io: CliIo, loadModel: ModelLoader): Promise<number> {
  const progress = createProgress(io.stderr, io.progress ?? io.stderr.isTTY === true);
  let model: CliModel | undefined;
  let out: Output | undefined;
  try {
    const parsed = parseCliArgs(argv);
    if (parsed.kind === "help") { await write(io.stdout, HELP); return 0; }
    if (parsed.kind === "version") { await write(io.stdout, `germ-js ${io.version}\n`); return 0; }
    const opts = parsed.options;
    if (opts.format === "npy" && !opts.out && io.stdout.isTTY) {
      throw new UsageError("refusing to write binary NPY to a terminal; use --out FILE or a pipe");
    }
    if (opts.command === "quantize") {
      model = await loadModel(opts.model, { device: "reference", dtype: opts.dtype, revision: opts.revision, onProgress: (p) => progress.download(p) });
      await model.save(opts.out!);
      progress.clear();
      io.stderr.write(`germ: wrote ${opts.dtype} model to ${opts.out}\n`);
      return 0;
    }
    if (opts.command === "finetune") {
      model = await loadModel(opts.model, {
        device: opts.device, threads: opts.threads, attnSoftmax: opts.attnSoftmax, dtype: opts.dtype, maxLength: opts.maxLength,
        revision: opts.revision, onProgress: (p) => progress.download(p),
      });
      await runFineTune(model, opts, io, progress, (f) => readRecords({ ...opts, input: f, inputFormat: "csv" }, io));
      progress.clear();
      return 0;
    }
    const records = await readRecords(opts, io);
    out = await Output.open(opts.out, io.stdout);
    model = await loadModel(opts.model, {
      device: opts.device, threads: opts.threads, attnSoftmax: opts.attnSoftmax, dtype: opts.dtype, maxLength: opts.maxLength,
      batchSize: opts.batchSize, revision: opts.revision, onProgress: (p) => progress.download(p), adapter: opts.adapter, merge: opts.merge,
    });
    await COMMAND_RUNNERS[opts.command as keyof typeof COMMAND_RUNNERS](model, records, opts, out, progress);
    progress.clear();
    await out.close();
    return 0;
  } catch (e) {
    progress.clear();
    await out?.close().catch(() => {});
    return report(e, io.stderr);
  } finally {
    model?.dispose();
  }
}

function report(e: unknown, stderr: ProgressSink): number {
  if ((e as { code?: string }).code === "EPIPE") return 0; // reader went away (`| head`): not an error
  if (e instanceof UsageError) {
    stderr.write(`germ: ${e.message}\nRun 'germ --help' for usage.\n`);
    return 2;
  }
  if (e instanceof GermError) {
    stderr.write(`germ: ${e.message}\n`);
    return 1;
  }
  // Anything else is a bug in germ-js: keep the stack so it can be reported.
  stderr.write(`germ: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}

export async function readRecords(opts: CliOptions, io: CliIo): Promise<SequenceRecord[]> {
  const name = opts.input === "-" ? "<stdin>" : opts.input;
  let text: string;
  try {
    text = opts.input === "-" ? await io.readStdin() : await readFile(opts.input, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code ?? (e as Error).message;
    throw new InputError(`cannot read input '${name}': ${why}`);
  }
  let records: SequenceRecord[];
  try {
    records = parseSequences(text, { format: opts.inputFormat });
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(`${name}: ${e.message}`);
    throw e;
  }
  // Soft-masked (lower-case) bases are not in the vocabulary; upper-case unless asked not to.
  return opts.keepCase ? records : records.map((r) => ({ ...r, sequence: r.sequence.toUpperCase() }));
}

const adapterOf = (opts: CliOptions) => (opts.adapter !== undefined ? CLI_ADAPTER : undefined);

type Runner = (model: CliModel, records: SequenceRecord[], opts: CliOptions, out: Output, progress: Progress) => Promise<void>;

/** Call `fn` per batch of records, reporting progress; results must come back one per record. */
async function eachBatch<T>(
  records: SequenceRecord[], size: number, progress: Progress, what: string,
  fn: (batch: SequenceRecord[]) => Promise<T[]>, sink: (batch: SequenceRecord[], results: T[], first: boolean) => Promise<void>,
): Promise<void> {
  progress.batch(0, records.length, "sequences");
  for (let s = 0; s < records.length; s += size) {
    const batch = records.slice(s, s + size);
    const results = await fn(batch);
    if (results.length !== batch.length) {
      throw new FormatError(`${what}: model returned ${results.length} results for ${batch.length} sequences`);
    }
    await sink(batch, results, s === 0);
    progress.batch(s + batch.length, records.length, "sequences");
  }
}

const COMMAND_RUNNERS: Record<Exclude<CliOptions["command"], "quantize" | "finetune">, Runner> = {
  async embed(model, records, opts, out, progress) {
    let width = -1;
    await eachBatch(records, opts.batchSize, progress, "embed",
      (b) => model.embed(b.map((r) => r.sequence), { pooling: opts.pooling, adapter: adapterOf(opts) }),
      async (batch, embs, first) => {
        const rows = batch.map((r, i) => ({ id: r.id, embedding: embs[i]! }));
        if (opts.format === "jsonl") return out.write(fmt.embedJsonl(rows));
        if (opts.format === "tsv") return out.write(fmt.embedTsv(rows, first));
        if (first) width = embs[0]!.length;
        const bad = embs.findIndex((e) => e.length !== width);
        if (bad >= 0) throw new FormatError(`embed: '${batch[bad]!.id}' has ${embs[bad]!.length} values, expected ${width}`);
        if (first) await out.write(fmt.npyHeader([records.length, width]));
        await out.write(fmt.npyRows(embs));
      });
  },
  async classify(model, records, opts, out, progress) {
    await eachBatch(records, opts.batchSize, progress, "classify",
      (b) => model.classify(b.map((r) => r.sequence), { adapter: adapterOf(opts) }),
      async (batch, res, first) => {
        const rows = batch.map((r, i) => ({ id: r.id, ...res[i]! }));
        await out.write(opts.format === "tsv" ? fmt.classifyTsv(rows, first) : fmt.classifyJsonl(rows));
      });
  },
  // predict = classify with the fine-tuned adapter (args.ts requires --adapter).
  predict(model, records, opts, out, progress) { return COMMAND_RUNNERS.classify(model, records, opts, out, progress); },
  async tokenize(model, records, opts, out, progress) {
    await eachBatch(records, opts.batchSize, progress, "tokenize",
      async (b) => b.map((r) => model.tokenizer.encode(r.sequence, { maxLength: opts.maxLength })),
      async (batch, enc, first) => {
        const rows = batch.map((r, i) => ({ id: r.id, ids: enc[i]!.ids, tokens: enc[i]!.tokens }));
        await out.write(opts.format === "tsv" ? fmt.tokenizeTsv(rows, first) : fmt.tokenizeJsonl(rows));
      });
  },
  async outliers(model, records, opts, out, progress) {
    // The closing summary averages over every token of every input, as validate_sc.py does over a dataset.
    const all: { layers: LayerStats[] }[] = [];
    const layers = model.config.numHiddenLayers;
    await eachBatch(records, opts.batchSize, progress, "outliers",
      async (b) => (await model.outliers(b.map((r) => r.sequence), { adapter: adapterOf(opts) })).sequences,
      async (batch, seqs, first) => {
        all.push(...seqs);
        const rows = batch.map((r, i) => ({ id: r.id, nTokens: seqs[i]!.layers[0]?.wo.infNorm.length ?? 0, summary: summarize([seqs[i]!], layers) }));
        await out.write(opts.format === "tsv" ? fmt.outliersTsv(rows, first) : fmt.outliersJsonl(rows));
      });
    const total = { id: "ALL", nTokens: all.reduce((a, s) => a + (s.layers[0]?.wo.infNorm.length ?? 0), 0), summary: summarize(all, layers) };
    await out.write(opts.format === "tsv" ? fmt.outliersTsv([total], false) : fmt.outliersJsonl([total]));
  },
};

async function write(stream: Writable, chunk: string | Uint8Array): Promise<void> {
  if (!stream.write(chunk)) await once(stream, "drain"); // once() rejects if the stream errors meanwhile
}

/** stdout or a file opened before the model loads, so a bad --out path fails before any download. */
class Output {
  private failure: Error | undefined;
  private constructor(private readonly stream: Writable, private readonly path: string | undefined) {
    stream.on("error", (e) => { this.failure ??= e; });
  }

  static async open(path: string | undefined, stdout: Writable): Promise<Output> {
    if (!path) return new Output(stdout, undefined);
    const stream = createWriteStream(path);
    const output = new Output(stream, path);
    try {
      await once(stream, "open");
    } catch (e) {
      throw output.wrap(e);
    }
    return output;
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.failure) throw this.wrap(this.failure);
    try { await write(this.stream, chunk); } catch (e) { throw this.wrap(e); }
  }

  async close(): Promise<void> {
    if (!this.path) return; // stdout stays open; Node flushes it before exit
    if (this.stream.writableFinished || this.stream.destroyed) return;
    this.stream.end();
    try { await once(this.stream, "finish"); } catch (e) { throw this.wrap(e); }
    if (this.failure) throw this.wrap(this.failure);
  }

  private wrap(e: unknown): Error {
    const code = (e as { code?: string }).code;
    if (!this.path || e instanceof GermError) return e as Error; // EPIPE on stdout is handled by report()
    return new InputError(`cannot write '${this.path}': ${code ?? (e as Error).message}`);
  }
}
