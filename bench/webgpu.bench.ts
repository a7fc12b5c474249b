// WebGPU benchmark: f32 GEMM GFLOP/s at DNABERT-2-117M layer shapes, and
// encoder tokens/s at the 117M shape (12 layers, hidden 768, 12 heads, intermediate 3072; random weights in memory).
// Run: node build/bench/webgpu.bench.js [--tokens N] [--layers L] [--reps R] [--dtype f16]   (no GPU: source .lvp25/env.sh first)
// Writes bench-results/webgpu-<dtype>.json. On a software adapter (lavapipe/SwiftShader) the numbers say nothing about speed.
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createWebGpuBackend, type WebGpuBackend } from "../src/backend/webgpu/webgpu.js";
import { Tensor } from "../src/tensor/tensor.js";
import { Weight } from "../src/tensor/weight.js";
import { linear } from "../src/ops/ops.js";
import { encode } from "../src/model/encoder.js";
import { SeqIndex } from "../src/contract/seq.js";
import { buildModel } from "./model-117m.js";
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

const r = rng(1);
const rand = (n: number, scale = 0.05) => uniform(r, n, scale);
const up = (shape: number[], scale?: number) => Tensor.from(b, rand(shape.reduce((x, y) => x * y, 1), scale), shape);
// --dtype f16: GEMM weights stored as halves (f32 accumulation), as fromPretrained({ dtype: "f16" }) does.
const wDtype = values.dtype === "f16" ? "f16" : "f32";
if (wDtype === "f16" && !b.caps.f16) { console.error("webgpu: --dtype f16 needs shader-f16, which this adapter lacks"); process.exit(1); }
const upW = (shape: [number, number]) => Weight.from(b, rand(shape[0] * shape[1]), shape, wDtype);

// GEMM rows: the four linears of one encoder layer at m = tokens.
const H = 768, I = 3072;
const gemms: [string, number, number][] = [["Wqkv", 3 * H, H], ["attn dense", H, H], ["gated_layers", 2 * I, H], ["wo", H, I]];
const rows: Record<string, unknown>[] = [];
for (const [name, n, k] of gemms) {
  const x = up([tokens, k], 1), w = upW([n, k]), bias = up([n]);
  linear(x, w, bias).dispose();
  await b.flush(); // compile + first run outside the timing
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) linear(x, w, bias).dispose();
  await b.flush();
  const s = (performance.now() - t0) / 1000;
  const gflops = (2 * tokens * n * k * reps) / s / 1e9;
  rows.push({ kernel: `linear ${name} (${wDtype} weights)`, m: tokens, n, k, ms: (s * 1000) / reps, gflops });
  x.dispose(); w.dispose(); bias.dispose();
}

// Encoder forward at the 117M shape with random weights (bench/model-117m.ts; one softmax1 sequence of `tokens`).
const base = buildModel(b, layers, wDtype);
const model = { ...base, config: { ...base.config, attnSoftmax: "softmax1" as const } };
const batch = { ids: Int32Array.from({ length: tokens }, (_, i) => 5 + (i * 37) % 4000), seqs: SeqIndex.of([tokens]) };
const forward = async () => { const h = await encode(model, batch); await h.data(); h.dispose(); };
await forward();
const fwdReps = Math.max(1, Math.min(reps, software ? 1 : 10));
const t0 = performance.now();
for (let r = 0; r < fwdReps; r++) await forward();
const fwdS = (performance.now() - t0) / 1000 / fwdReps;
rows.push({ kernel: `encoder ${layers} layers (${wDtype} weights)`, m: tokens, ms: fwdS * 1000, tokensPerS: tokens / fwdS, layers });

console.log("| kernel | m | n | k | ms | GFLOP/s | tokens/s |\n|---|---|---|---|---|---|---|");
for (const r of rows) {
  const f = (v: unknown, d = 1) => (typeof v === "number" ? v.toFixed(d) : "");
  console.log(`| ${r.kernel} | ${r.m} | ${r.n ?? ""} | ${r.k ?? ""} | ${f(r.ms, 2)} | ${f(r.gflops)} | ${f(r.tokensPerS)} |`);
}
if (software) console.log("# software Vulkan: not meaningful for speed");
mkdirSync("bench-results", { recursive: true });
writeFileSync(`bench-results/webgpu-${wDtype}.json`, JSON.stringify({ adapter: b.caps.description, label, tokens, layers, reps, rows }, null, 2));
b.dispose();
process.exit(0);
