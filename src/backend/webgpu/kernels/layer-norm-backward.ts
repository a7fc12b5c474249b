// layerNormBackward → shaders/layer-norm-backward.wgsl: one 256-thread workgroup per row (mean and rstd recomputed,
// + residual fused); row chunks when x / gradOut / gradX exceed one storage binding.
import type { Kernel } from "../../../contract/kernels.js";
import { allOf, fitsRowChunks, fitsWhole, fold, rowChunks, type KernelContext } from "./context.js";

export const layerNormBackward: Kernel<"layerNormBackward", KernelContext> = {
  fits: (a, k) => allOf(() => fitsWhole(k, { gamma: a.gamma }), () => fitsRowChunks(4 * a.cols, k)),
  run(k, a) {
    if (a.cols === 0) return;
    for (const [r0, rows] of rowChunks(a.rows, 4 * a.cols, k.maxBindingBytes)) {
      const o = 4 * r0 * a.cols, s = 4 * rows * a.cols;
      const { groups, gridX } = fold(rows, k.maxWorkgroups);
      k.dispatch("layerNormBackward", { HAS_RESIDUAL: a.residual !== undefined },
        [k.buf(a.x, o, s), a.residual === undefined ? k.opt(undefined) : k.buf(a.residual, o, s), k.buf(a.gamma),
          k.buf(a.gradOut, o, s), k.buf(a.gradX, o, s)],
        { rows, cols: a.cols, eps: a.eps, gridX }, groups);
    }
  },
};
