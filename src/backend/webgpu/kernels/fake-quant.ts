// fakeQuant → shaders/fake-quant.wgsl: one 256-thread workgroup per row (min/max reduction, then each thread
// quantizes its columns), symmetric as a pipeline override; row chunks when x exceeds one storage binding.
import type { Kernel } from "../../../contract/kernels.js";
import { fitsRowChunks, fold, rowChunks, type KernelContext } from "./context.js";

export const fakeQuant: Kernel<"fakeQuant", KernelContext> = {
  fits: (a, k) => fitsRowChunks(4 * a.cols, k),
  run(k, a) {
    if (a.cols === 0) return; // nothing to write, and a zero-size binding is invalid
    const levels = a.symmetric ? 2 ** (a.bits - 1) - 1 : 2 ** a.bits - 1;
    for (const [r0, rows] of rowChunks(a.rows, 4 * a.cols, k.maxBindingBytes)) {
      const { groups, gridX } = fold(rows, k.maxWorkgroups);
      const at = 4 * r0 * a.cols, size = 4 * rows * a.cols;
      k.dispatch("fakeQuant", { SYMMETRIC: a.symmetric }, [k.buf(a.x, at, size), k.buf(a.out, at, size)],
        { rows, cols: a.cols, gridX, levels, hasRange: a.range ? 1 : 0, lo: a.range?.[0] ?? 0, hi: a.range?.[1] ?? 0 }, groups);
    }
  },
};
