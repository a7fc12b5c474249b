// unaryBackward → shaders/unary-backward.wgsl: the function is a pipeline override (0 = tanh, 1 = exact GELU); chunks
// of 64·64 elements (256-byte aligned) when a tensor exceeds one storage binding.
import type { Kernel } from "../../../contract/kernels.js";
import { elementGrid, rowChunks, type KernelContext } from "./context.js";

export const unaryBackward: Kernel<"unaryBackward", KernelContext> = {
  run(k, a) {
    const rows = Math.ceil(a.size / 64);
    for (const [r0, n] of rowChunks(rows, 4 * 64, k.maxBindingBytes)) {
      const start = 64 * r0, size = Math.min(64 * n, a.size - start);
      const { groups, gridX } = elementGrid(k, size);
      k.dispatch("unaryBackward", { KIND: a.kind === "tanh" ? 0 : 1 },
        [k.buf(a.x, 4 * start, 4 * size), k.buf(a.gradOut, 4 * start, 4 * size), k.buf(a.gradX, 4 * start, 4 * size)],
        { size, gridX }, groups);
    }
  },
};
