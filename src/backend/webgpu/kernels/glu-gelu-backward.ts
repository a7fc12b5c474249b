// gluGeluBackward → shaders/glu-gelu-backward.wgsl: one thread per gradOut element (writing both halves of its
// gradX row); row chunks when x / gradX exceed one storage binding.
import type { Kernel } from "../../../contract/kernels.js";
import { elementGrid, fitsRowChunks, rowChunks, type KernelContext } from "./context.js";

export const gluGeluBackward: Kernel<"gluGeluBackward", KernelContext> = {
  fits: (a, k) => fitsRowChunks(8 * a.inner, k),
  run(k, a) {
    if (a.inner === 0) return;
    for (const [r0, rows] of rowChunks(a.rows, 8 * a.inner, k.maxBindingBytes)) {
      const wide = [8 * r0 * a.inner, 8 * rows * a.inner] as const, narrow = [4 * r0 * a.inner, 4 * rows * a.inner] as const;
      const { groups, gridX } = elementGrid(k, rows * a.inner);
      k.dispatch("gluGeluBackward", {}, [k.buf(a.x, ...wide), k.buf(a.gradOut, ...narrow), k.buf(a.gradX, ...wide)],
        { rows, inner: a.inner, gridX }, groups);
    }
  },
};
