// The `germ` command logic, independent of the real process: argv, streams and the model loader are injected,
// so tests drive it with a fake model and main.ts wires it to process + GermModel.fromPretrained.
// Input streams through (input.ts), a batch at a time; the per-command loops are in runners.ts.
import { GermError } from "../errors.js";
import { HELP, UsageError, parseCliArgs } from "./args.js";
import { ABORTED, Input, readRecords, unlessAborted } from "./input.js";
import { createProgress, type Progress, type ProgressSink } from "./progress.js";
import { CLI_ADAPTER, COMMAND_RUNNERS, runTokenize, type NamedModel } from "./runners.js";
import { openSink, write, type Sink } from "./sinks.js";
import { ChartFile } from "./plot.js";
import { runFineTune } from "./finetune.js";
import type { CliIo, CliModel, ModelLoader, TokenizerLoader } from "./types.js";

export { CLI_ADAPTER, readRecords };
export type { CliIo, CliModel, CliTokenizer, LoadOptions, ModelLoader, TokenizerLoader } from "./types.js";

/**
 * Run `germ <argv>`; resolves to the exit code (0 ok, 1 runtime error, 2 usage error, 130 interrupted). Never throws.
 * `loadTokenizer` serves `germ tokenize` (tokenizer.json only); without it, tokenize takes a loaded model's tokenizer
 * (tests with a fake model).
 */
export async function runCli(argv: string[], io: CliIo, loadModel: ModelLoader, loadTokenizer?: TokenizerLoader): Promise<number> {
  const progress = createProgress(io.stderr, io.progress ?? io.stderr.isTTY === true);
  let model: CliModel | undefined;
  const models: NamedModel[] = [];
  let out: Sink | undefined;
  let chart: ChartFile | undefined;
  let input: Input | undefined;
  try {
    const parsed = parseCliArgs(argv);
    if (parsed.kind === "help") { await write(io.stdout, HELP); return 0; }
    if (parsed.kind === "version") { await write(io.stdout, `germ-js ${io.version}\n`); return 0; }
    const opts = parsed.options;
    if (opts.format === "npy" && !opts.out && io.stdout.isTTY) {
      throw new UsageError("refusing to write binary NPY to a terminal; use --out FILE or a pipe");
    }
    if (opts.command === "quantize") {
      const sq = opts.smoothQuant;
      model = await loadModel(opts.model, { device: sq ? opts.device : "reference", dtype: sq ? undefined : opts.dtype, revision: opts.revision, onProgress: (p) => progress.download(p) });
      if (sq) {
        // SmoothQuant: calibrate the float model on the sequences, then write its q8 copy.
        const calibration = (await readRecords({ ...opts, inputs: [sq.calibration], inputFormat: "auto" }, io)).map((r) => r.sequence);
        const q8 = await model.quantize({ weights: "int8", activations: "int8", calibration, smoothQuant: sq.alpha });
        try { await q8.save(opts.out!); } finally { q8.dispose(); }
      } else await model.save(opts.out!);
      progress.clear();
      io.stderr.write(`germ: wrote ${opts.dtype} model${opts.smoothQuant ? ` (SmoothQuant α ${opts.smoothQuant.alpha})` : ""} to ${opts.out}\n`);
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
    out = await openSink(opts.out, opts.format, io.stdout, npyRows as number | undefined);
    if (opts.plot !== undefined) chart = await ChartFile.open(opts.plot);
    const ctx = { input, opts, out, progress, signal: io.interrupt };
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
          batchSize: opts.batchSize, revision: opts.revision, onProgress: (p) => progress.download(p), adapter: opts.adapter, merge: opts.merge,
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
      done = await run({ ...ctx, models, chart });
    }
    progress.clear();
    await out.close();
    await chart?.discard(); // no-op once written
    const warning = input.check.warning();
    if (warning) io.stderr.write(`germ: warning: ${warning}\n`);
    if (chart?.done) io.stderr.write(`germ: wrote the outlier chart of ${models.map((m) => `'${m.name}'`).join(", ")} to ${chart.path}\n`);
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
    await input?.close();
    model?.dispose();
    for (const m of models) m.model.dispose();
  }
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

