// The per-command loops of `germ embed|classify|predict|tokenize|outliers`: input a batch at a time, one model call
// per batch (per model, for outliers with several), each batch's results written before the next is read. Each
// returns how many sequences it finished.
import { FormatError, InputError } from "../errors.js";
import { aggregateWindows } from "../pipeline/windows.js";
import { UsageError, type CliOptions } from "./args.js";
import type { SequenceRecord } from "../io/fasta.js";
import { summarize, type LayerStats, type OutlierSummary, type TokenStats } from "../pipeline/outliers.js";
import { outlierSeries } from "../plot/series.js";
import type { IndexedRecord, Input } from "./input.js";
import * as fmt from "./output.js";
import type { Resume } from "./resume.js";
import { withIndex } from "./shard.js";
import { LabelScore, metricsLine, type MetricsFile } from "./metrics.js";
import type { ChartFile } from "./plot.js";
import type { Progress } from "./progress.js";
import type { Sink } from "./sinks.js";
import type { CliModel, CliTokenizer } from "./types.js";

/** The name the loader gives the --adapter adapter (the model's only one). */
export const CLI_ADAPTER = "cli";

const adapterOf = (opts: CliOptions) => (opts.adapter !== undefined ? CLI_ADAPTER : undefined);

interface BatchContext {
  input: Input;
  opts: CliOptions;
  out: Sink;
  progress: Progress;
  /** Stops the loop after the current batch (Ctrl-C). */
  signal?: AbortSignal;
  /** --resume: the rows --out holds already (their records are checked and skipped). */
  resume?: Resume;
  /** Counts the tokens of each batch for the status line (only while it is drawn). */
  tokenizer?: CliTokenizer;
}

/** A loaded --model and its name (ModelSpec.name) in the summary and the chart. */
export interface NamedModel { name: string; model: CliModel }

export interface RunContext extends BatchContext {
  /** In --model order: one, or several for outliers. */
  models: NamedModel[];
  /** outliers --plot: where the chart goes. */
  chart?: ChartFile;
  /** classify/predict --metrics: where the scores go. */
  metrics?: MetricsFile;
}

type Runner = (ctx: RunContext) => Promise<number>;

/**
 * Call `fn` per batch of records, reporting progress; results must come back one per record. `sink` writes them to
 * `out`, which puts in the record indices when the run is sharded. With --resume, the records whose rows --out holds
 * are checked against those rows' ids and skipped (results do not depend on the batching: batch-invariance test).
 */
async function eachBatch<T>(
  ctx: BatchContext, what: string,
  fn: (batch: SequenceRecord[]) => Promise<T[]>, sink: (batch: SequenceRecord[], results: T[], first: boolean, out: Sink) => Promise<void>,
): Promise<number> {
  const { input, progress, opts, resume } = ctx;
  const kept = resume?.rows ?? 0;
  const tokenizer = progress.enabled ? ctx.tokenizer : undefined;
  let done = 0, tokens = tokenizer ? 0 : undefined, batches = 0;
  progress.stream(0, "sequences", input.bytes, tokens);
  for await (let batch of input.batches(opts.batchSize, ctx.signal)) {
    if (done < kept) {
      const n = Math.min(kept - done, batch.length);
      for (let i = 0; i < n; i++) checkKept(opts, resume!, done + i, batch[i]!);
      done += n;
      batch = batch.slice(n);
      if (batch.length === 0) { progress.stream(done, "sequences", input.bytes, tokens); continue; }
    }
    const t0 = Date.now();
    const results = await fn(batch);
    if (results.length !== batch.length) {
      throw new FormatError(`${what}: model returned ${results.length} results for ${batch.length} sequences`);
    }
    await sink(batch, results, done === 0 && !resume?.header, opts.shard ? indexed(ctx.out, batch, opts.format) : ctx.out);
    done += batch.length;
    // The model tokenizes too; counting here again costs little beside a forward pass, and only on a terminal.
    if (tokenizer) for (const r of batch) tokens! += tokenizer.encode(r.sequence, { maxLength: opts.maxLength }).ids.length;
    if (opts.verbosity === "verbose") progress.note(`batch ${++batches}: ${batch.length} sequences (${batch[0]!.id} … ${batch.at(-1)!.id}) in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
    progress.stream(done, "sequences", input.bytes, tokens);
  }
  if (done < kept && !input.interrupted) {
    throw new InputError(`--resume: ${opts.out} holds ${kept} rows, but the input has only ${done} records${opts.shard ? " in this shard" : ""}; was it written from another input?`);
  }
  progress.batch(done, done, tokens === undefined ? "sequences" : `sequences, ${tokens} tokens`);
  return done;
}

/** --resume: row `k` of --out must be this record's (same id, and same record index when sharded). */
function checkKept(opts: CliOptions, resume: Resume, k: number, r: IndexedRecord): void {
  const id = opts.format === "jsonl" || opts.format === "parquet" ? r.id : fmt.tsvCell(r.id); // Parquet: as read
  const index = opts.shard ? resume.indices[k] : r.index;
  if (resume.ids[k] !== id || index !== r.index) {
    throw new InputError(`--resume: row ${k + 1} of ${opts.out} is '${resume.ids[k]}'${opts.shard ? ` (record ${index! + 1})` : ""}, but it would be record ${r.index + 1} of the input, '${id}'; was it written from another input${opts.shard ? " or --shard" : ""}?`);
  }
}

/** A sharded run's output: every row with its record index (shard.ts), for `germ merge`. */
function indexed(out: Sink, batch: SequenceRecord[], format: CliOptions["format"]): Sink {
  let indices = (batch as IndexedRecord[]).map((r) => r.index);
  return {
    files: out.files,
    rowsOf: (positions) => { indices = positions.map((p) => (batch[p] as IndexedRecord).index); },
    text: (chunk) => out.text(withIndex(chunk, indices, format === "tsv" ? "tsv" : "jsonl")),
    matrix: (ids, rows, _i, extra) => out.matrix(ids, rows, indices, extra),
    table: out.table ? (rows, vectors) => out.table!(rows, vectors) : undefined, // Parquet has an index column always
    close: () => out.close(),
  };
}

/** tokenize needs the tokenizer only: no weights, no backend. */
export async function runTokenize(ctx: BatchContext & { tokenizer: CliTokenizer }): Promise<number> {
  const { tokenizer, opts } = ctx;
  return eachBatch(ctx, "tokenize",
    async (b) => b.map((r) => tokenizer.encode(r.sequence, { maxLength: opts.maxLength })),
    async (batch, enc, first, out) => {
      const rows = batch.map((r, i) => ({ id: r.id, ids: enc[i]!.ids, tokens: enc[i]!.tokens }));
      await out.text(opts.format === "tsv" ? fmt.tokenizeTsv(rows, first) : fmt.tokenizeJsonl(rows));
    });
}

export const COMMAND_RUNNERS: Record<Exclude<CliOptions["command"], "quantize" | "finetune" | "tokenize" | "merge">, Runner> = {
  async embed(ctx) {
    const { opts } = ctx;
    const model = ctx.models[0]!.model;
    checkLayer(opts, model);
    const adapter = adapterOf(opts);
    if (opts.window && !opts.aggregate || opts.perToken) return embedSpans(ctx, model);
    let width = -1;
    return eachBatch(ctx, "embed",
      async (b) => {
        const texts = b.map((r) => r.sequence);
        if (!opts.window) return model.embed(texts, { pooling: opts.pooling, adapter, layer: opts.layer });
        // --aggregate mean: the record's windows, weighted by their length in bp (what they cover).
        const windows = await embedWindows(model, texts, opts);
        return aggregateWindows(windows, { records: texts.length });
      },
      async (batch, embs, first, out) => {
        const rows = batch.map((r, i) => ({ id: r.id, embedding: embs[i]! }));
        if (opts.format === "jsonl") return out.text(fmt.embedJsonl(rows));
        if (opts.format === "tsv") return out.text(fmt.embedTsv(rows, first));
        if (opts.format === "parquet") return out.table!((batch as IndexedRecord[]).map((r) => ({ index: r.index, id: r.id, start: 0, end: r.sequence.length })), embs);
        if (width < 0) width = embs[0]!.length;
        const bad = embs.findIndex((e) => e.length !== width);
        if (bad >= 0) throw new FormatError(`embed: '${batch[bad]!.id}' has ${embs[bad]!.length} values, expected ${width}`);
        await out.matrix(batch.map((r) => r.id), embs);
      });
  },
  async classify(ctx) {
    const { opts } = ctx;
    const model = ctx.models[0]!.model;
    const score = new LabelScore();
    const n = await eachBatch(ctx, "classify",
      (b) => model.classify(b.map((r) => r.sequence), { adapter: adapterOf(opts) }),
      async (batch, res, first, out) => {
        score.add(batch, res);
        const rows = batch.map((r, i) => ({ id: r.id, ...res[i]! }));
        await out.text(opts.format === "tsv" ? fmt.classifyTsv(rows, first) : fmt.classifyJsonl(rows));
      });
    // Scores over the records classified here: with --resume, not those whose rows were there already.
    if (score.labelled > 0) {
      const m = score.metrics();
      const resumed = ctx.resume?.rows ?? 0;
      ctx.progress.note(metricsLine(m, score.unlabelled) + (resumed ? ` (the ${resumed} rows kept by --resume are not scored)` : ""));
      await ctx.metrics?.write({
        inputs: opts.inputs, model: opts.model, ...(opts.shard ? { shard: `${opts.shard.index}/${opts.shard.count}` } : {}),
        n: m.n, unlabelled: score.unlabelled, resumed_not_scored: resumed, classes: m.classes, accuracy: m.accuracy, f1: m.f1, mcc: m.mcc,
      });
    } else if (ctx.metrics && n > (ctx.resume?.rows ?? 0) && !ctx.input.interrupted) {
      throw new InputError(`--metrics: the input has no labels (a CSV or TSV with 'sequence' and 'label' columns), so there is nothing to score`);
    }
    return n;
  },
  // predict = classify with the fine-tuned adapter (args.ts requires --adapter).
  predict(ctx) { return COMMAND_RUNNERS.classify(ctx); },
  /**
   * One model: a line per sequence, then the ALL line. Several: every batch goes through each model in turn (one
   * at a time on the backend) and only each model's ALL line is written, with its name. --plot: the chart of the
   * ALL summaries.
   */
  async outliers(ctx) {
    const { models, opts, out } = ctx;
    const totals = models.map((m) => new OutlierTotals(m.model.config.numHiddenLayers));
    const n = await eachBatch(ctx, "outliers",
      async (b) => {
        const perModel: { layers: LayerStats[] }[][] = [];
        for (const { name, model } of models) {
          const seqs = (await model.outliers(b.map((r) => r.sequence), { adapter: adapterOf(opts) })).sequences;
          if (seqs.length !== b.length) throw new FormatError(`outliers: model '${name}' returned ${seqs.length} results for ${b.length} sequences`);
          perModel.push(seqs);
        }
        return b.map((_, i) => perModel.map((seqs) => seqs[i]!));
      },
      async (batch, res, first) => {
        totals.forEach((t, k) => t.add(res.map((r) => r[k]!)));
        if (models.length > 1) return;
        const layers = models[0]!.model.config.numHiddenLayers;
        const rows = batch.map((r, i) => ({ id: r.id, nTokens: tokensOf(res[i]![0]!), summary: summarize([res[i]![0]!], layers) }));
        await out.text(opts.format === "tsv" ? fmt.outliersTsv(rows, first) : fmt.outliersJsonl(rows));
      });
    const all = totals.map((t, k) => ({ id: "ALL", nTokens: t.tokens, summary: t.summary(), ...(models.length > 1 ? { model: models[k]!.name } : {}) }));
    await out.text(opts.format === "tsv" ? fmt.outliersTsv(all, models.length > 1) : fmt.outliersJsonl(all));
    if (ctx.chart && n > 0) {
      const tokens = new Set(totals.map((t) => t.tokens)).size === 1 ? `, ${totals[0]!.tokens} tokens` : "";
      await ctx.chart.write(all.map((a, k) => outlierSeries(models[k]!.name, a.summary)),
        `${n} sequence${n === 1 ? "" : "s"}${tokens} from ${opts.inputs.map((f) => (f === "-" ? "stdin" : f.split(/[\\/]/).at(-1))).join(", ")}`
        + " · per layer, the mean over tokens of each token's kurtosis and ∞-norm");
    } else if (ctx.chart && !ctx.input.interrupted) throw new InputError(`outliers: the input holds no sequence, so --plot '${ctx.chart.path}' has nothing to draw`);
    return n;
  },
};

/** --layer K: checked against the loaded model, so the message names the flag (the model's would name `layer`). */
function checkLayer(opts: CliOptions, model: CliModel): void {
  const n = model.config.numHiddenLayers;
  if (opts.layer !== undefined && (opts.layer < -n || opts.layer >= n)) {
    throw new UsageError(`--layer ${opts.layer}: the model has ${n} layers (0…${n - 1}, or ${-n}…-1 from the end)`);
  }
}

function embedWindows(model: CliModel, texts: string[], opts: CliOptions) {
  if (!model.embedWindows) throw new InputError("embed --window: this model has no embedWindows");
  return model.embedWindows(texts, { window: opts.window!, pooling: opts.pooling, adapter: adapterOf(opts), layer: opts.layer });
}

interface Span { start: number; end: number; token?: string; vector: Float32Array }

/** embed --window (one row per window) and --per-token (one row per token): each record gives several rows. */
function embedSpans(ctx: RunContext, model: CliModel): Promise<number> {
  const { opts } = ctx;
  return eachBatch<Span[]>(ctx, "embed",
    async (b) => {
      const texts = b.map((r) => r.sequence);
      const spans: Span[][] = texts.map(() => []);
      if (opts.window) {
        for (const w of await embedWindows(model, texts, opts)) spans[w.seq]!.push(w);
        return spans;
      }
      if (!model.embedTokens) throw new InputError("embed --per-token: this model has no embedTokens");
      const H = model.config.hiddenSize ?? 0;
      return (await model.embedTokens(texts, { adapter: adapterOf(opts), layer: opts.layer })).map((t) => {
        const h = H || t.vectors.length / Math.max(1, t.tokens.length);
        return t.tokens.map((token, i) => ({ start: t.offsets[i]![0], end: t.offsets[i]![1], token, vector: t.vectors.subarray(i * h, (i + 1) * h) }));
      });
    },
    async (batch, res, first, out) => {
      const positions = res.flatMap((spans, p) => spans.map(() => p));
      const rows = res.flatMap((spans, p) => spans.map((s) => ({ id: batch[p]!.id, start: s.start, end: s.end, token: s.token, embedding: s.vector })));
      out.rowsOf?.(positions);
      if (opts.format === "jsonl") return out.text(fmt.spanJsonl(rows));
      if (opts.format === "tsv") return out.text(fmt.spanTsv(rows, first));
      const vectors = rows.map((r) => r.embedding);
      if (opts.format === "parquet") {
        return out.table!(rows.map((r, i) => ({ index: (batch[positions[i]!] as IndexedRecord).index, id: r.id, start: r.start, end: r.end })), vectors);
      }
      await out.matrix(rows.map((r) => r.id), vectors, undefined, rows.map((r) => `${r.start}\t${r.end}${r.token !== undefined ? `\t${fmt.tsvCell(r.token)}` : ""}`));
    });
}

const tokensOf = (s: { layers: LayerStats[] }) => s.layers[0]?.wo.infNorm.length ?? 0;

/**
 * The closing summary averages over every token of every input, as validate_sc.py does over a dataset. Running sums
 * replace the list of every sequence's statistics (memory); summarize() then gets one pseudo-sequence whose single
 * token holds each module's mean as a double (Float64Array), so its result is summarize() of everything, exactly.
 */
class OutlierTotals {
  tokens = 0;
  private readonly sums: { inf: number; kurt: number; n: number }[];
  constructor(private readonly layers: number) {
    this.sums = Array.from({ length: layers * 2 }, () => ({ inf: 0, kurt: 0, n: 0 }));
  }

  add(seqs: { layers: LayerStats[] }[]): void {
    for (const s of seqs) {
      this.tokens += tokensOf(s);
      for (let j = 0; j < this.layers; j++) {
        KINDS.forEach((kind, k) => {
          const st = s.layers[j]![kind], acc = this.sums[2 * j + k]!;
          for (let t = 0; t < st.infNorm.length; t++) { acc.inf += st.infNorm[t]!; acc.kurt += st.kurtosis[t]!; acc.n++; }
        });
      }
    }
  }

  summary(): OutlierSummary {
    const mean = (acc: { inf: number; kurt: number; n: number }) => ({
      infNorm: new Float64Array([acc.inf / acc.n]), kurtosis: new Float64Array([acc.kurt / acc.n]),
    }) as unknown as TokenStats;
    const layers = Array.from({ length: this.layers }, (_, j) => ({ wo: mean(this.sums[2 * j]!), layernorm: mean(this.sums[2 * j + 1]!) }));
    return summarize([{ layers }], this.layers);
  }
}

const KINDS = ["wo", "layernorm"] as const;
