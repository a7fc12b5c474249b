// Every golden check of one fixture model, written once for all runtimes (Node and Deno read fixtures from disk,
// the browser over HTTP; both then call checkGolden). Isomorphic: no node: imports.
import type { GermModel } from "../../src/pipeline/germ-model.js";
import type { ModelSource } from "../../src/io/checkpoint.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { toFloat32 } from "../../src/io/raw-tensor.js";
import { assertClose } from "./compare.js";

export const GOLDEN_MODELS = ["tiny-softmax", "tiny-softmax1", "tiny-softmax1-cls", "tiny-softmax-cls"];

/**
 * The representative golden subset that software-GPU runs use outside CI (a forward there takes ~10 s per model):
 * both softmax variants, an MLM and a classifier checkpoint, safetensors only. CI=true (or GERM_FULL=1) runs all.
 */
export const GOLDEN_QUICK = { models: ["tiny-softmax1", "tiny-softmax-cls"], formats: ["safetensors"] };

/** Whether a run on a backend described as `description` takes the quick subsets: a software GPU adapter, outside CI. */
export function quickOnSoftwareGpu(description: string, full: boolean): boolean {
  return !full && /software|fallback|llvmpipe|lavapipe|swiftshader/i.test(description);
}

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

/** How close outputs must be to the goldens: |got − want| ≤ atol + rtol·|want|; kurtosis (4th moments) uses `kurtosis` for both. */
export interface GoldenTolerance { atol: number; rtol: number; kurtosis: number }

/** f32 weights on every backend: the fixtures' rule. */
export const GOLDEN_TOL_F32: GoldenTolerance = { atol: 1e-4, rtol: 1e-4, kurtosis: 1e-3 };

/**
 * f16 GEMM weights (f32 accumulation), WebGPU on lavapipe 25 vs the f32 PyTorch goldens: the weight rounding
 * (relative 2^-11) moves outputs by at most |err| / (1 + |want|) = 4.7e-3 (last_hidden_state of tiny-softmax1; max
 * |err| 5.5e-3 there, 7.7e-3 on an ∞-norm of 21) and kurtosis by 4.7e-3 relative (0.078 on 58.4). The reference
 * backend with the same f16 weights measures the same (it is the rounding, not the kernel). Bound: ~3× those.
 */
export const GOLDEN_TOL_F16: GoldenTolerance = { atol: 1.5e-2, rtol: 1.5e-2, kurtosis: 1.5e-2 };

/**
 * The LoRA golden: the adapter directory `adapter` applied (unmerged) over the base fixture `base`; golden.json of
 * the adapter directory holds the outputs of the merged model (W + s·B·A, the adapter's classifier).
 */
export const GOLDEN_LORA = { adapter: "tiny-softmax1-cls-lora", base: "tiny-softmax1-cls" };

/**
 * Run every check against golden.json `g` and arrays `want`; returns the max abs error seen. `adapter` names a loaded
 * adapter every call runs with.
 */
export async function checkGolden(model: GermModel, g: any, want: (name: string) => Float32Array, tol: GoldenTolerance = GOLDEN_TOL_F32,
  opts: { adapter?: string } = {}): Promise<number> {
  const ad = { adapter: opts.adapter };
  const { atol, rtol, kurtosis: kt } = tol;
  let worst = 0;
  const track = (e: number) => { worst = Math.max(worst, e); };
  if (model.config.attnSoftmax !== g.attn_softmax) throw new Error(`softmax ${model.config.attnSoftmax} ≠ golden ${g.attn_softmax}`);
  const seqs = g.sequences as any[];
  for (const s of seqs) assertClose(model.tokenizer.encode(s.text).ids, s.input_ids, `token ids of ${s.name}`, 0, 0);
  const texts = seqs.map((s) => s.text as string);
  const { lastHiddenState } = await model.forward(texts, ad);
  const mean = await model.embed(texts, { pooling: "mean", ...ad });
  seqs.forEach((s, i) => {
    if (s.last_hidden_state_stored) track(assertClose(lastHiddenState[i], want(`${s.name}/last_hidden_state`), `${s.name} last_hidden_state`, atol, rtol));
    track(assertClose(mean[i], want(`${s.name}/mean_pooled`), `${s.name} mean_pooled`, atol, rtol));
  });
  // Batched and one-at-a-time runs must agree (the packed batch may not leak between sequences).
  for (const [i, t] of texts.entries()) {
    const [single] = (await model.forward([t], ad)).lastHiddenState;
    assertClose(single, lastHiddenState[i], `${seqs[i].name} single vs batched`, 1e-5, 1e-5);
  }
  if (String(g.model_class).startsWith("BertForSequenceClassification")) {
    const pooled = await model.embed(texts, { pooling: "pooler", ...ad });
    const cls = await model.classify(texts, ad);
    seqs.forEach((s, i) => {
      track(assertClose(pooled[i], want(`${s.name}/pooler_output`), `${s.name} pooler_output`, atol, rtol));
      track(assertClose(cls[i].logits, want(`${s.name}/cls_logits`), `${s.name} cls_logits`, atol, rtol));
      assertClose([cls[i].probs.reduce((a, b) => a + b, 0)], [1], `${s.name} probs sum`, 1e-5, 0);
    });
  }
  // Outlier statistics (validate_sc.py): per-token ∞-norm and kurtosis, raw layer outputs where stored,
  // and the summary metrics per sequence and over the whole batch.
  const report = await model.outliers(texts, { activations: true, ...ad });
  seqs.forEach((s, i) => {
    report.sequences[i].layers.forEach((l, j) => {
      for (const kind of ["wo", "layernorm"] as const) {
        const base = `${s.name}/layer.${j}.mlp.${kind}`;
        track(assertClose(l[kind].infNorm, want(`${base}.inf_norm`), `${base}.inf_norm`, atol, rtol));
        assertClose(l[kind].kurtosis, want(`${base}.kurtosis`), `${base}.kurtosis`, kt, kt);
        if (s.layer_outputs_stored) track(assertClose(l[`${kind}Activations`]!, want(base), base, atol, rtol));
      }
    });
  });
  const single: (typeof report)[] = [];
  for (const t of texts) single.push(await model.outliers([t], ad));
  const checkSummary = (got: typeof report.summary, m: any, what: string) => {
    for (const [name, v] of Object.entries(got.modules)) {
      assertClose([v.infNormMean], [m[name]], `${what} ${name} inf-norm mean`, atol, rtol);
      assertClose([v.kurtosisMean], [m.kurtosis_avg_per_module[name]], `${what} ${name} kurtosis mean`, kt, kt);
    }
    assertClose([got.maxFfnOutInfNorm, got.maxLnOutInfNorm], [m.max_ffn_out_inf_norm, m.max_LN_out_inf_norm], `${what} max inf-norms`, atol, rtol);
    assertClose([got.avgKurtosis, got.maxKurtosis], [m.avg_kurtosis, m.max_kurtosis], `${what} kurtosis summary`, kt, kt);
  };
  seqs.forEach((s, i) => checkSummary(single[i].summary, s.validate_sc_metrics, s.name));
  checkSummary(report.summary, g.batch.validate_sc_metrics, "batch");
  for (const m of (g.mlm ?? []) as any[]) {
    const [logits] = await model.maskedLM({ inputIds: [m.input_ids] }, ad);
    track(assertClose(logits, want(`mlm:${m.name}/mlm_logits`), `${m.name} mlm_logits`, atol, rtol));
  }
  return worst;
}
