// linear: out[m,n] = x[m,k]·w[n,k]ᵀ + bias. w was packed once at load (packPanels, Backend.prepareWeight): each full
// group of 8 rows is a k×8 panel at the same offset; the n mod 8 tail rows stay row-major and use dot().
// Work is cut into (row block × column group) chunks claimed dynamically; k is blocked so a B sub-panel stays in L1.
import { claim, COUNTER } from "./sched";
import { Linear, Pack } from "./generated/args";
import { dot, gemmStrip } from "./gemm-tile";

const MB = 128;  // rows per chunk (a 2×16 tile pair of panels is reused across all of them)
const PG = 8;    // 8-column panels per chunk (64 columns)
const KC = 1 << 30; // k blocking measured no faster (B panel pairs stay in L2 at k 3072), kept as a knob

// bias 0 = none
export function linear(a: usize): void {
  const x = Linear.x(a), w = Linear.w(a), bias = Linear.bias(a), out = Linear.out(a);
  const m = Linear.m(a), n = Linear.n(a), K = Linear.k(a);
  const panels = n >> 3, hasTail = (n & 7) != 0;
  const groups = (panels + PG - 1) / PG + (hasTail ? 1 : 0);
  const rowBlocks = (m + MB - 1) / MB;
  const chunks = groups * rowBlocks;
  const lda = <usize>K << 2, ldc = <usize>n << 2;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    const g = c % groups, rb = c / groups;
    const i0 = rb * MB, i1 = min(m, i0 + MB);
    if (hasTail && g == groups - 1) { tailColumns(x, w, bias, out, i0, i1, n, K); continue; }
    const p0 = g * PG, p1 = min(panels, p0 + PG);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      const mode = k0 > 0 ? 2 : bias != 0 ? 1 : 0;
      gemmStrip(x + ((<usize>i0 * K + k0) << 2), lda, i1 - i0, w + ((<usize>p0 * 8 * K + <usize>k0 * 8) << 2), <usize>K << 5, p1 - p0,
        kc, out + ((<usize>i0 * n + (p0 << 3)) << 2), ldc, bias + (<usize>p0 << 5), mode);
    }
  }
}

function tailColumns(x: usize, w: usize, bias: usize, out: usize, i0: i32, i1: i32, n: i32, K: i32): void {
  for (let j = n & ~7; j < n; j++) {
    const wr = w + (<usize>j * K << 2);
    const b: f32 = bias != 0 ? load<f32>(bias + (<usize>j << 2)) : 0;
    for (let i = i0; i < i1; i++) store<f32>(out + ((<usize>i * n + j) << 2), dot(x + (<usize>i * K << 2), wr, K) + b);
  }
}

// Pack w [n,k] in place, one 8-row panel per chunk: 8 rows (8k floats) → k×8 through per-thread scratch
// (scratchStride bytes per thread; tid selects the slice).
export function packPanels(a: usize, tid: i32): void {
  const w = Pack.w(a), n = Pack.n(a), K = Pack.k(a);
  const scratch = Pack.scratch(a) + <usize>tid * <usize>Pack.scratchStride(a);
  const panels = n >> 3, bytes = <usize>K << 5;
  for (let p = claim(a + COUNTER); p < panels; p = claim(a + COUNTER)) {
    const base = w + <usize>p * bytes;
    memory.copy(scratch, base, bytes);
    for (let r = 0; r < 8; r++) {
      const src = scratch + (<usize>r * K << 2);
      for (let k = 0; k < K; k++) store<f32>(base + ((<usize>k * 8 + r) << 2), load<f32>(src + (<usize>k << 2)));
    }
  }
}
