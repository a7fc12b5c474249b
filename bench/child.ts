// One bench child process: germ-js Wasm and onnxruntime-web at one thread count, runs interleaved so machine
// noise hits both alike (see run.ts). "rss" measures peak memory of the Wasm backend alone at 8×128.
import * as ort from "onnxruntime-web";
import { createBackend } from "../src/backend/create.js";
import { Tensor } from "../src/tensor/tensor.js";
import { Weight } from "../src/tensor/weight.js";
import { linear } from "../src/ops/ops.js";
import { encode } from "../src/model/encoder.js";
import { SeqIndex } from "../src/contract/seq.js";
import type { ModelState } from "../src/model/state.js";
import { disposeWeights } from "../src/model/weights.js";
import { buildModel, onnxEncoder, onnxGemm, tokenIds, weight, H } from "./model-117m.js";
import { loraRows, type LoraRow } from "./lora.js";
import { peakRssMB } from "./peak-rss.js";

export interface GemmRow { m: number; n: number; k: number; wasm: number; ort?: number; q8?: number; q4?: number }
export interface ForwardRow { batch: number; tokens: number; wasm?: number; ort?: number; reference?: number; maxDiff?: number; cosine?: number }
export interface ChildResult {
  kind: "compare" | "rss"; threads: number; wasm: string; ort?: string;
  gemm: GemmRow[]; forward: ForwardRow[]; peakRssMB?: number; loadRssMB?: number; wasmMemoryMB?: number;
  /** W8A8: germ-js q8 (when the backend runs it) vs onnxruntime-web's dynamic int8 graph; cosine = theirs vs ours. */
  q8?: ForwardRow[]; q8Note?: string;
  /** LoRA at 8×128 (2 × 128 with --quick), each against the base forward timed beside it. */
  lora?: LoraRow[];
}
interface Opts { reps: number; layers: number; quick: boolean; lora: boolean }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gc = () => (globalThis as { gc?: () => void }).gc?.();
/** Idle gap before each timed block: the other engine's thread pool (ort-web's spins after a run) settles first. */
const settle = () => new Promise((r) => setTimeout(r, 200));

/** Time `a` and `b` alternately (after one warm-up each); medians in seconds. For long runs (a forward pass). */
async function interleave(reps: number, a: () => Promise<void>, b?: () => Promise<void>): Promise<[number, number | undefined]> {
  const ta: number[] = [], tb: number[] = [];
  await a(); if (b) await b();
  for (let r = 0; r < reps; r++) {
    await settle();
    let t0 = performance.now(); await a(); ta.push((performance.now() - t0) / 1000);
    if (b) { await settle(); t0 = performance.now(); await b(); tb.push((performance.now() - t0) / 1000); }
  }
  return [median(ta), b ? median(tb) : undefined];
}

/**
 * Short runs (one GEMM): alternate blocks of `reps` runs, each after a pause and an untimed warm-up run, 3 rounds.
 * Back-to-back alternation would time each engine while the other's idle threads still spin (ort-web's keep a
 * core busy for milliseconds after a run), which on 2 cores halved the 2-thread GEMM numbers (measured).
 */
async function blocks(reps: number, a: () => Promise<void>, b: () => Promise<void>): Promise<[number, number]> {
  const ta: number[] = [], tb: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const [f, t] of [[a, ta], [b, tb]] as const) {
      await settle();
      await f();
      for (let r = 0; r < reps; r++) { const t0 = performance.now(); await f(); t.push((performance.now() - t0) / 1000); }
    }
  }
  return [median(ta), median(tb)];
}

async function forward(m: ModelState, batch: number, tokens: number): Promise<Float32Array> {
  const x = await encode(m, { ids: tokenIds(batch, tokens), seqs: SeqIndex.of(Array(batch).fill(tokens)) });
  try { return await x.data(); } finally { x.dispose(); }
}

async function ortSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}

export async function runChild(kind: "compare" | "rss", threads: number, o: Opts): Promise<ChildResult> {
  const b = await createBackend("wasm", { threads });
  const res: ChildResult = { kind, threads, wasm: b.caps.description, gemm: [], forward: [] };
  if (kind === "rss") {
    const model = buildModel(b, o.layers);
    gc();
    res.loadRssMB = process.memoryUsage().rss / 2 ** 20;
    for (let r = 0; r < 2; r++) await forward(model, 8, 128);
    res.peakRssMB = peakRssMB();
    res.wasmMemoryMB = (b as unknown as { memoryBytes: number }).memoryBytes / 2 ** 20;
    return res;
  }
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = "error";
  res.ort = `onnxruntime-web ${ort.env.versions?.web ?? ""} wasm EP, numThreads ${threads}`;

  // GEMM at the four linear shapes of a layer.
  const shapes: [number, number][] = [[3 * H, H], [H, H], [8 * H, H], [H, 4 * H]];
  for (const m of o.quick ? [128] : [128, 1024]) {
    for (const [n, k] of shapes) {
      const xs = weight(`x${m}x${k}`, m * k, 1);
      const x = Tensor.from(b, xs, [m, k]);
      const w = Weight.from(b, weight(`gemm${n}x${k}`, n * k, 0.05), [n, k]), bias = Tensor.from(b, weight(`bias${n}`, n, 0.05), [n]);
      const s = await ortSession(onnxGemm(m, n, k));
      const feeds = { x: new ort.Tensor("float32", xs, [m, k]) };
      const reps = m >= 1024 ? o.reps : o.reps * 2;
      const [tw, to] = await blocks(reps,
        async () => { const y = linear(x, w, bias); await b.flush(); y.dispose(); },
        async () => { const r = await s.run(feeds); r.y.dispose(); });
      const flop = 2 * m * n * k;
      // The same GEMM with q8 (W8A8, activations quantized per row on the fly) and q4 (W4A16) weights: GOP/s.
      let quant: { q8?: number; q4?: number } = {};
      if (b.supports("linear", { format: "q8" }) === true && b.supports("linear", { format: "q4" }) === true) {
        const [w8, w4] = (["q8", "q4"] as const).map((f) => Weight.from(b, weight(`gemm${n}x${k}`, n * k, 0.05), [n, k], f));
        const run = (wq: Weight) => async () => { const y = linear(x, wq, bias); await b.flush(); y.dispose(); };
        const [t8, t4] = await blocks(reps, run(w8!), run(w4!));
        quant = { q8: flop / t8 / 1e9, q4: flop / t4 / 1e9 };
        [w8!, w4!].forEach((t) => t.dispose());
      }
      res.gemm.push({ m, n, k, wasm: flop / tw / 1e9, ort: flop / to! / 1e9, ...quant });
      await s.release();
      [x, w, bias].forEach((t) => t.dispose());
    }
  }

  // Full encoder forward.
  const model = buildModel(b, o.layers);
  const shapesF: [number, number][] = o.quick ? [[1, 128], [2, 128]] : [[1, 128], [8, 128], [1, 512]];
  for (const [batch, tokens] of shapesF) {
    gc();
    const s = await ortSession(onnxEncoder(batch, tokens, o.layers));
    gc();
    const ids = tokenIds(batch, tokens);
    const feeds = { ids: new ort.Tensor("int64", BigInt64Array.from(ids, (v) => BigInt(v)), [ids.length]) };
    const ours = await forward(model, batch, tokens);
    const theirs = (await s.run(feeds)).hidden.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
    const [tw, to] = await interleave(o.reps,
      async () => { await forward(model, batch, tokens); },
      async () => { const r = await s.run(feeds); r.hidden.dispose(); });
    res.forward.push({ batch, tokens, wasm: (batch * tokens) / tw, ort: (batch * tokens) / to!, maxDiff });
    await s.release();
  }
  if (o.lora) res.lora = await loraRows(b, model, interleave, o.reps, o.quick ? 2 : 8);
  disposeWeights(model.weights);

  // W8A8: germ-js q8 against onnxruntime-web's standard dynamic int8 path on the same encoder.
  const q8ok = b.supports("linear", { format: "q8" });
  const q8 = q8ok === true ? buildModel(b, o.layers, "q8") : null;
  if (q8ok !== true) res.q8Note = q8ok.reason;
  res.q8 = [];
  for (const [batch, tokens] of shapesF) {
    gc();
    const s = await ortSession(onnxEncoder(batch, tokens, o.layers, true));
    const ids = tokenIds(batch, tokens);
    const feeds = { ids: new ort.Tensor("int64", BigInt64Array.from(ids, (v) => BigInt(v)), [ids.length]) };
    const theirs = (await s.run(feeds)).hidden.data as Float32Array;
    let cosine: number | undefined;
    if (q8) {
      const ours = await forward(q8, batch, tokens);
      let dot = 0, a = 0, c = 0;
      for (let i = 0; i < ours.length; i++) { dot += ours[i] * theirs[i]; a += ours[i] ** 2; c += theirs[i] ** 2; }
      cosine = dot / Math.sqrt(a * c);
    }
    const [tw, to] = await interleave(o.reps,
      async () => { if (q8) await forward(q8, batch, tokens); },
      async () => { const r = await s.run(feeds); r.hidden.dispose(); });
    res.q8.push({ batch, tokens, wasm: q8 ? (batch * tokens) / tw : undefined, ort: (batch * tokens) / to!, cosine });
    await s.release();
  }
  if (q8) disposeWeights(q8.weights);
  b.dispose();

  // Reference backend: one layer at 1×128, scaled to the full depth (it is far too slow for 12).
  if (threads === 1) {
    const rb = await createBackend("reference");
    const rm = buildModel(rb, 1);
    const [tr] = await interleave(1, async () => { await forward(rm, 1, 128); });
    res.forward[0].reference = 128 / (tr * o.layers);
    rb.dispose();
  }
  return res;
}
