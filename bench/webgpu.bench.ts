// WebGPU benchmark, float (f32, or f16 with --dtype f16), q8 and q4 weights in one run: GEMM G(FL)OP/s at the four
// DNABERT-2-117M layer shapes, encoder tokens/s at the 117M shape (12 layers, hidden 768, 12 heads, intermediate 3072;
// random weights in memory) and the projection weights' bytes. Before any timing, each GEMM's output is checked on
// sample rows against the reference backend (q8 bit for bit, floats and q4 within the conformance GEMM bound) and each
// quantized encoder against the float one (cosine), so a broken kernel cannot report a speed.
// Run: node build/bench/webgpu.bench.js [--tokens N] [--layers L] [--reps R] [--dtype f16]   (no GPU: source .lvp25/env.sh first)
// Sizes: GEMM m = tokens (512), encoder 1×128, 8×128, 1×512; on a software adapter (lavapipe/SwiftShader, whose numbers
// say nothing about speed) m = 64, 2 layers, encoder 1×64. Writes bench-results/webgpu-<float dtype>.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createWebGpuBackend, type WebGpuBackend } from "../src/backend/webgpu/webgpu.js";
import { createBackend } from "../src/backend/create.js";
import { FORMATS, type FormatName } from "../src/contract/formats.js";
import { Tensor } from "../src/tensor/tensor.js";
import { Weight } from "../src/tensor/weight.js";
import { linear } from "../src/ops/ops.js";
import { encode } from "../src/model/encoder.js";
import { SeqIndex } from "../src/contract/seq.js";
import { disposeWeights } from "../src/model/weights.js";
import { buildModel, tokenIds, H, I } from "./model-117m.js";
import { compare, cosine } from "../test/helpers/compare.js";
import { rng, uniform } from "../test/helpers/rng.js";

const made = await createWebGpuBackend({});
if ("unavailable" in made) { console.error(`webgpu unavailable: ${made.unavailable}`); process.exit(1); }
const b = made as WebGpuBackend;
const software = /fallback|swiftshader|llvmpipe|lavapipe/i.test(b.caps.description);
const { values } = parseArgs({ options: { tokens: { type: "string" }, layers: { type: "string" }, reps: { type: "string" }, dtype: { type: "string" } } });
const tokens = Number(values.tokens ?? (software ? 64 : 512));
const layers = Number(values.layers ?? (software ? 2 : 12));
const reps = Number(values.reps ?? (software ? 2 : 20));
const label = software ? "software Vulkan: not meaningful for speed" : "hardware adapter";
console.log(`# webgpu: ${b.caps.description} (${label})`);

// --dtype f16: float weights stored as halves (f32 accumulation), as fromPretrained({ dtype: "f16" }) does.
const floatDtype: FormatName = values.dtype === "f16" ? "f16" : "f32";
if (floatDtype === "f16" && !b.caps.f16) { console.error("webgpu: --dtype f16 needs shader-f16, which this adapter lacks"); process.exit(1); }
const dtypes = ([floatDtype, "q8", "q4"] as const).filter((f) => {
  const ok = b.supports("linear", { format: f });
  if (ok !== true) console.log(`# ${f}: skipped: ${ok.reason}`);
  return ok === true;
});
const ref = await createBackend("reference");
const r = rng(1);
const H3 = 3 * H, I2 = 2 * I;
const gemms: [string, number, number][] = [["Wqkv", H3, H], ["attn dense", H, H], ["gated_layers", I2, H], ["wo", H, I]];
/** Bytes a [n, k] weight takes in `format` (data + f32 scales). */
const weightBytes = (f: FormatName, n: number, k: number) => FORMATS[f].dataBytes(n, k) + 4 * FORMATS[f].scaleCount(n, k);
// The conformance suite's f32 GEMM bound (k ≤ 3072, test/conformance/cases.ts GEMM_TOL); q8 is exact on every backend.
const GEMM_ATOL = 2e-5, GEMM_RTOL = 2e-5;

interface Row { kernel: string; dtype: FormatName; m: number; n?: number; k?: number; weightMB: number; ms: number; gops?: number; tokensPerS?: number; check: string }
const rows: Row[] = [];

/** linear on sample rows of x (first, middle, last) on the reference backend vs the same rows of `got`: "" or why not. */
async function checkGemm(f: FormatName, xs: Float32Array, wv: Float32Array, bv: Float32Array, m: number, n: number, k: number, got: Float32Array): Promise<string> {
  const sample = [...new Set([0, m >> 1, m - 1])];
  const rx = new Float32Array(sample.length * k);
  sample.forEach((i, j) => rx.set(xs.subarray(i * k, (i + 1) * k), j * k));
  const [x, w, bias] = [Tensor.from(ref, rx, [sample.length, k]), Weight.from(ref, wv, [n, k], f), Tensor.from(ref, bv, [n])];
  const y = linear(x, w, bias), want = await y.data();
  [x, w, bias, y].forEach((t) => t.dispose());
  const mine = new Float32Array(want.length);
  sample.forEach((i, j) => mine.set(got.subarray(i * n, (i + 1) * n), j * n));
  if (f === "q8") {
    const bad = mine.findIndex((v, i) => !Object.is(v, want[i]));
    return bad < 0 ? "bit-exact" : `FAILED: not bit-exact (${mine[bad]} vs ${want[bad]} at ${bad})`;
  }
  const c = compare(mine, want, GEMM_ATOL, GEMM_RTOL);
  // no "|" in a check: it is a markdown table cell
  return c.ok ? `max err ${c.maxAbs.toExponential(1)}` : `FAILED: max err ${c.maxAbs.toExponential(1)} > ${GEMM_ATOL} + ${GEMM_RTOL}·want`;
}

// GEMM rows: the four linears of one encoder layer at m = tokens, each weight format.
for (const f of dtypes) {
  for (const [name, n, k] of gemms) {
    const xs = uniform(r, tokens * k), wv = uniform(r, n * k, 0.05), bv = uniform(r, n, 0.05);
    const x = Tensor.from(b, xs, [tokens, k]), w = Weight.from(b, wv, [n, k], f), bias = Tensor.from(b, bv, [n]);
    const y0 = linear(x, w, bias); // compiles + first run outside the timing
    const check = await checkGemm(f, xs, wv, bv, tokens, n, k, await y0.data());
    y0.dispose();
    let ms = NaN;
    if (!check.startsWith("FAILED")) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) linear(x, w, bias).dispose();
      await b.flush();
      ms = (performance.now() - t0) / reps;
    }
    rows.push({ kernel: `linear ${name}`, dtype: f, m: tokens, n, k, weightMB: weightBytes(f, n, k) / 1e6, ms, gops: (2 * tokens * n * k) / ms / 1e6, check });
    [x, w, bias].forEach((t) => t.dispose());
  }
}

// Encoder forward (bench/model-117m.ts, softmax1) per weight format; quantized outputs checked against the float one.
const shapes: [number, number][] = software ? [[1, tokens]] : [[1, 128], [8, 128], [1, 512]];
const layerBytes = (f: FormatName) => gemms.reduce((s, [, n, k]) => s + weightBytes(f, n, k), 0) * layers;
// Random weights, 2 layers on lavapipe: q8 measured 0.99999, q4 0.99975; below 0.95 is a broken kernel, not rounding.
const MIN_COSINE = 0.95;
const floatOut = new Map<string, Float32Array>();
for (const f of dtypes) {
  const base = buildModel(b, layers, f);
  const model = { ...base, config: { ...base.config, attnSoftmax: "softmax1" as const } };
  for (const [batch, len] of shapes) {
    const input = { ids: tokenIds(batch, len), seqs: SeqIndex.of(Array(batch).fill(len)) };
    const forward = async () => { const h = await encode(model, input); const d = await h.data(); h.dispose(); return d; };
    const out = await forward(), key = `${batch}×${len}`;
    let check = out.every(Number.isFinite) ? "finite" : "FAILED: non-finite output";
    if (f === floatDtype) floatOut.set(key, out);
    else if (!check.startsWith("FAILED")) {
      const cos = cosine(out, floatOut.get(key)!);
      check = cos >= MIN_COSINE ? `cosine ${cos.toFixed(5)} vs ${floatDtype}` : `FAILED: cosine ${cos.toFixed(5)} vs ${floatDtype} < ${MIN_COSINE}`;
    }
    let ms = NaN;
    if (!check.startsWith("FAILED")) {
      const fwdReps = Math.max(1, Math.min(reps, software ? 1 : 10));
      const t0 = performance.now();
      for (let i = 0; i < fwdReps; i++) await forward();
      ms = (performance.now() - t0) / fwdReps;
    }
    rows.push({ kernel: `encoder ${layers} layers`, dtype: f, m: batch * len, weightMB: layerBytes(f) / 1e6, ms, tokensPerS: (batch * len) / (ms / 1000), check: `${key}: ${check}` });
  }
  disposeWeights(model.weights);
}

const fmt = (v: number | undefined, d = 1) => (v === undefined || Number.isNaN(v) ? "" : v.toFixed(d));
console.log("| kernel | weights | m | n | k | weight MB | ms | GFLOP/s (GOP/s) | tokens/s | check |\n|---|---|---|---|---|---|---|---|---|---|");
for (const x of rows) {
  console.log(`| ${x.kernel} | ${x.dtype} | ${x.m} | ${x.n ?? ""} | ${x.k ?? ""} | ${fmt(x.weightMB, 2)} | ${fmt(x.ms, 2)} | ${fmt(x.gops)} | ${fmt(x.tokensPerS)} | ${x.check} |`);
}
console.log("# weight MB: the projection weights (data + scales; encoder rows: all layers); embeddings and LayerNorms stay f32");
if (software) console.log("# software Vulkan: not meaningful for speed");
mkdirSync("bench-results", { recursive: true });
writeFileSync(`bench-results/webgpu-${floatDtype}.json`, JSON.stringify({ adapter: b.caps.description, label, tokens, layers, reps, rows }, null, 2));
const failed = rows.filter((x) => x.check.includes("FAILED"));
ref.dispose();
b.dispose();
if (failed.length) console.error(`webgpu bench: ${failed.length} check(s) failed: ${failed.map((x) => `${x.kernel} ${x.dtype}`).join(", ")}`);
process.exit(failed.length ? 1 : 0);
