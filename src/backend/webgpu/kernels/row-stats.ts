// rowStats → shaders/row-stats.wgsl: one 256-thread workgroup per row (two reductions: mean, then the centred
// moments); row chunks when x exceeds one storage binding.
import type { Kernel } from "../../../contract/kernels.js";
import { fitsRowChunks, fold, rowChunks, type KernelContext } from "./context.js";

export const rowStats: Kernel<"rowStats", KernelContext> = {
  fits: (a, k) => fitsRowChunks(4 * a.cols, k),
  run(k, a) {
    for (const [r0, rows] of rowChunks(a.rows, 4 * a.cols, k.maxBindingBytes)) {
      const { groups, gridX } = fold(rows, k.maxWorkgroups);
      k.dispatch("rowStats", {}, [k.buf(a.x, 4 * r0 * a.cols, 4 * rows * a.cols), k.buf(a.out, 16 * r0, 16 * rows)],
        { rows, cols: a.cols, gridX }, groups);
    }
  },
};
