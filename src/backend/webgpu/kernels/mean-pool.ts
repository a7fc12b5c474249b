// meanPool → shaders/mean-pool.wgsl: (start, length) per sequence, uploaded once per batch (KernelContext.cached).
import type { Kernel } from "../../../contract/kernels.js";
import { elementGrid, fitsWhole, type KernelContext } from "./context.js";

export const meanPool: Kernel<"meanPool", KernelContext> = {
  fits: (a, k) => fitsWhole(k, { x: a.x, out: a.out }),
  run(k, a) {
    const { groups, gridX } = elementGrid(k, a.seqs.count * a.cols);
    k.dispatch("meanPool", {}, [k.buf(a.x), k.cached(a.seqs, "pairs", () => a.seqs.pairs()), k.buf(a.out)],
      { seqs: a.seqs.count, cols: a.cols, gridX }, groups);
  },
};
