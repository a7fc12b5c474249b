// classify/predict on a CSV or TSV with a `label` column: accuracy, macro F1 and MCC (src/train/metrics.ts, as
// finetune reports them) over the labelled records this run classifies, on stderr and with --metrics in a JSON file.
import { open, type FileHandle } from "node:fs/promises";
import { InputError } from "../errors.js";
import type { SequenceRecord } from "../io/fasta.js";
import { classificationMetrics, type Metrics } from "../train/metrics.js";

/**
 * The predicted class is the argmax of the probabilities. A label that is a class index (0, 1, …, as GUE and
 * finetune have them) is compared with it; any other label with the model's label names (id2label), learnt from
 * the predictions; a name the model never predicts counts as a class of its own (always wrong).
 */
export class LabelScore {
  private readonly pred: number[] = [];
  private readonly truth: (number | string)[] = [];
  private readonly names = new Map<string, number>();
  unlabelled = 0;

  add(batch: SequenceRecord[], results: { probs: Float32Array; label: string }[]): void {
    batch.forEach((r, i) => {
      const { probs, label } = results[i]!;
      let best = 0;
      for (let c = 1; c < probs.length; c++) if (probs[c]! > probs[best]!) best = c;
      this.names.set(label, best);
      if (r.label === undefined || r.label === "") { this.unlabelled++; return; }
      this.pred.push(best);
      this.truth.push(/^\d+$/.test(r.label) ? Number(r.label) : r.label);
    });
  }

  get labelled(): number { return this.pred.length; }

  metrics(): Metrics & { n: number; classes: number } {
    const extra = new Map<string, number>();
    let top = 0; // a loop, not Math.max(...): millions of records overflow the stack as arguments
    for (const k of this.pred) top = Math.max(top, k);
    for (const k of this.names.values()) top = Math.max(top, k);
    for (const t of this.truth) if (typeof t === "number") top = Math.max(top, t);
    let classes = top + 1;
    const truth = this.truth.map((t) => {
      if (typeof t === "number") return t;
      const k = this.names.get(t) ?? extra.get(t);
      if (k !== undefined) return k;
      extra.set(t, classes);
      return classes++;
    });
    return { n: truth.length, classes, ...classificationMetrics(this.pred, truth, classes) };
  }
}

/** The summary line on stderr. */
export function metricsLine(m: Metrics & { n: number }, unlabelled: number): string {
  return `${m.n} labelled sequences${unlabelled ? ` (${unlabelled} without a label left out)` : ""}: accuracy ${m.accuracy.toFixed(4)}, macro F1 ${m.f1.toFixed(4)}, MCC ${m.mcc.toFixed(4)}`;
}

/** --metrics FILE.json: opened before the model loads (a bad path fails first), written at the end. */
export class MetricsFile {
  private constructor(readonly path: string, private readonly fh: FileHandle) {}

  static async open(path: string): Promise<MetricsFile> {
    const fh = await open(path, "w").catch((e) => {
      const code = (e as { code?: string }).code;
      throw new InputError(`--metrics: cannot write '${path}': ${code === "ENOENT" ? "no such directory" : code ?? (e as Error).message}`);
    });
    return new MetricsFile(path, fh);
  }

  async write(value: object): Promise<void> {
    await this.fh.write(JSON.stringify(value, null, 2) + "\n");
  }

  async close(): Promise<void> { await this.fh.close().catch(() => {}); }
}
