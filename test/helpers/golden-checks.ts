// Every golden check of one fixture model, written once for all runtimes (Node and Deno read fixtures from disk,
// the browser over HTTP; both then call checkGolden). Isomorphic: no node: imports.
import type { GermModel } from "../../src/pipeline/germ-model.js";
import type { ModelSource } from "../../src/io/checkpoint.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { toFloat32 } from "../../src/io/raw-tensor.js";
import { assertClose } from "./compare.js";

export const GOLDEN_MODELS = ["tiny-softmax", "tiny-softmax1", "tiny-softmax1-cls", "tiny-softmax-cls"];

/** A fixture directory read through `read` (fs or fetch); `hide` forces one checkpoint format. */
export function fixtureSource(location: string, read: (file: string) => Promise<Uint8Array | null>, hide: string[] = []): ModelSource {
  return { location, get: (file) => (hide.includes(file) ? Promise.resolve(null) : read(file)) };
}

/** golden.safetensors as a lookup that fails loudly on a missing name. */
export function goldenLookup(bytes: Uint8Array): (name: string) => Float32Array {
  const { tensors } = readSafetensors(bytes, "golden.safetensors");
  return (name) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`golden.safetensors has no "${name}"`);
    return toFloat32(t, name);
  };
}

/** Run every check against golden.json `g` and arrays `want`; returns the max abs error seen (tolerance 1e-4 + 1e-4·|want|). */
export async function checkGolden(model: GermModel, g: any, want: (name: string) => Float32Array): Promise<number> {
  let worst = 0;
  const track = (e: number) => { worst = Math.max(worst, e); };
  if (model.config.attnSoftmax !== g.attn_softmax) throw new Error(`softmax ${model.config.attnSoftmax} ≠ golden ${g.attn_softmax}`);
  const seqs = g.sequences as any[];
  for (const s of seqs) assertClose(model.tokenizer.encode(s.text).ids, s.input_ids, `token ids of ${s.name}`, 0, 0);
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
      assertClose([cls[i].probs.reduce((a, b) => a + b, 0)], [1], `${s.name} probs sum`, 1e-5, 0);
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
  const single: (typeof report)[] = [];
  for (const t of texts) single.push(await model.outliers([t]));
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
  return worst;
}
