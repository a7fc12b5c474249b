// The model golden suite, written once and run per backend/runtime: every fixture model, both checkpoint
// formats, against the PyTorch reference outputs in ../shared/fixtures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { GermModel } from "../../src/pipeline/germ-model.js";
import type { ModelSource } from "../../src/io/checkpoint.js";
import { readSafetensors, } from "../../src/io/safetensors.js";
import { toFloat32 } from "../../src/io/raw-tensor.js";
import type { BackendName } from "../../src/backend/backend.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./fixtures.js";
import { assertClose } from "./compare.js";

export const GOLDEN_MODELS = ["tiny-softmax", "tiny-softmax1", "tiny-softmax1-cls", "tiny-softmax-cls"];

/** A directory source that can hide files, to force one checkpoint format. */
export function dirSource(dir: string, hide: string[] = []): ModelSource {
  return {
    location: dir,
    async get(file) {
      const p = join(dir, file);
      return hide.includes(file) || !existsSync(p) ? null : new Uint8Array(readFileSync(p));
    },
  };
}

export function goldenArrays(dir: string): (name: string) => Float32Array {
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(dir, "golden.safetensors"))), "golden.safetensors");
  return (name) => {
    const t = tensors.get(name);
    assert.ok(t, `golden.safetensors has no "${name}"`);
    return toFloat32(t, name);
  };
}

/** Max abs error per fixture/format, filled as tests run (printed at the end for the closing note). */
export const errorReport: Record<string, number> = {};

export function runGoldenSuite(device: BackendName, opts: { threads?: number } = {}): void {
  const root = fixturesDir();
  for (const name of GOLDEN_MODELS) {
    const dir = root ? join(root, name) : "";
    const formats = root && existsSync(join(dir, "pytorch_model.bin")) ? ["safetensors", "bin"] : ["safetensors"];
    for (const format of formats) {
      test(`golden ${name} (${format}) on ${device}${opts.threads ? ` ×${opts.threads}` : ""}`, { skip: root ? false : NO_FIXTURES }, async () => {
        const g = readJson(join(dir, "golden.json"));
        const want = goldenArrays(dir);
        const hide = format === "bin" ? ["model.safetensors"] : ["pytorch_model.bin"];
        const model = await GermModel.fromPretrained(dirSource(dir, hide), { device, threads: opts.threads });
        let worst = 0;
        const track = (e: number) => { worst = Math.max(worst, e); };
        try {
          assert.equal(model.config.attnSoftmax, g.attn_softmax);
          const seqs = g.sequences as any[];
          for (const s of seqs) assert.deepEqual(model.tokenizer.encode(s.text).ids, s.input_ids, `token ids of ${s.name}`);
          const texts = seqs.map((s) => s.text as string);
          const { lastHiddenState } = await model.forward(texts);
          const mean = await model.embed(texts, { pooling: "mean" });
          seqs.forEach((s, i) => {
            if (s.last_hidden_state_stored) track(assertClose(lastHiddenState[i], want(`${s.name}/last_hidden_state`), `${s.name} last_hidden_state`));
            track(assertClose(mean[i], want(`${s.name}/mean_pooled`), `${s.name} mean_pooled`));
          });
          // Batched and one-at-a-time runs must agree (the packed batch may not leak between sequences).
          for (const [i, t] of texts.entries()) {
            const [single] = (await model.forward([t])).lastHiddenState;
            assertClose(single, lastHiddenState[i], `${seqs[i].name} single vs batched`, 1e-5, 1e-5);
          }
          if (g.model_class === "BertForSequenceClassification") {
            const pooled = await model.embed(texts, { pooling: "pooler" });
            const cls = await model.classify(texts);
            seqs.forEach((s, i) => {
              track(assertClose(pooled[i], want(`${s.name}/pooler_output`), `${s.name} pooler_output`));
              track(assertClose(cls[i].logits, want(`${s.name}/cls_logits`), `${s.name} cls_logits`));
              assert.equal(cls[i].probs.reduce((a, b) => a + b, 0).toFixed(5), "1.00000");
            });
          }
          // Outlier statistics (validate_sc.py): per-token ∞-norm and kurtosis, raw layer outputs where stored,
          // and the summary metrics per sequence and over the whole batch.
          const report = await model.outliers(texts, { activations: true });
          seqs.forEach((s, i) => {
            report.sequences[i].layers.forEach((l, j) => {
              for (const kind of ["wo", "layernorm"] as const) {
                const base = `${s.name}/layer.${j}.mlp.${kind}`;
                track(assertClose(l[kind].infNorm, want(`${base}.inf_norm`), `${base}.inf_norm`));
                assertClose(l[kind].kurtosis, want(`${base}.kurtosis`), `${base}.kurtosis`, 1e-3, 1e-3);
                if (s.layer_outputs_stored) track(assertClose(l[`${kind}Activations`]!, want(base), base));
              }
            });
          });
          const single = await Promise.all(texts.map((t) => model.outliers([t])));
          const checkSummary = (got: typeof report.summary, m: any, what: string) => {
            for (const [name, v] of Object.entries(got.modules)) {
              assertClose([v.infNormMean], [m[name]], `${what} ${name} inf-norm mean`);
              assertClose([v.kurtosisMean], [m.kurtosis_avg_per_module[name]], `${what} ${name} kurtosis mean`, 1e-3, 1e-3);
            }
            assertClose([got.maxFfnOutInfNorm, got.maxLnOutInfNorm], [m.max_ffn_out_inf_norm, m.max_LN_out_inf_norm], `${what} max inf-norms`);
            assertClose([got.avgKurtosis, got.maxKurtosis], [m.avg_kurtosis, m.max_kurtosis], `${what} kurtosis summary`, 1e-3, 1e-3);
          };
          seqs.forEach((s, i) => checkSummary(single[i].summary, s.validate_sc_metrics, s.name));
          checkSummary(report.summary, g.batch.validate_sc_metrics, "batch");
          for (const m of (g.mlm ?? []) as any[]) {
            const [logits] = await model.maskedLM({ inputIds: [m.input_ids] });
            track(assertClose(logits, want(`mlm:${m.name}/mlm_logits`), `${m.name} mlm_logits`));
          }
        } finally {
          model.dispose();
        }
        errorReport[`${name}/${format}/${device}`] = worst;
      });
    }
  }
  test(`golden error report (${device})`, { skip: root ? false : NO_FIXTURES }, () => {
    for (const [k, v] of Object.entries(errorReport)) console.log(`# max |err| ${k}: ${v.toExponential(2)}`);
  });
}
