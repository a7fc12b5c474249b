// Conformance cases: inputs (seeded) and tolerances only. conformance.test.ts runs each on every backend and
// compares with the reference backend — expected values are never pasted here.
import type { Backend } from "../../src/backend/backend.js";
import { Tensor, type DType } from "../../src/tensor/tensor.js";
import { attention, gather, gluGelu, layerNorm, linear, meanPool, supportsF16Weights, unary } from "../../src/ops/ops.js";
import { alibiSlopes } from "../../src/ops/math.js";
import type { SoftmaxKind } from "../../src/ops/spec.js";
import { randn, rng } from "../helpers/rng.js";

export interface OpCase {
  op: string;
  name: string;
  /** Build seeded inputs on `b`, run the op, return the output (inputs are disposed by the runner via the list). */
  run: (b: Backend, keep: Tensor[]) => Tensor;
  /** |got − ref| ≤ atol + rtol·|ref|; each states what it was set from. */
  atol: number;
  rtol: number;
  /** Uses f16 weights: skipped, with the backend's stated reason, where the backend cannot run them. */
  f16Weights?: boolean;
}

/** Why backend `b` cannot run case `c` (the runners skip with this), or null when it can. */
export function unsupportedReason(b: Backend, c: OpCase): string | null {
  if (!c.f16Weights) return null;
  const ok = supportsF16Weights(b);
  return ok === true ? null : `${b.name}: ${ok.reason}`;
}

const up = (b: Backend, keep: Tensor[], data: Float32Array, shape: number[], dtype: DType = "f32") => {
  const t = Tensor.from(b, data, shape, dtype);
  keep.push(t);
  return t;
};

// f32 GEMM with k ≤ 3072 of values in [-1, 1): reordered summation differs by ~k·2^-24·|terms| ≈ 1e-4 worst case.
const GEMM_TOL = { atol: 2e-5, rtol: 2e-5 };

// f16 weights: both sides multiply by the same f16-rounded weights (Tensor.from rounds on the host; the reference
// widens them and sums in f64, WebGPU widens them in the shader and sums in f32), so the f32 GEMM bound still holds.
// Measured on lavapipe 25 (Dawn): max |err| 3.2e-6 (k = 768; 0.09 of this bound), the same as f32 weights at that k.
const GEMM_F16_TOL = GEMM_TOL;

function linearCase(m: number, n: number, k: number, bias = true, wDtype: DType = "f32"): OpCase {
  return {
    op: "linear", name: `linear m${m} n${n} k${k}${bias ? " +bias" : ""}${wDtype === "f16" ? " w:f16" : ""}`,
    ...(wDtype === "f16" ? { ...GEMM_F16_TOL, f16Weights: true } : GEMM_TOL),
    run: (b, keep) => {
      const r = rng(m * 7919 + n * 31 + k);
      const x = up(b, keep, randn(r, m * k), [m, k]);
      const w = up(b, keep, randn(r, n * k, 0.1), [n, k], wDtype);
      return linear(x, w, bias ? up(b, keep, randn(r, n), [n]) : undefined);
    },
  };
}

function attentionCase(seqLens: number[], heads: number, headDim: number, softmax: SoftmaxKind, maskEvery = 0, scale = 1): OpCase {
  const H = heads * headDim;
  return {
    op: "attention", name: `attention ${softmax} seqs [${seqLens.join(",")}] h${heads} d${headDim}${maskEvery ? ` mask/${maskEvery}` : ""}${scale !== 1 ? ` ×${scale}` : ""}`,
    // ×60 makes scores ~3e3, where one f32 ulp is 2.4e-4: rounding the scores to f32 alone (a fround emulation of
    // the reference) moves outputs by up to 5.2e-3 at |ref| ≈ 25; WebGPU on lavapipe measured 6.0e-4.
    ...(scale === 1 ? { atol: 2e-5, rtol: 2e-5 } : { atol: 1e-2, rtol: 1e-3 }),
    run: (b, keep) => {
      const nnz = seqLens.reduce((a, c) => a + c, 0);
      const r = rng(nnz * 13 + heads * 101 + headDim);
      const qkv = up(b, keep, randn(r, nnz * 3 * H, scale), [nnz, 3 * H]);
      // maskEvery < 0 masks every key: softmax1 and vanilla must both give zero rows, never NaN.
      const keyMask = maskEvery === 0 ? undefined : Uint8Array.from({ length: nnz }, (_, i) => (maskEvery < 0 || i % maskEvery === 0 ? 0 : 1));
      return attention(qkv, { seqLens, heads, softmax, slopes: alibiSlopes(heads), keyMask });
    },
  };
}

function layerNormCase(rows: number, cols: number, residual: boolean): OpCase {
  return {
    op: "layerNorm", name: `layerNorm ${rows}×${cols}${residual ? " +residual" : ""}`, atol: 1e-5, rtol: 1e-5,
    run: (b, keep) => {
      const r = rng(rows * 17 + cols);
      const x = up(b, keep, randn(r, rows * cols, 3), [rows, cols]);
      const g = up(b, keep, randn(r, cols), [cols]), be = up(b, keep, randn(r, cols), [cols]);
      return layerNorm(x, g, be, 1e-12, residual ? up(b, keep, randn(r, rows * cols), [rows, cols]) : undefined);
    },
  };
}

export const CASES: OpCase[] = [
  ...[[1, 1, 1], [1, 8, 4], [3, 5, 7], [4, 8, 16], [5, 13, 33], [63, 64, 65], [64, 64, 64], [65, 129, 127], [129, 96, 64], [128, 192, 64], [7, 4096, 64]]
    .map(([m, n, k]) => linearCase(m, n, k)),
  linearCase(33, 130, 256, false),
  ...[[1, 1, 1], [3, 5, 7], [5, 13, 33], [63, 64, 65], [65, 129, 127], [7, 768, 768]].map(([m, n, k]) => linearCase(m, n, k, true, "f16")),
  linearCase(33, 130, 256, false, "f16"),
  ...(["vanilla", "softmax1"] as const).flatMap((s) => [
    attentionCase([1], 4, 16, s), attentionCase([3, 4, 5], 4, 16, s), attentionCase([63, 64, 65], 4, 16, s),
    attentionCase([127, 1, 129], 2, 32, s), attentionCase([7, 33], 12, 64, s), attentionCase([9, 17], 6, 8, s),
    attentionCase([5, 11], 3, 12, s, 3), attentionCase([4, 6], 4, 4, s, -1), attentionCase([20], 4, 16, s, 0, 60),
  ]),
  layerNormCase(1, 64, false), layerNormCase(5, 63, true), layerNormCase(129, 768, true), layerNormCase(3, 5, false),
  ...[[1, 4], [3, 5], [65, 128]].map(([rows, inner]): OpCase => ({
    op: "gluGelu", name: `gluGelu ${rows}×${inner}`, atol: 1e-6, rtol: 1e-5,
    run: (b, keep) => gluGelu(up(b, keep, randn(rng(rows + inner), rows * 2 * inner, 4), [rows, 2 * inner])),
  })),
  ...[[1, 5, 1], [50, 64, 9], [4096, 12, 130]].map(([rows, cols, n]): OpCase => ({
    op: "gather", name: `gather ${n} of ${rows}×${cols}`, atol: 0, rtol: 0,
    run: (b, keep) => {
      const r = rng(rows + cols + n);
      const table = up(b, keep, randn(r, rows * cols), [rows, cols]);
      const ids = Int32Array.from({ length: n }, () => Math.floor(r() * rows));
      return gather(table, ids, up(b, keep, randn(r, cols), [cols]));
    },
  })),
  ...[[[1], 8], [[3, 1, 65], 33], [[129, 64], 768]].map(([lens, cols]): OpCase => ({
    op: "meanPool", name: `meanPool [${lens}] × ${cols}`, atol: 1e-6, rtol: 1e-5,
    run: (b, keep) => {
      const l = lens as number[], c = cols as number, n = l.reduce((a, x) => a + x, 0);
      return meanPool(up(b, keep, randn(rng(n + c), n * c), [n, c]), l);
    },
  })),
  ...(["tanh", "gelu"] as const).map((kind): OpCase => ({
    op: "unary", name: `unary ${kind} 1027`, atol: 1e-6, rtol: 1e-5,
    run: (b, keep) => unary(up(b, keep, randn(rng(1027), 1027, 6), [1027]), kind),
  })),
];
