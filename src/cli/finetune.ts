// `germ finetune`: GUE-style CSVs (sequence,label) in, a PEFT adapter directory out. Labels are checked before the
// model trains (typed errors naming file, line and column); progress shows loss, steps/s and ETA; dev metrics after
// each epoch and test metrics at the end go to stderr, the run's summary as one JSON object to stdout.
import { FormatError } from "../errors.js";
import type { SequenceRecord } from "../io/fasta.js";
import type { EvalInfo } from "../train/fine-tune.js";
import { scoreLogits } from "../train/metrics.js";
import type { CliOptions } from "./args.js";
import type { Progress, ProgressSink } from "./progress.js";
import type { FineTuneOptions, FineTuneRun } from "../pipeline/fine-tune.js";

/** What finetune needs of the model and the process (commands.ts's CliModel and CliIo have these). */
interface TrainModel {
  fineTune(data: { texts: string[]; labels: number[] }, opts: FineTuneOptions): Promise<FineTuneRun>;
  saveAdapter(name: string, dir: string): Promise<void>;
  classify(texts: string[], opts?: { adapter?: string }): Promise<{ logits: Float32Array }[]>;
}
interface TrainIo { stdout: { write(s: string, cb: (e?: Error | null) => void): unknown }; stderr: ProgressSink; interrupt?: AbortSignal }

const ADAPTER = "finetuned";

export async function runFineTune(model: TrainModel, opts: CliOptions, io: TrainIo, progress: Progress,
  read: (file: string) => Promise<SequenceRecord[]>): Promise<void> {
  const t = opts.train!;
  const load = async (file: string) => {
    const recs = await read(file);
    if (recs.some((r) => r.label === undefined)) throw new FormatError(`${file}: CSV has no 'label' column (GUE layout: sequence,label)`);
    return { file, recs };
  };
  const train = await load(t.train), dev = t.dev ? await load(t.dev) : undefined, test = t.test ? await load(t.test) : undefined;
  const regression = t.numLabels === 1;
  const parse = (file: string, r: SequenceRecord): number => {
    const v = Number(r.label);
    const where = `${file} line ${r.line ?? "?"}, column 'label'`;
    if (regression) {
      if (r.label === "" || !Number.isFinite(v)) throw new FormatError(`${where}: '${r.label}' is not a number (regression)`);
      return v;
    }
    if (!/^\d+$/.test(r.label!)) throw new FormatError(`${where}: '${r.label}' is not a class index (0, 1, …; --num-labels 1 trains a regression)`);
    if (t.numLabels !== undefined && v >= t.numLabels) throw new FormatError(`${where}: label ${v} is out of range for --num-labels ${t.numLabels}`);
    return v;
  };
  const sets = [train, dev, test].filter((s) => s !== undefined).map((s) => ({ ...s, labels: s.recs.map((r) => parse(s.file, r)) }));
  // Classes: as told, else the largest label + 1 (at least 2).
  const numLabels = t.numLabels ?? Math.max(1, ...sets.flatMap((s) => s.labels)) + 1;
  const data = (i: number) => ({ texts: sets[i].recs.map((r) => r.sequence), labels: sets[i].labels });
  const evalData = dev ? data(1) : undefined;
  const perEpoch = Math.ceil(train.recs.length / opts.batchSize), total = perEpoch * t.epochs;
  const t0 = Date.now();
  const say = (line: string) => { progress.clear(); io.stderr.write(line + "\n"); };
  const metrics = (e: Omit<EvalInfo, "step" | "epoch">) => `loss ${e.loss.toFixed(4)}${e.accuracy !== undefined ? `, accuracy ${e.accuracy.toFixed(4)}, F1 ${e.f1!.toFixed(4)}, MCC ${e.mcc!.toFixed(4)}` : ""}`;
  const run = await model.fineTune(data(0), {
    adapter: ADAPTER, numLabels: regression ? 1 : numLabels, epochs: t.epochs, lr: t.lr, batchSize: opts.batchSize, seed: t.seed,
    warmupSteps: t.warmupSteps, weightDecay: t.weightDecay, maxGradNorm: t.maxGradNorm, evalSet: evalData, signal: io.interrupt, recompute: t.recompute,
    lora: { r: t.loraR, alpha: t.loraAlpha, targetModules: t.targets, dropout: t.loraDropout }, hiddenDropout: t.hiddenDropout,
    onStep: (s) => {
      const rate = s.step / ((Date.now() - t0) / 1000), eta = (total - s.step) / rate;
      progress.batch(s.step, total, `steps  loss ${s.loss.toFixed(4)}  ${rate.toFixed(2)} steps/s  ETA ${fmtTime(eta)}`);
      if (s.step % perEpoch === 0 && !evalData) say(`germ: epoch ${s.step / perEpoch}: train loss ${s.loss.toFixed(4)}`);
    },
  });
  for (const e of run.evals) say(`germ: epoch ${e.epoch + 1} (step ${e.step}): dev ${metrics(e)}`);
  if (run.aborted) say(`germ: interrupted after step ${run.steps.length}; saving the adapter trained so far`);
  await model.saveAdapter(ADAPTER, opts.out!);
  let testMetrics: Omit<EvalInfo, "step" | "epoch"> | undefined;
  if (test) {
    const d = data(sets.length - 1);
    const res = await model.classify(d.texts, { adapter: ADAPTER });
    const C = res[0].logits.length, z = new Float32Array(res.length * C);
    res.forEach((r, i) => z.set(r.logits, i * C));
    testMetrics = scoreLogits(z, d.labels, C);
    say(`germ: test ${metrics(testMetrics)}`);
  }
  say(`germ: wrote the adapter to ${opts.out} (${run.steps.length} steps, ${fmtTime((Date.now() - t0) / 1000)})`);
  const summary = { adapter: opts.out, numLabels: regression ? 1 : numLabels, steps: run.steps, evals: run.evals, test: testMetrics, aborted: run.aborted };
  await new Promise<void>((res, rej) => io.stdout.write(JSON.stringify(summary) + "\n", (e) => (e ? rej(e) : res())));
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60), sec = Math.round(s % 60);
  return m ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}
