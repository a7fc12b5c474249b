// The fine-tuning loop (GermModel.fineTune): epochs over shuffled batches, gradient accumulation, the HF Trainer's
// learning-rate schedule and clipping, evaluation (loss, accuracy, macro F1, MCC), progress callbacks and abort.
import { InputError } from "../errors.js";
import { warnOnce } from "../log.js";
import { packBatch } from "../model/encoder.js";
import { rng } from "../contract/random.js";
import type { LoraTrainer, Param } from "./trainer.js";
import type { Tensor } from "../tensor/tensor.js";
import { scoreLogits } from "./metrics.js";
import { learningRate } from "./schedule.js";

export interface LoopOptions {
  epochs?: number;
  maxSteps?: number;
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
  lr?: number;
  weightDecay?: number;
  warmupSteps?: number;
  schedule?: "linear" | "constant";
  gradAccumulation?: number;
  /** null: no clipping. Default 1.0 (the HF Trainer's). */
  maxGradNorm?: number | null;
  /** "epoch" (default) or every N optimizer steps. */
  evalEvery?: "epoch" | number;
  onStep?: (s: StepInfo) => void;
  signal?: AbortSignal;
}

export interface StepInfo { step: number; epoch: number; loss: number; lr: number; gradNorm: number; tokensPerSecond: number }
export interface EvalInfo { step: number; epoch: number; loss: number; accuracy?: number; f1?: number; mcc?: number }
export interface RunReport { steps: { step: number; loss: number; lr: number; gradNorm: number }[]; evals: EvalInfo[]; aborted: boolean }

/** Token rows with labels (class indices, or values for regression). */
export interface Examples { ids: number[][]; labels: number[] }

export async function runTraining(trainer: LoraTrainer, train: Examples, evalSet: Examples | undefined, o: LoopOptions): Promise<RunReport> {
  const epochs = o.epochs ?? 3, batchSize = o.batchSize ?? 16, accum = o.gradAccumulation ?? 1, lr = o.lr ?? 1e-4;
  for (const [name, v, min] of [["epochs", epochs, 1], ["batchSize", batchSize, 1], ["gradAccumulation", accum, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new InputError(`fineTune: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
  if (!(lr > 0) || !Number.isFinite(lr)) throw new InputError(`fineTune: lr must be a positive number, got ${lr}`);
  const n = train.ids.length;
  const perEpoch = Math.ceil(n / (batchSize * accum));
  const total = o.maxSteps ?? epochs * perEpoch;
  const warmup = o.warmupSteps ?? 0, schedule = o.schedule ?? "linear";
  const report: RunReport = { steps: [], evals: [], aborted: false };
  const evaluate = async (epoch: number) => { if (evalSet) report.evals.push({ step: trainer.stepCount, epoch, ...(await evaluateSet(trainer, evalSet, batchSize)) }); };
  let step = 0;
  outer: for (let epoch = 0; epoch < epochs && step < total; epoch++) {
    const order = train.ids.map((_, i) => i);
    if (o.shuffle ?? true) shuffle(order, rng((o.seed ?? 42) + epoch));
    for (let s = 0; s < n && step < total; s += batchSize * accum) {
      const t0 = performance.now();
      let grads: Map<Param, Tensor> | null = null, loss = 0, tokens = 0;
      for (let a = 0; a < accum && s + a * batchSize < n; a++) {
        const idx = order.slice(s + a * batchSize, s + (a + 1) * batchSize);
        const batch = packBatch(idx.map((i) => train.ids[i]));
        tokens += batch.seqs.total;
        const g = await trainer.gradients(batch, idx.map((i) => train.labels[i]), { scale: 1 / accum });
        loss += g.loss / accum;
        if (grads) trainer.accumulate(grads, g.grads); else grads = g.grads;
      }
      const rate = learningRate(lr, step, total, warmup, schedule);
      const gradNorm = await trainer.apply(grads!, { lr: rate, weightDecay: o.weightDecay ?? 0.01, maxGradNorm: o.maxGradNorm === undefined ? 1 : o.maxGradNorm });
      step++;
      report.steps.push({ step, loss, lr: rate, gradNorm });
      o.onStep?.({ step, epoch, loss, lr: rate, gradNorm, tokensPerSecond: tokens / ((performance.now() - t0) / 1000) });
      if (typeof o.evalEvery === "number" && step % o.evalEvery === 0) await evaluate(epoch);
      if (o.signal?.aborted) { report.aborted = true; break outer; }
    }
    if ((o.evalEvery ?? "epoch") === "epoch") await evaluate(epoch);
  }
  return report;
}

/** Loss, and for classification accuracy / macro F1 / MCC, of the current adapter on `set`. */
export async function evaluateSet(trainer: LoraTrainer, set: Examples, batchSize: number): Promise<Omit<EvalInfo, "step" | "epoch">> {
  const C = trainer.numLabels, z = new Float32Array(set.ids.length * C);
  for (let s = 0; s < set.ids.length; s += batchSize) z.set(await trainer.logits(packBatch(set.ids.slice(s, s + batchSize))), s * C);
  return scoreLogits(z, set.labels, C);
}

function shuffle(a: number[], r: () => number): void {
  for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [a[i], a[j]] = [a[j], a[i]]; }
}

/** Dropout is not applied (training is deterministic, p = 0); say so once when asked for. */
export function warnDropout(what: string, p: number | undefined): void {
  if (p !== undefined && p !== 0) warnOnce(`dropout:${what}`, `fineTune: ${what} ${p} is not applied (germ-js trains without dropout, as the training goldens do)`);
}
