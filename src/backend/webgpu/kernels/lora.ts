// lora → shaders/lora.wgsl: one fused dispatch, one 256-thread workgroup per row (x·aᵀ into workgroup memory, then
// out += v·bt in place). a and bt are bound whole; x and out in row chunks when they exceed one storage binding.
// Chunks start at 64-row boundaries of the whole tensor (256-byte-aligned offsets, whatever row0 is) and the first
// row to update travels in params, so any row range binds legally.
import type { Kernel } from "../../../contract/kernels.js";
import { allOf, fitsRowChunks, fitsWhole, fold, rowChunks, type KernelContext } from "./context.js";

export const lora: Kernel<"lora", KernelContext> = {
  fits: (a, k) => allOf(() => fitsWhole(k, { a: a.a, bt: a.bt }), () => fitsRowChunks(4 * Math.max(a.k, a.n), k)),
  run(k, a) {
    // n = 0: nothing to update; k = 0: the update is zero.
    if (a.rows === 0 || a.r === 0 || a.n === 0 || a.k === 0) return;
    const end = a.row0 + a.rows;
    for (const [c0, count] of rowChunks(end, 4 * Math.max(a.k, a.n), k.maxBindingBytes)) {
      const first = Math.max(c0, a.row0), rows = c0 + count - first;
      if (rows <= 0) continue;
      const { groups, gridX } = fold(rows, k.maxWorkgroups);
      k.dispatch("lora", {},
        [k.buf(a.x, 4 * c0 * a.k, 4 * count * a.k), k.buf(a.a), k.buf(a.bt), k.buf(a.out, 4 * c0 * a.n, 4 * count * a.n)],
        { rows, rowOff: first - c0, n: a.n, k: a.k, r: a.r, scale: a.scale, gridX }, groups);
    }
  },
};
