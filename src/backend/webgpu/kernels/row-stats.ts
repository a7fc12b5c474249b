// rowStats → shaders/row-stats.wgsl: one 256-thread workgroup per row (two reductions: mean, then the centred
// moments); row chunks when x exceeds one storage binding. out is bound whole (row offsets travel in params, since
// a 16-byte row is finer than the 256-byte binding-offset alignment).
import type { Kernel } from "../../../contract/kernels.js";
import { allOf, fitsRowChunks, fitsWhole, fold, rowChunks, type KernelContext } from "./context.js";

export const rowStats: Kernel<"rowStats", KernelContext> = {
  fits: (a, k) => allOf(() => fitsRowChunks(4 * a.cols, k), () => fitsWhole(k, { out: a.out })),
  run(k, a) {
    for (const [r0, rows] of rowChunks(a.rows, 4 * a.cols, k.maxBindingBytes)) {
      const { groups, gridX } = fold(rows, k.maxWorkgroups);
      k.dispatch("rowStats", {}, [k.buf(a.x, 4 * r0 * a.cols, 4 * rows * a.cols), k.buf(a.out)],
        { rows, cols: a.cols, gridX, outRow: a.outRow + r0 }, groups);
    }
  },
};
