// gluGelu → shaders/glu-gelu.wgsl: one thread per output element; row chunks when x exceeds one storage binding.
import type { Kernel } from "../../../contract/kernels.js";
import { elementGrid, fitsRowChunks, rowChunks, type KernelContext } from "./context.js";

export const gluGelu: Kernel<"gluGelu", KernelContext> = {
  fits: (a, k) => fitsRowChunks(8 * a.inner, k),
  run(k, a) {
    for (const [r0, rows] of rowChunks(a.rows, 8 * a.inner, k.maxBindingBytes)) {
      const { groups, gridX } = elementGrid(k, rows * a.inner);
      k.dispatch("gluGelu", {}, [k.buf(a.x, 8 * r0 * a.inner, 8 * rows * a.inner), k.buf(a.out, 4 * r0 * a.inner, 4 * rows * a.inner)],
        { rows, inner: a.inner, gridX }, groups);
    }
  },
};
