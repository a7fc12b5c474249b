// matmul → assembly/matmul.ts: (64 rows × 128 columns) chunks of out, k in blocks of 256; per thread, the block of
// op(b) packed into [k][16] panels, and aᵀ's block (when it has over 16 rows) transposed.
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

/** Rows and columns per chunk, k per block (assembly/matmul.ts MB, CG, KC). */
const MB = 64, CG = 128, KC = 256;

export const matmul: Kernel<"matmul", KernelHost> = {
  run(h, { a, b, out, m, n, k, transA, transB, alpha, accumulate }) {
    const [scratch, scratchStride] = h.scratch(4 * (KC * CG + (transA && m > 16 ? MB * KC : 0)));
    h.call("matmul", {
      a: h.ptr(a), b: h.ptr(b), out: h.ptr(out), m, n, k, transA: transA ? 1 : 0, transB: transB ? 1 : 0,
      accumulate: accumulate ? 1 : 0, alpha, scratch, scratchStride,
    });
  },
};
