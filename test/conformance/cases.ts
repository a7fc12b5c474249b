// Conformance cases as data: op, name, the compile-time facts a backend is asked about (needs), seeded host inputs,
// and a tolerance that states the number it was set from. harness.ts runs each on every backend and compares with
// the reference backend — expected values are never pasted here. Benchmarks read these cases too.
import type { Backend } from "../../src/contract/backend.js";
import { FORMATS, type FormatName } from "../../src/contract/formats.js";
import type { OpName, OpNeeds, SoftmaxKind } from "../../src/contract/spec.js";
import { SeqIndex } from "../../src/contract/seq.js";
import { alibiSlopes, geluErfGrad } from "../../src/contract/math.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { Weight } from "../../src/tensor/weight.js";
import { attention, axpy, fakeQuant, gather, gluGelu, layerNorm, linear, loraAdd, meanPool, rowStats, unary } from "../../src/ops/ops.js";
import { adamw, attentionBackward, dropout, gluGeluBackward, layerNormBackward, matmul, scatterRows, unaryBackward } from "../../src/ops/grad.js";
import type { Tolerance } from "../helpers/compare.js";
import { uniform, rng } from "../helpers/rng.js";

export interface Disposable { dispose(): void }

/** Inputs made on the host once; `run` uploads them to a backend (registering what it made in `keep`) and applies the op. */
export interface CaseInputs { run(b: Backend, keep: Disposable[]): Tensor }

export interface OpCase<K extends OpName = OpName> {
  op: K;
  name: string;
  /** What Backend.supports is asked before the case runs (a skip prints its answer). */
  needs: OpNeeds[K];
  seed: number;
  make(r: () => number): CaseInputs;
  tol: Tolerance;
  /**
   * The same output computed another way (e.g. row by row) from the same seeded inputs: on the backend under test it
   * must equal `make`'s output bit for bit (batch independence, which tolerances against the reference cannot show).
   */
  invariant?(r: () => number): CaseInputs;
  /** In the representative subset that the slow software-GPU runtimes run outside CI (every case runs under CI=true). */
  quick?: boolean;
}

/** A gradient case: an analytic gradient checked against central differences through an op on the reference backend. */
export interface GradientCase {
  name: string;
  seed: number;
  /** `grad`: the analytic gradient, given, or computed by backward ops on the backend passed. */
  make(r: () => number): { x: Float32Array; f(b: Backend, x: Float32Array): Promise<number>; grad: Float32Array | ((b: Backend) => Promise<Float32Array>) };
  tol: { atol: number; rtol: number };
}

const t = (b: Backend, keep: Disposable[], data: Float32Array, shape: number[], format: FormatName = "f32"): Tensor => {
  const x = Tensor.from(b, data, shape, format);
  keep.push(x);
  return x;
};

const w = (b: Backend, keep: Disposable[], data: Float32Array, shape: [number, number], format: FormatName): Weight => {
  const x = Weight.from(b, data, shape, format);
  keep.push(x);
  return x;
};

// f32 GEMM with k ≤ 3072 of values in [-1, 1): reordered summation differs by ~k·2^-24·|terms| ≈ 1e-4 worst case.
const GEMM_TOL: Tolerance = { mode: "close", atol: 2e-5, rtol: 2e-5 };

// f16 weights: both sides multiply by the same f16-rounded weights (the reference decodes them and sums in f64,
// WebGPU widens them in the shader and sums in f32), so the f32 GEMM bound still holds.
// Measured on lavapipe 25 (Dawn): max |err| 3.2e-6 (k = 768; 0.09 of this bound), the same as f32 weights at that k.
const GEMM_F16_TOL = GEMM_TOL;

/**
 * One [rows, cols] output made of row blocks that separate ops computed: `parts` gives each block's tensor and, per
 * row of it, the output row it lands in. `run` is synchronous, so the join happens in data(): each part is read back
 * and its rows uploaded into this tensor's own buffer, which is then read as any tensor is (the parts go in `keep`).
 */
class JoinedRows extends Tensor {
  constructor(b: Backend, shape: [number, number], private readonly parts: { t: Tensor; rows: number[] }[]) {
    super(b, b.alloc(Math.max(shape[0] * shape[1] * 4, 4)), shape);
  }

  override async data(): Promise<Float32Array> {
    const cols = this.shape[1];
    for (const { t, rows } of this.parts) {
      const d = await t.data();
      rows.forEach((row, j) => this.backend.upload(this.buf, d.subarray(j * cols, (j + 1) * cols), row * cols * 4));
    }
    return super.data();
  }
}

/**
 * linear's batch invariant: a row's output may not depend on the other rows of its batch (their number, its position,
 * the thread split). The rows of x go through separate calls in blocks of 1, 2, 3, 4, 5, 1, 2, … rows (so single rows,
 * pairs, lone rows after pairs, quads), each block with its rows in reverse order, and the outputs are joined back in
 * order. `setup` uploads the layer once and returns the op on one block's x.
 */
function linearByBlocks(m: number, n: number, k: number, x: Float32Array, setup: (b: Backend, keep: Disposable[]) => (x: Tensor) => Tensor): CaseInputs {
  return {
    run: (b, keep) => {
      const call = setup(b, keep);
      const parts: { t: Tensor; rows: number[] }[] = [];
      for (let s = 0, len = 1; s < m; s += len, len = len % 5 + 1) {
        const size = Math.min(len, m - s), rows = Array.from({ length: size }, (_, j) => s + size - 1 - j);
        const xb = new Float32Array(size * k);
        rows.forEach((row, j) => xb.set(x.subarray(row * k, (row + 1) * k), j * k));
        const y = call(t(b, keep, xb, [size, k]));
        keep.push(y);
        parts.push({ t: y, rows });
      }
      return new JoinedRows(b, [m, n], parts);
    },
  };
}

function linearCase(m: number, n: number, k: number, bias = true, format: FormatName = "f32", quick = false): OpCase<"linear"> {
  const inputs = (r: () => number) => ({ x: uniform(r, m * k), wt: uniform(r, n * k, 0.1), bv: uniform(r, n) });
  const layer = (b: Backend, keep: Disposable[], v: ReturnType<typeof inputs>) =>
    ({ wt: w(b, keep, v.wt, [n, k], format), bv: bias ? t(b, keep, v.bv, [n]) : undefined });
  return {
    op: "linear", name: `linear m${m} n${n} k${k}${bias ? " +bias" : ""}${format === "f32" ? "" : ` w:${format}`}`,
    needs: { format }, seed: m * 7919 + n * 31 + k, tol: format === "f16" ? GEMM_F16_TOL : GEMM_TOL, quick,
    make: (r) => {
      const v = inputs(r);
      return { run: (b, keep) => { const l = layer(b, keep, v); return linear(t(b, keep, v.x, [m, k]), l.wt, l.bv); } };
    },
    invariant: (r) => {
      const v = inputs(r);
      return linearByBlocks(m, n, k, v.x, (b, keep) => { const l = layer(b, keep, v); return (x) => linear(x, l.wt, l.bv); });
    },
  };
}

function q8IntegerCase(m: number, n: number, k: number): OpCase<"linear"> {
  const ints = (r: () => number, rows: number) => {
    const v = Float32Array.from({ length: rows * k }, () => Math.round((r() * 2 - 1) * 127));
    for (let i = 0; i < rows; i++) v[i * k + Math.floor(r() * k)] = r() < 0.5 ? 127 : -127;
    return v;
  };
  const inputs = (r: () => number) => { const x = ints(r, m); return { x, wt: ints(r, n) }; };
  return {
    op: "linear", name: `linear m${m} n${n} k${k} w:q8 integer-exact`, needs: { format: "q8" }, seed: m * 7919 + n * 31 + k + 1,
    tol: { mode: "exact" }, quick: m === 65,
    make: (r) => {
      const { x, wt } = inputs(r);
      return { run: (b, keep) => linear(t(b, keep, x, [m, k]), w(b, keep, wt, [n, k], "q8")) };
    },
    invariant: (r) => {
      const { x, wt } = inputs(r);
      return linearByBlocks(m, n, k, x, (b, keep) => { const q = w(b, keep, wt, [n, k], "q8"); return (xb) => linear(xb, q); });
    },
  };
}

/**
 * q8 with a static activation scale (WeightArg.inputScale) s = 2^-8: x in ±1 (≈ half its values beyond ±127·s, which
 * clamp to ±127), every 5th value an exact tie (j + ½)·s that must round half to even. Integer sums and the f32
 * epilogue follow the same steps on every backend, so the outputs must be the reference's bit for bit.
 */
function q8StaticCase(m: number, n: number, k: number, bias = true, quick = false): OpCase<"linear"> {
  const s = 2 ** -8;
  const inputs = (r: () => number) => {
    const x = uniform(r, m * k);
    for (let i = 0; i < x.length; i += 5) x[i] = (Math.floor(r() * 300) - 150 + 0.5) * s;
    return { x, wt: uniform(r, n * k, 0.1), bv: uniform(r, n) };
  };
  const layer = (b: Backend, keep: Disposable[], v: ReturnType<typeof inputs>) => {
    const q = Weight.fromEncoded(b, "q8", { ...FORMATS.q8.encode(v.wt, n, k), inputScale: s }, [n, k]);
    keep.push(q);
    return { q, bv: bias ? t(b, keep, v.bv, [n]) : undefined };
  };
  return {
    op: "linear", name: `linear m${m} n${n} k${k}${bias ? " +bias" : ""} w:q8 static input scale`, needs: { format: "q8" },
    seed: m * 7919 + n * 31 + k + 2, tol: { mode: "exact" }, quick,
    make: (r) => {
      const v = inputs(r);
      return { run: (b, keep) => { const l = layer(b, keep, v); return linear(t(b, keep, v.x, [m, k]), l.q, l.bv); } };
    },
    invariant: (r) => {
      const v = inputs(r);
      return linearByBlocks(m, n, k, v.x, (b, keep) => { const l = layer(b, keep, v); return (x) => linear(x, l.q, l.bv); });
    },
  };
}

function attentionCase(lens: number[], heads: number, headDim: number, softmax: SoftmaxKind, maskEvery = 0, scale = 1, quick = false): OpCase<"attention"> {
  const H = heads * headDim, nnz = lens.reduce((a, c) => a + c, 0);
  return {
    op: "attention", quick,
    name: `attention ${softmax} seqs [${lens.join(",")}] h${heads} d${headDim}${maskEvery ? ` mask/${maskEvery}` : ""}${scale !== 1 ? ` ×${scale}` : ""}`,
    needs: { softmax, headDim, mask: maskEvery !== 0 }, seed: nnz * 13 + heads * 101 + headDim,
    // ×60 makes scores ~3e3, where one f32 ulp is 2.4e-4: rounding the scores to f32 alone (a fround emulation of
    // the reference) moves outputs by up to 5.2e-3 at |ref| ≈ 25; WebGPU on lavapipe measured 6.0e-4.
    tol: scale === 1 ? { mode: "close", atol: 2e-5, rtol: 2e-5 } : { mode: "close", atol: 1e-2, rtol: 1e-3 },
    make: (r) => {
      const qkv = uniform(r, nnz * 3 * H, scale);
      // maskEvery < 0 masks every key: softmax1 and vanilla must both give zero rows, never NaN.
      const keyMask = maskEvery === 0 ? undefined : Uint8Array.from({ length: nnz }, (_, i) => (maskEvery < 0 || i % maskEvery === 0 ? 0 : 1));
      const seqs = SeqIndex.of(lens);
      return { run: (b, keep) => attention(t(b, keep, qkv, [nnz, 3 * H]), { seqs, heads, softmax, slopes: alibiSlopes(heads), keyMask }) };
    },
  };
}

function layerNormCase(rows: number, cols: number, residual: boolean, quick = false): OpCase<"layerNorm"> {
  return {
    op: "layerNorm", name: `layerNorm ${rows}×${cols}${residual ? " +residual" : ""}`, needs: {}, seed: rows * 17 + cols, quick,
    tol: { mode: "close", atol: 1e-5, rtol: 1e-5 },
    make: (r) => {
      const x = uniform(r, rows * cols, 3), g = uniform(r, cols), be = uniform(r, cols), res = uniform(r, rows * cols);
      return { run: (b, keep) => layerNorm(t(b, keep, x, [rows, cols]), t(b, keep, g, [cols]), t(b, keep, be, [cols]), 1e-12,
        residual ? t(b, keep, res, [rows, cols]) : undefined) };
    },
  };
}

/**
 * LoRA's update on rows `row0 … row0 + rows` of a [m, n] output (the rest must stay untouched). Its invariant applies
 * the same update one row at a time: each row's result may not depend on its neighbours (mixed-adapter batches).
 * Values as an adapter has them: A ~ U(±1/√k) (peft's init), B ~ ±0.05, scale 2 (alpha 16, r 8). Two f32 GEMMs with
 * k ≤ 3072 and a rank ≤ 64: the f32 GEMM bound.
 */
function loraCase(m: number, n: number, k: number, r: number, row0 = 0, rows = m, quick = false): OpCase<"lora"> {
  const inputs = (rnd: () => number) => ({
    x: uniform(rnd, m * k), a: uniform(rnd, r * k, 1 / Math.sqrt(k)), bt: uniform(rnd, r * n, 0.05), y: uniform(rnd, m * n),
  });
  const apply = (ranges: [number, number][]) => (rnd: () => number): CaseInputs => {
    const v = inputs(rnd);
    return {
      run: (b, keep) => {
        const x = t(b, keep, v.x, [m, k]), a = t(b, keep, v.a, [r, k]), bt = t(b, keep, v.bt, [r, n]);
        const y = Tensor.from(b, v.y, [m, n]);
        for (const [start, count] of ranges) loraAdd(y, x, a, bt, 2, { start, count });
        return y;
      },
    };
  };
  return {
    op: "lora", name: `lora m${m} n${n} k${k} r${r}${row0 !== 0 || rows !== m ? ` rows ${row0}…${row0 + rows}` : ""}`, needs: {},
    seed: m * 7 + n * 131 + k * 3 + r, quick, tol: GEMM_TOL,
    make: apply([[row0, rows]]),
    invariant: apply(Array.from({ length: rows }, (_, i): [number, number] => [row0 + i, 1])),
  };
}

const FORWARD_CASES: OpCase[] = [
  ...[[1, 1, 1], [1, 8, 4], [3, 5, 7], [4, 8, 16], [5, 13, 33], [63, 64, 65], [64, 64, 64], [65, 129, 127], [129, 96, 64], [128, 192, 64], [7, 4096, 64]]
    .map(([m, n, k]) => linearCase(m, n, k, true, "f32", m === 65)),
  linearCase(33, 130, 256, false),
  ...[[1, 1, 1], [3, 5, 7], [5, 13, 33], [63, 64, 65], [65, 129, 127], [7, 768, 768]].map(([m, n, k]) => linearCase(m, n, k, true, "f16", m === 65)),
  linearCase(33, 130, 256, false, "f16"),
  // q8 (W8A8): integers in [−127, 127] with a ±127 in every row make every scale exactly 1, so the output is the
  // integer sum itself, which any backend that accumulates in int32 must reproduce bit for bit (k 3072: sums up
  // to 5e7 round to f32 the same way everywhere).
  ...[[1, 1, 1], [3, 5, 7], [65, 129, 127], [7, 768, 3072]].map(([m, n, k]) => q8IntegerCase(m, n, k)),
  // q8 on random values: the same activation quantizer (f32 division, round half to even) and f32 epilogue on every
  // backend: measured identical to the reference on Wasm; 1e-6 leaves room for one rounding step elsewhere.
  ...[[1, 8, 4], [5, 13, 33], [63, 64, 65], [33, 130, 256]].map(([m, n, k]) => ({ ...linearCase(m, n, k, true, "q8", m === 63), tol: { mode: "close", atol: 1e-6, rtol: 1e-6 } as Tolerance })),
  // q8 with a static activation scale: clamping, ties, M = 1, M = 0, odd K, N = 1, one panel plus a column tail.
  ...[[1, 1, 1], [1, 8, 3], [0, 8, 5], [5, 1, 33], [65, 129, 127], [9, 768, 768]].map(([m, n, k]) => q8StaticCase(m, n, k, true, m === 65)),
  q8StaticCase(33, 130, 256, false),
  // q4: every backend dequantizes to the same f32 weights (q·scale), so the f32 GEMM bound holds. k straddles the
  // 32-element group (7, 33, 65) and is a multiple of it (64, 768).
  ...[[1, 1, 7], [3, 5, 33], [65, 129, 65], [4, 8, 64], [7, 768, 768]].map(([m, n, k]) => linearCase(m, n, k, true, "q4", m === 65)),
  // q4 at small m: a block of one row unpacks in registers, 2+ rows use dequantized panels, so the invariant's blocks
  // of 1–5 rows check that both give the same bits. Odd k, k mod 32 ≠ 0, k < 4, n mod 8 ≠ 0, n = 1, an odd panel count
  // (40 = 5 panels), and m 129 (its last block is one row).
  ...[[1, 40, 35], [1, 23, 97], [1, 8, 3], [2, 16, 45], [3, 13, 33], [5, 24, 31], [8, 17, 65], [9, 1, 67], [129, 24, 35]]
    .map(([m, n, k]) => linearCase(m, n, k, true, "q4")),
  linearCase(1, 40, 35, false, "q4"),
  ...(["vanilla", "softmax1"] as const).flatMap((s) => [
    attentionCase([1], 4, 16, s), attentionCase([3, 4, 5], 4, 16, s, 0, 1, true), attentionCase([63, 64, 65], 4, 16, s),
    attentionCase([127, 1, 129], 2, 32, s), attentionCase([7, 33], 12, 64, s, 0, 1, s === "softmax1"), attentionCase([9, 17], 6, 8, s),
    attentionCase([5, 11], 3, 12, s, 3, 1, s === "vanilla"), attentionCase([4, 6], 4, 4, s, -1, 1, s === "softmax1"), attentionCase([20], 4, 16, s, 0, 60),
  ]),
  layerNormCase(1, 64, false), layerNormCase(5, 63, true, true), layerNormCase(129, 768, true), layerNormCase(3, 5, false),
  ...[[1, 4], [3, 5], [65, 128]].map(([rows, inner]): OpCase<"gluGelu"> => ({
    op: "gluGelu", name: `gluGelu ${rows}×${inner}`, needs: {}, seed: rows + inner, quick: rows === 65,
    tol: { mode: "close", atol: 1e-6, rtol: 1e-5 },
    make: (r) => { const x = uniform(r, rows * 2 * inner, 4); return { run: (b, keep) => gluGelu(t(b, keep, x, [rows, 2 * inner])) }; },
  })),
  ...[[1, 5, 1], [50, 64, 9], [4096, 12, 130]].map(([rows, cols, n]): OpCase<"gather"> => ({
    op: "gather", name: `gather ${n} of ${rows}×${cols}`, needs: {}, seed: rows + cols + n, quick: n === 9, tol: { mode: "exact" },
    make: (r) => {
      const table = uniform(r, rows * cols);
      const ids = Int32Array.from({ length: n }, () => Math.floor(r() * rows));
      const add = uniform(r, cols);
      return { run: (b, keep) => gather(t(b, keep, table, [rows, cols]), ids, t(b, keep, add, [cols])) };
    },
  })),
  ...[[[1], 8], [[3, 1, 65], 33], [[129, 64], 768]].map(([lens, cols]): OpCase<"meanPool"> => {
    const l = lens as number[], c = cols as number, n = l.reduce((a, x) => a + x, 0);
    return {
      op: "meanPool", name: `meanPool [${lens}] × ${cols}`, needs: {}, seed: n + c, quick: c === 33,
      tol: { mode: "close", atol: 1e-6, rtol: 1e-5 },
      make: (r) => { const x = uniform(r, n * c); return { run: (b, keep) => meanPool(t(b, keep, x, [n, c]), SeqIndex.of(l)) }; },
    };
  }),
  ...(["tanh", "gelu"] as const).map((kind): OpCase<"unary"> => ({
    op: "unary", name: `unary ${kind} 1027`, needs: { kind }, seed: 1027, quick: true, tol: { mode: "close", atol: 1e-6, rtol: 1e-5 },
    make: (r) => { const x = uniform(r, 1027, 6); return { run: (b, keep) => unary(t(b, keep, x, [1027]), kind) }; },
  })),
  // rowStats feeds kurtosis (a 4th moment): Σ(x−mean)⁴ over 768 values of |x| ≤ 8 is ~4e5, f32 sums of it
  // reorder to ~1e-6 relative; the ∞-norm is exact. Shapes straddle the SIMD width and the 256-thread workgroup.
  ...[[1, 1], [3, 5], [65, 768], [9, 257]].map(([rows, cols]): OpCase<"rowStats"> => ({
    op: "rowStats", name: `rowStats ${rows}×${cols}`, needs: {}, seed: rows * 31 + cols, quick: rows === 65,
    tol: { mode: "close", atol: 1e-5, rtol: 2e-5 },
    make: (r) => {
      // One large outlier per row, as the paper's activations have.
      const x = uniform(r, rows * cols, 2);
      for (let i = 0; i < rows; i++) x[i * cols + Math.floor(r() * cols)] = 8 * (r() - 0.5);
      return { run: (b, keep) => rowStats(t(b, keep, x, [rows, cols])) };
    },
  })),
  // axpy: the reference rounds α·x + y once (f64), Wasm twice (product, then sum; FMA in the relaxed build):
  // ≤ 1 ulp of |α·x| ≤ 2^-24·3 apart, so 1e-6 covers it. Sizes straddle the SIMD width and the chunk size.
  ...[1, 5, 4099].map((size): OpCase<"axpy"> => ({
    op: "axpy", name: `axpy ${size}`, needs: {}, seed: size, quick: size === 4099, tol: { mode: "close", atol: 1e-6, rtol: 1e-6 },
    make: (r) => {
      const x = uniform(r, size, 2), y = uniform(r, size);
      return { run: (b, keep) => axpy(-1.5, t(b, keep, x, [size]), t(b, keep, y, [size])) };
    },
  })),
  // fakeQuant: the same f32 steps (division, round half to even, multiply) everywhere, so exact. Rows straddle the
  // SIMD width; 2, 4 and 8 bits; one constant row (asymmetric: returned unchanged).
  ...[[1, 1, 8, false], [3, 5, 4, false], [9, 257, 2, false], [65, 768, 8, true], [4, 33, 4, true]].map(([rows, cols, bits, sym]): OpCase<"fakeQuant"> => ({
    op: "fakeQuant", name: `fakeQuant ${rows}×${cols} ${bits}-bit ${sym ? "symmetric" : "asymmetric"}`, needs: {},
    seed: (rows as number) * 131 + (cols as number) + (bits as number), quick: rows === 65, tol: { mode: "exact" },
    make: (r) => {
      const x = uniform(r, (rows as number) * (cols as number), 3);
      if ((rows as number) > 2) x.fill(0.25, cols as number, 2 * (cols as number));
      return { run: (b, keep) => fakeQuant(t(b, keep, x, [rows as number, cols as number]), bits as number, sym as boolean) };
    },
  })),
  // fakeQuant with a static range (calibration): values outside it clamp; asymmetric and symmetric; a range whose
  // zero point is not 0 (lo > 0), and a constant range (returned unchanged).
  ...[[7, 65, 8, false, [-1.5, 2]], [5, 300, 4, true, [-2, 1]], [3, 17, 4, false, [0.25, 1.75]], [2, 9, 8, false, [0.5, 0.5]]].map(([rows, cols, bits, sym, range]): OpCase<"fakeQuant"> => ({
    op: "fakeQuant", name: `fakeQuant ${rows}×${cols} ${bits}-bit ${sym ? "symmetric" : "asymmetric"} range [${(range as number[]).join(", ")}]`, needs: {},
    seed: (rows as number) * 17 + (cols as number), quick: cols === 300, tol: { mode: "exact" },
    make: (r) => {
      const x = uniform(r, (rows as number) * (cols as number), 3);
      return { run: (b, keep) => fakeQuant(t(b, keep, x, [rows as number, cols as number]), bits as number, sym as boolean, range as [number, number]) };
    },
  })),
  // lora: k and n straddle the SIMD width (1, 3, 5, 33) and the 117M shapes (768 → 2304, 3072 → 768); ranks 1…64;
  // a row range inside the batch (how a mixed-adapter batch applies each adapter to its own sequences).
  loraCase(1, 1, 1, 1), loraCase(3, 5, 33, 4), loraCase(5, 3, 64, 8, 0, 5, true), loraCase(37, 2304, 768, 8, 5, 24, true),
  loraCase(9, 768, 3072, 16), loraCase(17, 130, 257, 64, 16, 1), loraCase(4, 64, 768, 3, 1, 2),
  {
    // Into rows 5…13 of a zeroed [16, 4] tensor (how outliers() gathers every layer of a forward in one buffer).
    op: "rowStats", name: "rowStats 9×257 into rows 5… of [16, 4]", needs: {}, seed: 9 * 31 + 257, quick: true,
    tol: { mode: "close", atol: 1e-5, rtol: 2e-5 },
    make: (r) => {
      const x = uniform(r, 9 * 257, 2);
      return { run: (b, keep) => rowStats(t(b, keep, x, [9, 257]), { out: Tensor.from(b, new Float32Array(64), [16, 4]), row: 5 }) };
    },
  },
];

// ---- Training ops (LoRA fine-tuning). Each backward op is also checked against finite differences of its forward
// op (GRADIENT_CASES); here every backend is compared with the reference backend. ----

function matmulCase(m: number, n: number, k: number, transA: boolean, transB: boolean, accumulate = false, quick = false): OpCase<"matmul"> {
  return {
    op: "matmul", name: `matmul m${m} n${n} k${k}${transA ? " aᵀ" : ""}${transB ? " bᵀ" : ""}${accumulate ? " +=" : ""}`, needs: {},
    seed: m * 7919 + n * 31 + k + (transA ? 1 : 0) + (transB ? 2 : 0), tol: GEMM_TOL, quick,
    make: (r) => {
      const a = uniform(r, m * k), b = uniform(r, k * n, 0.1), c = uniform(r, m * n);
      return {
        run: (bk, keep) => {
          const A = t(bk, keep, a, transA ? [k, m] : [m, k]), B = t(bk, keep, b, transB ? [n, k] : [k, n]);
          return matmul(A, B, { transA, transB, alpha: accumulate ? -0.5 : 1, into: accumulate ? Tensor.from(bk, c, [m, n]) : undefined });
        },
      };
    },
  };
}

function attentionBackwardCase(lens: number[], heads: number, headDim: number, softmax: SoftmaxKind, quick = false): OpCase<"attentionBackward"> {
  const H = heads * headDim, nnz = lens.reduce((a, c) => a + c, 0);
  return {
    op: "attentionBackward", name: `attentionBackward ${softmax} seqs [${lens.join(",")}] h${heads} d${headDim}`, quick,
    needs: { softmax, headDim }, seed: nnz * 17 + heads * 103 + headDim,
    // Sums over up to 129 keys of products of O(1) terms: the f32 attention bound.
    tol: { mode: "close", atol: 2e-5, rtol: 2e-4 },
    make: (r) => {
      const qkv = uniform(r, nnz * 3 * H), go = uniform(r, nnz * H);
      const seqs = SeqIndex.of(lens), o = { seqs, heads, softmax, slopes: alibiSlopes(heads) };
      return {
        run: (b, keep) => {
          const x = t(b, keep, qkv, [nnz, 3 * H]), ctx = attention(x, o);
          keep.push(ctx);
          return attentionBackward(x, ctx, t(b, keep, go, [nnz, H]), o);
        },
      };
    },
  };
}

const TRAIN_CASES: OpCase[] = [
  matmulCase(1, 1, 1, false, false), matmulCase(3, 5, 7, true, false), matmulCase(5, 13, 33, false, true, false, true),
  matmulCase(64, 65, 63, true, true), matmulCase(8, 192, 35, true, false, true, true), matmulCase(35, 8, 192, false, true, true),
  matmulCase(129, 96, 64, false, false, true), matmulCase(4, 768, 512, true, false), matmulCase(2, 3, 0, false, false, true),
  ...(["vanilla", "softmax1"] as const).flatMap((s) => [
    attentionBackwardCase([1], 4, 16, s), attentionBackwardCase([3, 4, 5], 4, 16, s, true), attentionBackwardCase([63, 1, 65], 2, 32, s),
    attentionBackwardCase([7, 33], 12, 64, s, s === "softmax1"), attentionBackwardCase([9, 17], 6, 8, s),
  ]),
  ...[[1, 64, false], [5, 63, true], [129, 768, true], [3, 5, false]].map(([rows, cols, res]): OpCase<"layerNormBackward"> => ({
    op: "layerNormBackward", name: `layerNormBackward ${rows}×${cols}${res ? " +residual" : ""}`, needs: {}, seed: (rows as number) * 19 + (cols as number),
    quick: rows === 5, tol: { mode: "close", atol: 1e-5, rtol: 1e-4 },
    make: (r) => {
      const n = (rows as number) * (cols as number), x = uniform(r, n, 3), g = uniform(r, cols as number, 1, 1), res2 = uniform(r, n), go = uniform(r, n);
      return { run: (b, keep) => layerNormBackward(t(b, keep, x, [rows as number, cols as number]), t(b, keep, g, [cols as number]),
        t(b, keep, go, [rows as number, cols as number]), 1e-12, res ? t(b, keep, res2, [rows as number, cols as number]) : undefined) };
    },
  })),
  ...[[1, 4], [3, 5], [65, 128]].map(([rows, inner]): OpCase<"gluGeluBackward"> => ({
    op: "gluGeluBackward", name: `gluGeluBackward ${rows}×${inner}`, needs: {}, seed: rows * 3 + inner, quick: rows === 65,
    tol: { mode: "close", atol: 1e-6, rtol: 1e-5 },
    make: (r) => {
      const x = uniform(r, rows * 2 * inner, 4), go = uniform(r, rows * inner);
      return { run: (b, keep) => gluGeluBackward(t(b, keep, x, [rows, 2 * inner]), t(b, keep, go, [rows, inner])) };
    },
  })),
  ...(["tanh", "gelu"] as const).map((kind): OpCase<"unaryBackward"> => ({
    op: "unaryBackward", name: `unaryBackward ${kind} 1027`, needs: { kind }, seed: 1029, quick: true, tol: { mode: "close", atol: 1e-6, rtol: 1e-5 },
    make: (r) => {
      const x = uniform(r, 1027, 6), go = uniform(r, 1027);
      return { run: (b, keep) => unaryBackward(t(b, keep, x, [1027]), t(b, keep, go, [1027]), kind) };
    },
  })),
  // Unique ids (the [CLS] rows of a batch) and repeated ones (sums in id order on every backend: exact).
  ...[[[0, 3, 7], 10, 5], [[2, 2, 0, 2], 3, 130]].map(([ids, rows, cols]): OpCase<"scatterRows"> => ({
    op: "scatterRows", name: `scatterRows [${ids}] into ${rows}×${cols}`, needs: {}, seed: (rows as number) + (cols as number), quick: cols === 130,
    tol: { mode: "close", atol: 1e-6, rtol: 1e-6 },
    make: (r) => {
      const id = Int32Array.from(ids as number[]), x = uniform(r, id.length * (cols as number));
      return { run: (b, keep) => scatterRows(t(b, keep, x, [id.length, cols as number]), id, rows as number) };
    },
  })),
  // Three AdamW steps (weight decay, bias corrections of steps 1–3) from zero state; the f32 update follows the
  // same formula everywhere, within a few ulps of |p|.
  ...[1, 5, 4099].map((size): OpCase<"adamw"> => ({
    op: "adamw", name: `adamw ${size} ×3 steps`, needs: {}, seed: size + 7, quick: size === 4099, tol: { mode: "close", atol: 1e-6, rtol: 1e-5 },
    make: (r) => {
      const p = uniform(r, size), gs = [uniform(r, size, 0.1), uniform(r, size, 0.1), uniform(r, size, 1e-6)];
      return {
        run: (b, keep) => {
          const param = Tensor.from(b, p, [size]), m = t(b, keep, new Float32Array(size), [size]), v = t(b, keep, new Float32Array(size), [size]);
          gs.forEach((g, i) => adamw(param, t(b, keep, g, [size]), m, v, { lr: 1e-3, weightDecay: 0.01, step: i + 1 }));
          return param;
        },
      };
    },
  })),
  // Dropout: an integer hash per element, then one f32 multiply: exact everywhere. Sizes straddle the SIMD width and
  // the Wasm chunk (4096); p 0.1 (fine-tuning's hidden dropout), 0.5, and 0 (keep all, scale 1); seeds with the high
  // bit set (u32, not i32).
  ...[[1, 0.1, 7], [4099, 0.1, 0xdeadbeef], [33, 0.5, 1], [8192 + 5, 0.05, 0x80000001], [10, 0, 3]].map(([size, p, seed]): OpCase<"dropout"> => ({
    op: "dropout", name: `dropout ${size} p ${p} seed 0x${seed.toString(16)}`, needs: {}, seed: size + 11, quick: size === 4099, tol: { mode: "exact" },
    make: (r) => {
      const x = uniform(r, size, 2);
      return { run: (b, keep) => dropout(t(b, keep, x, [size]), p, seed) };
    },
  })),
];

/** Every op case: the forward ops, then the training ops. */
export const CASES: OpCase[] = [...FORWARD_CASES, ...TRAIN_CASES];

/**
 * A backward op checked against its forward op: f(x) = Σ c ⊙ forward(x) (c fixed, seeded), whose gradient is the
 * backward op applied to gradOut = c, on the reference backend (shapes of the input and the forward's output). Central differences in f32 with h = 1e-3·max(1, |x|): f32 rounding of f over ~100 terms is
 * ~1e-7·|f| / h ≈ 1e-4, hence atol 1e-3.
 */
function backwardCase(name: string, seed: number, xShape: number[], outShape: number[], scale: number,
  forward: (b: Backend, x: Tensor, keep: Disposable[]) => Tensor, backward: (b: Backend, x: Tensor, gradOut: Tensor, keep: Disposable[]) => Tensor): GradientCase {
  const size = xShape.reduce((a, d) => a * d, 1), outSize = outShape.reduce((a, d) => a * d, 1);
  return {
    name, seed, tol: { atol: 1e-3, rtol: 1e-2 },
    make: (r) => {
      const x = uniform(r, size, scale), c = uniform(r, outSize);
      const withX = async <T>(b: Backend, xs: Float32Array, f: (xt: Tensor, keep: Disposable[]) => Promise<T>): Promise<T> => {
        const keep: Disposable[] = [], xt = t(b, keep, xs, xShape);
        try { return await f(xt, keep); } finally { keep.forEach((k) => k.dispose()); }
      };
      return {
        x,
        f: (b, xs) => withX(b, xs, async (xt, keep) => {
          const y = forward(b, xt, keep);
          keep.push(y);
          return (await y.data()).reduce((acc, v, i) => acc + c[i] * v, 0);
        }),
        grad: (b) => withX(b, x, async (xt, keep) => {
          const g = backward(b, xt, t(b, keep, c, outShape), keep);
          keep.push(g);
          return g.data();
        }),
      };
    },
  };
}

const LN_G = uniform(rng(101), 7, 1, 1), LN_B = uniform(rng(102), 7), LN_R = uniform(rng(103), 21);
const MM_B = uniform(rng(104), 20);

export const GRADIENT_CASES: GradientCase[] = [
  {
    // f(x) = Σ c_i·gelu(x_i) → ∂f/∂x_i = c_i·gelu'(x_i). Central differences in f32 inputs with h = 1e-3·max(1,|x|):
    // truncation ~h²·|gelu'''| ≈ 1e-7, f32 rounding of the sum ~1e-7·|f|/h ≈ 1e-4 — hence 1e-3 absolute.
    name: "unary gelu: Σ c·gelu(x)", seed: 7, tol: { atol: 1e-3, rtol: 1e-3 },
    make: (r) => {
      const x = uniform(r, 33, 3), c = uniform(r, 33);
      return {
        x,
        grad: Float32Array.from(x, (v, i) => c[i] * geluErfGrad(v)),
        f: async (b, xs) => {
          const xt = Tensor.from(b, xs, [xs.length]), y = unary(xt, "gelu");
          try { return (await y.data()).reduce((s, v, i) => s + c[i] * v, 0); } finally { xt.dispose(); y.dispose(); }
        },
      };
    },
  },
  ...(["vanilla", "softmax1"] as const).map((softmax) => {
    // Two sequences (3 and 2 rows), 2 heads of 4: every term of dq, dk, dv, across the ALiBi bias.
    const seqs = SeqIndex.of([3, 2]), o = { seqs, heads: 2, softmax, slopes: alibiSlopes(2) };
    return backwardCase(`attentionBackward ${softmax}: Σ c·attention(qkv)`, 11, [5, 24], [5, 8], 1.5,
      (_b, x) => attention(x, o),
      (_b, x, g, keep) => { const ctx = attention(x, o); keep.push(ctx); return attentionBackward(x, ctx, g, o); });
  }),
  backwardCase("layerNormBackward: Σ c·LayerNorm(x + r)", 12, [3, 7], [3, 7], 2,
    (b, x, keep) => layerNorm(x, t(b, keep, LN_G, [7]), t(b, keep, LN_B, [7]), 1e-5, t(b, keep, LN_R, [3, 7])),
    (b, x, g, keep) => layerNormBackward(x, t(b, keep, LN_G, [7]), g, 1e-5, t(b, keep, LN_R, [3, 7]))),
  backwardCase("gluGeluBackward: Σ c·gluGelu(x)", 13, [2, 10], [2, 5], 3, (_b, x) => gluGelu(x), (_b, x, g) => gluGeluBackward(x, g)),
  ...(["tanh", "gelu"] as const).map((kind) =>
    backwardCase(`unaryBackward ${kind}: Σ c·${kind}(x)`, 14, [17], [17], 3, (_b, x) => unary(x, kind), (_b, x, g) => unaryBackward(x, g, kind))),
  backwardCase("scatterRows: Σ c·gather(x, ids)", 15, [4, 3], [3, 3], 1,
    (_b, x) => gather(x, Int32Array.from([2, 0, 2])), (_b, _x, g) => scatterRows(g, Int32Array.from([2, 0, 2]), 4)),
  ...([[false, false], [true, false], [false, true]] as const).map(([transA, transB]) =>
    backwardCase(`matmul${transA ? " aᵀ" : ""}${transB ? " bᵀ" : ""}: Σ c·(op(a)·op(b)) in a`, 16, transA ? [4, 3] : [3, 4], [3, 5], 1,
      (b, a, keep) => matmul(a, t(b, keep, MM_B, transB ? [5, 4] : [4, 5]), { transA, transB }),
      // d/dop(a) = g·op(b)ᵀ; for transA that is (g·op(b)ᵀ)ᵀ = op(b)·gᵀ.
      (b, _a, g, keep) => transA ? matmul(t(b, keep, MM_B, transB ? [5, 4] : [4, 5]), g, { transA: transB, transB: true })
        : matmul(g, t(b, keep, MM_B, transB ? [5, 4] : [4, 5]), { transB: !transB }))),
];

/** The cases a runtime runs: all of them, or the representative subset when `quick` (see OpCase.quick). */
export function selectCases(quick: boolean): OpCase[] {
  return quick ? CASES.filter((c) => c.quick) : CASES;
}

