// matmul → shaders/matmul.wgsl (transposes and accumulate as pipeline overrides): 64×64 output tiles, one 16×16
// workgroup each. When the output has few tiles but k is long (the LoRA gradients: [8, 2304] = vᵀ·g over 2048
// tokens, [2048, 8] = g·btᵀ over 2304), k is split over up to MAX_SPLITS workgroups per tile into a scratch
// [splits, m, n], and shaders/matmul-reduce.wgsl adds the partial sums in order (no atomics, deterministic).
// a, b and out are bound whole (aᵀ and bᵀ have no row chunks); see fits.
import type { Kernel } from "../../../contract/kernels.js";
import { allOf, elementGrid, fitsWhole, type KernelContext } from "./context.js";

const TILE = 64; // shaders/matmul.wgsl TM, TN
const TK = 16;   // shaders/matmul.wgsl TK
/** Split k when the output has fewer tiles than this (too few workgroups to fill a GPU) … */
const FEW_TILES = 64;
/** … and each split still gets at least this many k. */
const MIN_SPLIT_K = 256;
const MAX_SPLITS = 32;

/** The k-chunk per workgroup and the number of splits (1: no split). */
function plan(m: number, n: number, k: number, maxBindingBytes: number): { kChunk: number; splits: number } {
  const tiles = Math.ceil(m / TILE) * Math.ceil(n / TILE);
  let splits = Math.min(MAX_SPLITS, Math.floor(k / MIN_SPLIT_K), Math.ceil(2 * FEW_TILES / tiles));
  splits = Math.min(splits, Math.floor(maxBindingBytes / (4 * m * n)));
  if (tiles >= FEW_TILES || splits < 2) return { kChunk: Math.max(k, 1), splits: 1 };
  const kChunk = Math.ceil(k / splits / TK) * TK;
  return { kChunk, splits: Math.ceil(k / kChunk) };
}

export const matmul: Kernel<"matmul", KernelContext> = {
  fits: (a, k) => allOf(
    () => fitsWhole(k, { a: a.a, b: a.b, out: a.out }),
    () => (Math.ceil(a.m / TILE) <= k.maxWorkgroups && Math.ceil(a.n / TILE) <= k.maxWorkgroups ? true
      : { reason: `m ${a.m} or n ${a.n} needs more than ${k.maxWorkgroups} workgroups` }),
  ),
  run(k, a) {
    if (a.m === 0 || a.n === 0) return;
    const { kChunk, splits } = plan(a.m, a.n, a.k, k.maxBindingBytes);
    // Split partials ignore ACCUMULATE (the reduce applies it): one pipeline, not two.
    const over = { TRANS_A: a.transA, TRANS_B: a.transB, ACCUMULATE: a.accumulate && splits === 1, SPLIT: splits > 1 };
    const params = { m: a.m, n: a.n, k: a.k, alpha: a.alpha, kChunk };
    const groups = [Math.ceil(a.n / TILE), Math.ceil(a.m / TILE), splits];
    if (splits === 1) {
      k.dispatch("matmul", over, [k.buf(a.a), k.buf(a.b), k.buf(a.out)], params, groups);
      return;
    }
    const size = a.m * a.n, part = k.scratch(4 * splits * size);
    k.dispatch("matmul", over, [k.buf(a.a), k.buf(a.b), part], params, groups);
    const g = elementGrid(k, size);
    k.dispatch("matmulReduce", { ACCUMULATE: a.accumulate }, [part, k.buf(a.out)], { size, splits, alpha: a.alpha, gridX: g.gridX }, g.groups);
  },
};
