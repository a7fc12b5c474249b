// gather → shaders/gather.wgsl: ids travel as an i32 storage buffer (range-checked by ops/gather); output row
// chunks when out exceeds one storage binding (the table must fit one).
import type { Kernel } from "../../../contract/kernels.js";
import { allOf, elementGrid, fitsRowChunks, fitsWhole, rowChunks, type KernelContext } from "./context.js";

export const gather: Kernel<"gather", KernelContext> = {
  fits: (a, k) => allOf(() => fitsWhole(k, { table: a.table, addRow: a.addRow }), () => fitsRowChunks(4 * a.cols, k)),
  run(k, a) {
    for (const [r0, n] of rowChunks(a.ids.length, 4 * a.cols, k.maxBindingBytes)) {
      const { groups, gridX } = elementGrid(k, n * a.cols);
      k.dispatch("gather", { HAS_ADD: a.addRow !== undefined },
        [k.buf(a.table), k.host(a.ids.subarray(r0, r0 + n)), k.opt(a.addRow), k.buf(a.out, 4 * r0 * a.cols, 4 * n * a.cols)],
        { n, cols: a.cols, gridX }, groups);
    }
  },
};
