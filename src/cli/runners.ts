// The per-command loops of `germ embed|classify|predict|tokenize|outliers`: input a batch at a time, one model call
// per batch, each batch's results written before the next is read. Each returns how many sequences it finished.
import { FormatError } from "../errors.js";
import type { SequenceRecord } from "../io/fasta.js";
import { summarize, type LayerStats, type OutlierSummary, type TokenStats } from "../pipeline/outliers.js";
import type { CliOptions } from "./args.js";
import type { Input } from "./input.js";
import * as fmt from "./output.js";
import type { Progress } from "./progress.js";
import type { Sink } from "./sinks.js";
import type { CliModel } from "./types.js";

/** The name the loader gives the --adapter adapter (the model's only one). */
export const CLI_ADAPTER = "cli";

const adapterOf = (opts: CliOptions) => (opts.adapter !== undefined ? CLI_ADAPTER : undefined);

export interface RunContext {
  model: CliModel;
  input: Input;
  opts: CliOptions;
  out: Sink;
  progress: Progress;
  /** Stops the loop after the current batch (Ctrl-C). */
  signal?: AbortSignal;
}

type Runner = (ctx: RunContext) => Promise<number>;

/** Call `fn` per batch of records, reporting progress; results must come back one per record. */
async function eachBatch<T>(
  ctx: RunContext, what: string,
  fn: (batch: SequenceRecord[]) => Promise<T[]>, sink: (batch: SequenceRecord[], results: T[], first: boolean) => Promise<void>,
): Promise<number> {
  const { input, progress } = ctx;
  let done = 0;
  progress.stream(0, "sequences", input.bytes);
  for await (const batch of input.batches(ctx.opts.batchSize, ctx.signal)) {
    const results = await fn(batch);
    if (results.length !== batch.length) {
      throw new FormatError(`${what}: model returned ${results.length} results for ${batch.length} sequences`);
    }
    await sink(batch, results, done === 0);
    done += batch.length;
    progress.stream(done, "sequences", input.bytes);
  }
  progress.batch(done, done, "sequences");
  return done;
}

export const COMMAND_RUNNERS: Record<Exclude<CliOptions["command"], "quantize" | "finetune">, Runner> = {
  async embed(ctx) {
    const { model, opts, out } = ctx;
    let width = -1;
    return eachBatch(ctx, "embed",
      (b) => model.embed(b.map((r) => r.sequence), { pooling: opts.pooling, adapter: adapterOf(opts) }),
      async (batch, embs, first) => {
        const rows = batch.map((r, i) => ({ id: r.id, embedding: embs[i]! }));
        if (opts.format === "jsonl") return out.text(fmt.embedJsonl(rows));
        if (opts.format === "tsv") return out.text(fmt.embedTsv(rows, first));
        if (first) width = embs[0]!.length;
        const bad = embs.findIndex((e) => e.length !== width);
        if (bad >= 0) throw new FormatError(`embed: '${batch[bad]!.id}' has ${embs[bad]!.length} values, expected ${width}`);
        await out.matrix(batch.map((r) => r.id), embs);
      });
  },
  async classify(ctx) {
    const { model, opts, out } = ctx;
    return eachBatch(ctx, "classify",
      (b) => model.classify(b.map((r) => r.sequence), { adapter: adapterOf(opts) }),
      async (batch, res, first) => {
        const rows = batch.map((r, i) => ({ id: r.id, ...res[i]! }));
        await out.text(opts.format === "tsv" ? fmt.classifyTsv(rows, first) : fmt.classifyJsonl(rows));
      });
  },
  // predict = classify with the fine-tuned adapter (args.ts requires --adapter).
  predict(ctx) { return COMMAND_RUNNERS.classify(ctx); },
  async tokenize(ctx) {
    const { model, opts, out } = ctx;
    return eachBatch(ctx, "tokenize",
      async (b) => b.map((r) => model.tokenizer.encode(r.sequence, { maxLength: opts.maxLength })),
      async (batch, enc, first) => {
        const rows = batch.map((r, i) => ({ id: r.id, ids: enc[i]!.ids, tokens: enc[i]!.tokens }));
        await out.text(opts.format === "tsv" ? fmt.tokenizeTsv(rows, first) : fmt.tokenizeJsonl(rows));
      });
  },
  async outliers(ctx) {
    const { model, opts, out } = ctx;
    const layers = model.config.numHiddenLayers;
    const total = new OutlierTotals(layers);
    const n = await eachBatch(ctx, "outliers",
      async (b) => (await model.outliers(b.map((r) => r.sequence), { adapter: adapterOf(opts) })).sequences,
      async (batch, seqs, first) => {
        total.add(seqs);
        const rows = batch.map((r, i) => ({ id: r.id, nTokens: seqs[i]!.layers[0]?.wo.infNorm.length ?? 0, summary: summarize([seqs[i]!], layers) }));
        await out.text(opts.format === "tsv" ? fmt.outliersTsv(rows, first) : fmt.outliersJsonl(rows));
      });
    const all = { id: "ALL", nTokens: total.tokens, summary: total.summary() };
    await out.text(opts.format === "tsv" ? fmt.outliersTsv([all], false) : fmt.outliersJsonl([all]));
    return n;
  },
};

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
      this.tokens += s.layers[0]?.wo.infNorm.length ?? 0;
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
