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

/** The training loop's options (FineTuneOptions adds the adapter and head). */
export interface LoopOptions {
  /** Passes over the training set (default 3). */
  epochs?: number;
  /** Stop after this many optimizer steps (default: epochs decide). */
  maxSteps?: number;
  /** Sequences per step (default 16). */
  batchSize?: number;
  /** Shuffle the training set every epoch (default true), seeded by `seed`. */
  shuffle?: boolean;
  /** Seed (default 42) of the shuffling and of the LoRA A initialisation: the same seed gives the same run. */
  seed?: number;
  /** Peak learning rate (default 1e-4). */
  lr?: number;
  /** AdamW's decoupled weight decay (default 0.01; no decay on the classifier bias). */
  weightDecay?: number;
  /** Steps of linear warm-up from 0 (default 0). */
  warmupSteps?: number;
  /** "linear" decay to 0 after the warm-up (default, the HF Trainer's) or "constant". */
  schedule?: "linear" | "constant";
  /** Batches whose gradients are summed before each optimizer step (default 1). */
  gradAccumulation?: number;
  /** null: no clipping. Default 1.0 (the HF Trainer's). */
  maxGradNorm?: number | null;
  /** "epoch" (default) or every N optimizer steps. */
  evalEvery?: "epoch" | number;
  /** Called after every optimizer step. */
  onStep?: (s: StepInfo) => void;
  /** Stops training after the current step; the adapter trained so far is kept (the report's `aborted` is true). */
  signal?: AbortSignal;
}

/**
 * Progress of one optimizer step, passed to `onStep`.
 * @category Training
 */
export interface StepInfo {
  /** Optimizer steps done, from 1. */
  step: number;
  /** Epoch of this step, from 0. */
  epoch: number;
  /** Training loss of the step's batch (mean cross-entropy, or MSE for regression). */
  loss: number;
  /** Learning rate the step used. */
  lr: number;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** Training throughput of the step. */
  tokensPerSecond: number;
}

/**
 * One evaluation of `evalSet`.
 * @category Training
 */
export interface EvalInfo {
  /** Optimizer steps done when it ran. */
  step: number;
  /** Epoch it ran after, from 0. */
  epoch: number;
  /** Mean loss over the evaluation set. */
  loss: number;
  /** Share of correct argmax labels (classification). */
  accuracy?: number;
  /** Macro-averaged F1 (classification). */
  f1?: number;
  /** Matthews correlation coefficient (classification; GUE's metric). */
  mcc?: number;
}

/** The history of a run. */
export interface RunReport {
  /** Every optimizer step, in order. */
  steps: {
    /** Optimizer steps done, from 1. */
    step: number;
    /** Training loss of the step's batch. */
    loss: number;
    /** Learning rate the step used. */
    lr: number;
    /** Gradient norm before clipping. */
    gradNorm: number;
  }[];
  /** Evaluations of `evalSet`, in order. */
  evals: EvalInfo[];
  /** True when `signal` stopped the run early. */
  aborted: boolean;
}

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
