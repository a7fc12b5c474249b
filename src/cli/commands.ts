// The `germ` command logic, independent of the real process: argv, streams and the model loader are injected,
// so tests drive it with a fake model and main.ts wires it to process + GermModel.fromPretrained.
// Input streams through (input.ts), a batch at a time; the per-command loops are in runners.ts.
import { GermError } from "../errors.js";
import { HELP, UsageError, parseCliArgs, type CliOptions } from "./args.js";
import { ABORTED, Input, readRecords, unlessAborted } from "./input.js";
import { createProgress, type Progress, type ProgressSink } from "./progress.js";
import { CLI_ADAPTER, COMMAND_RUNNERS, runTokenize, type NamedModel } from "./runners.js";
import { openSink, write, type Sink } from "./sinks.js";
import { ChartFile } from "./plot.js";
import { runFineTune } from "./finetune.js";
import { COMMAND_HELP } from "./help.js";
import { runMerge } from "./merge.js";
import { MetricsFile } from "./metrics.js";
import { ParquetSink } from "./parquet.js";
import { resumeOutput } from "./resume.js";
import type { CliIo, CliModel, ModelLoader, TokenizerLoader } from "./types.js";

export { CLI_ADAPTER, readRecords };
export type { CliIo, CliModel, CliTokenizer, LoadOptions, ModelLoader, TokenizerLoader } from "./types.js";

/**
 * Run `germ <argv>`; resolves to the exit code (0 ok, 1 runtime error, 2 usage error, 130 interrupted). Never throws.
 * `loadTokenizer` serves `germ tokenize` (tokenizer.json only); without it, tokenize takes a loaded model's tokenizer
 * (tests with a fake model).
 */
export async function runCli(argv: string[], io: CliIo, loadModel: ModelLoader, loadTokenizer?: TokenizerLoader): Promise<number> {
  let progress = createProgress(io.stderr, io.progress ?? io.stderr.isTTY === true);
  let model: CliModel | undefined;
  let restoreWarn = () => {};
  let metrics: MetricsFile | undefined;
  const models: NamedModel[] = [];
  let out: Sink | undefined;
  let chart: ChartFile | undefined;
  let input: Input | undefined;
  try {
    const parsed = parseCliArgs(argv);
    if (parsed.kind === "help") { await write(io.stdout, parsed.command ? COMMAND_HELP[parsed.command] : HELP); return 0; }
    if (parsed.kind === "version") { await write(io.stdout, `germ-js ${io.version}\n`); return 0; }
    const opts = parsed.options;
    progress = createProgress(io.stderr, io.progress ?? io.stderr.isTTY === true, { quiet: opts.verbosity === "quiet" });
    const shown = progress;
    // The library's one-time warnings (console.warn "germ-js: …") go above the status line, in CLI syntax.
    restoreWarn = captureLibraryWarnings((text) => shown.warn(cliWarning(text)));
    if (opts.command === "merge") {
      const n = await runMerge(opts, io.stdout, `germ-js ${io.version}`);
      progress.note(`merged ${n} rows of ${opts.inputs.length} shard files into ${opts.out}`);
      return 0;
    }
    if (opts.format === "npy" && !opts.out && io.stdout.isTTY) {
      throw new UsageError("refusing to write binary NPY to a terminal; use --out FILE or a pipe");
    }
    if (opts.command === "quantize") {
      const { smoothQuant: sq, staticActivations: st, groupSize: group, scaleDtype } = opts;
      // Plain q8/q4 quantize at load; SmoothQuant, static activation scales and other q4 group sizes go through
      // model.quantize().
      const calibrated = sq !== undefined || st === true;
      const viaQuantize = calibrated || group !== undefined || scaleDtype !== undefined;
      model = await loadModel(opts.model, { device: calibrated ? opts.device : "reference", dtype: viaQuantize ? undefined : opts.dtype, revision: opts.revision, onProgress: (p) => progress.download(p) });
      if (viaQuantize) {
        // Calibrated: run the float model on the sequences (SmoothQuant's ranges, the static scales), then write its q8 copy.
        const calibration = calibrated ? (await readRecords({ ...opts, inputs: [opts.calibration!], inputFormat: "auto" }, io)).map((r) => r.sequence) : undefined;
        const q = await model.quantize(opts.dtype === "q8"
          ? { weights: "int8", activations: "int8", calibration, smoothQuant: sq, ...(st ? { activationScales: "static" as const } : {}) }
          : { weights: "int4", activations: "f32", ...(group ? { groupSize: group } : {}), ...(scaleDtype ? { scales: scaleDtype } : {}) });
        try { await q.save(opts.out!); } finally { q.dispose(); }
      } else await model.save(opts.out!);
      progress.clear();
      progress.note(`wrote ${opts.dtype} model${group ? ` (groups of ${group})` : ""}${scaleDtype === "f16" ? " (f16 scales)" : ""}${sq ? ` (SmoothQuant α ${sq})` : ""}${st ? " (static activation scales)" : ""} to ${opts.out}`);
      return 0;
    }
    if (opts.command === "finetune") {
      model = await loadModel(opts.model, {
        device: opts.device, threads: opts.threads, attnSoftmax: opts.attnSoftmax, dtype: opts.dtype, maxLength: opts.maxLength,
        revision: opts.revision, onProgress: (p) => progress.download(p),
      });
      await runFineTune(model, opts, io, progress, (f) => readRecords({ ...opts, inputs: [f], inputFormat: "csv" }, io));
      progress.clear();
      return 0;
    }
    // Input problems (missing file, binary or malformed start) show before the model is downloaded or loaded.
    const stop = io.interrupt;
    input = await Input.open(opts, io);
    // NPY written front to back (to a pipe) needs its row count in its header, before the first row.
    const npyRows = opts.format === "npy" && !opts.out ? await unlessAborted(input.count(), stop) : undefined;
    if (npyRows !== ABORTED) await input.peek(stop);
    if (stop?.aborted) return interruptedEarly(io, progress);
    // --resume: the rows --out holds stay (checked against the input as it is skipped); a missing file starts afresh.
    const resume = opts.resume ? await resumeOutput(opts.out!, opts.format, opts.shard !== undefined) : undefined;
    if (resume?.rows && opts.verbosity === "verbose") progress.note(`--resume: ${opts.out} holds ${resume.rows} rows; going on after them`);
    out = opts.format === "parquet" ? await ParquetSink.open(opts.out!, `germ-js ${io.version}`, resume?.parquet)
      : await openSink(opts.out, opts.format, io.stdout, npyRows as number | undefined, resume);
    if (opts.plot !== undefined) chart = await ChartFile.open(opts.plot);
    if (opts.metrics !== undefined) metrics = await MetricsFile.open(opts.metrics);
    const ctx = { input, opts, out, progress, signal: io.interrupt, resume };
    if (opts.verbosity === "verbose") progress.note(settingsLine(opts));
    let done: number;
    if (opts.command === "tokenize") {
      const loading = (loadTokenizer ?? tokenizerOf(loadModel))(opts.model, { revision: opts.revision, onProgress: (p) => progress.download(p) });
      const tokenizer = await unlessAborted(loading, stop);
      if (tokenizer === ABORTED) { await out.close(); return interruptedEarly(io, progress); }
      done = await runTokenize({ ...ctx, tokenizer });
    } else {
      for (const spec of opts.models) {
        // Ctrl-C during a download or load stops at once (the load finishes unseen and is disposed of).
        const loading = loadModel(spec.model, {
          device: opts.device, threads: opts.threads, attnSoftmax: spec.attnSoftmax, dtype: spec.dtype, maxLength: opts.maxLength,
          batchSize: opts.modelBatchSize, maxBatchTokens: opts.maxBatchTokens, revision: opts.revision, onProgress: (p) => progress.download(p), adapter: opts.adapter, merge: opts.merge,
          ...(opts.verbosity === "quiet" ? { quiet: true } : opts.verbosity === "verbose" ? { verbose: true } : {}),
        });
        const loaded = await unlessAborted(loading, stop);
        if (loaded === ABORTED) {
          loading.then((m) => m.dispose(), () => {});
          await out.close();
          await chart?.discard();
          return interruptedEarly(io, progress);
        }
        models.push({ name: spec.name, model: loaded });
      }
      const run = COMMAND_RUNNERS[opts.command as keyof typeof COMMAND_RUNNERS];
      done = await run({ ...ctx, models, chart, metrics, tokenizer: models[0]!.model.tokenizer });
    }
    progress.clear();
    await out.close();
    await chart?.discard(); // no-op once written
    const warning = input.check.warning();
    if (warning) progress.warn(warning);
    if (chart?.done) progress.note(`wrote the outlier chart of ${models.map((m) => `'${m.name}'`).join(", ")} to ${chart.path}`);
    if (input.interrupted) {
      const files = [...out.files, ...(chart?.done ? [chart.path] : [])];
      const held = files.length ? `; ${files.join(" and ")} hold${files.length === 1 ? "s" : ""} their results` : "";
      io.stderr.write(`germ: interrupted after ${done} sequences${held}\n`);
      return 130;
    }
    return 0;
  } catch (e) {
    progress.clear();
    await out?.close().catch(() => {});
    await chart?.discard();
    return report(e, io.stderr);
  } finally {
    restoreWarn();
    await metrics?.close();
    await input?.close();
    model?.dispose();
    for (const m of models) m.model.dispose();
  }
}

/**
 * Route console.warn("germ-js: …") to `onWarning` until the returned function is called. Other console.warn
 * calls go through unchanged.
 */
function captureLibraryWarnings(onWarning: (text: string) => void): () => void {
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith("germ-js: ") && args.length === 1) onWarning(args[0].slice("germ-js: ".length));
    else original(...args);
  };
  return () => { console.warn = original; };
}

const OPTION_FLAGS: Record<string, string> = {
  attnSoftmax: "--attn-softmax", dtype: "--dtype", maxLength: "--max-length", device: "--device", threads: "--threads",
  batchSize: "--batch-size", revision: "--revision", pooling: "--pooling", maxBatchTokens: "--max-batch-tokens",
};

/**
 * A library warning as a CLI user would act on it: API options become flags (`{ attnSoftmax: "softmax1" }` →
 * `--attn-softmax softmax1`), and the few texts that name an API-only remedy get the CLI's.
 */
export function cliWarning(text: string): string {
  return text
    .replace(/\{ (\w+): "?([^"}]*?)"? \}/g, (m, key: string, value: string) => (OPTION_FLAGS[key] ? `${OPTION_FLAGS[key]} ${value}` : m))
    .replace("or set maxLength, and pass a `signal` to be able to cancel", "or set --max-length N (Ctrl-C stops after the current batch)")
    .replace(/\bset maxLength\b/g, "set --max-length");
}

function settingsLine(opts: CliOptions): string {
  const inputs = opts.inputs.map((f) => (f === "-" ? "stdin" : f)).join(", ");
  return `${opts.command} ${inputs} → ${opts.out ?? "stdout"} (${opts.format}); batch size ${opts.batchSize}`
    + `${opts.shard ? `; shard ${opts.shard.index}/${opts.shard.count}` : ""}${opts.resume ? "; resume" : ""}; ${opts.models.map((m) => m.model).join(", ")} on ${opts.device}`;
}

/** Without a TokenizerLoader: the tokenizer of a model from `load` (a fake in tests), which is then disposed of. */
function tokenizerOf(load: ModelLoader): TokenizerLoader {
  return async (dirOrUrl, opts) => {
    const m = await load(dirOrUrl, { device: "reference", ...opts });
    try { return m.tokenizer; } finally { m.dispose(); }
  };
}

function interruptedEarly(io: CliIo, progress: Progress): number {
  progress.clear();
  io.stderr.write("germ: interrupted before the first sequence\n");
  return 130;
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

