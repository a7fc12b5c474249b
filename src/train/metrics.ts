// Evaluation metrics of fine-tuning, as GUE reports them (sklearn's definitions): accuracy, macro F1 and the
// Matthews correlation coefficient (multi-class: Gorodkin's R_K, sklearn's matthews_corrcoef).

import { crossEntropy, meanSquaredError } from "./loss.js";

export interface Metrics { accuracy: number; f1: number; mcc: number }

export function classificationMetrics(pred: ArrayLike<number>, truth: ArrayLike<number>, classes: number): Metrics {
  const n = truth.length, C = Array.from({ length: classes }, () => new Float64Array(classes));
  for (let i = 0; i < n; i++) C[truth[i]][pred[i]]++;
  let correct = 0, f1 = 0;
  const t = new Float64Array(classes), p = new Float64Array(classes);
  for (let k = 0; k < classes; k++) {
    correct += C[k][k];
    for (let j = 0; j < classes; j++) { t[k] += C[k][j]; p[k] += C[j][k]; }
  }
  // Macro F1 over the labels that occur in truth or predictions (sklearn's default label set).
  let present = 0;
  for (let k = 0; k < classes; k++) {
    if (t[k] + p[k] === 0) continue;
    present++;
    f1 += (2 * C[k][k]) / (t[k] + p[k]);
  }
  let tDotP = 0, pDotP = 0, tDotT = 0;
  for (let k = 0; k < classes; k++) { tDotP += t[k] * p[k]; pDotP += p[k] * p[k]; tDotT += t[k] * t[k]; }
  const cov = correct * n - tDotP, denom = Math.sqrt((n * n - pDotP) * (n * n - tDotT));
  return { accuracy: n ? correct / n : 0, f1: present ? f1 / present : 0, mcc: denom === 0 ? 0 : cov / denom };
}

/** The evaluation of logits [n, C] (flat) against labels: mean loss (CE, or MSE when C = 1) and classification metrics. */
export function scoreLogits(z: Float32Array, labels: number[], C: number): { loss: number } & Partial<Metrics> {
  if (C === 1) return { loss: meanSquaredError(z, labels).loss };
  const pred = labels.map((_, i) => {
    let best = 0;
    for (let c = 1; c < C; c++) if (z[i * C + c] > z[i * C + best]) best = c;
    return best;
  });
  return { loss: crossEntropy(z, labels, C).loss, ...classificationMetrics(pred, labels, C) };
}
