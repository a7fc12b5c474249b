// axpy → shaders/axpy.wgsl: one thread per element; out may alias y (or x), which is then read through out's
// read_write binding (ALIAS override). Chunks of 64·64 elements (256-byte aligned) when a tensor exceeds one binding.
import type { Kernel } from "../../../contract/kernels.js";
import { elementGrid, rowChunks, type KernelContext } from "./context.js";

export const axpy: Kernel<"axpy", KernelContext> = {
  run(k, a) {
    const alias = a.out === a.y ? 1 : a.out === a.x ? 2 : 0;
    const rows = Math.ceil(a.size / 64);
    for (const [r0, n] of rowChunks(rows, 4 * 64, k.maxBindingBytes)) {
      const start = 64 * r0, size = Math.min(64 * n, a.size - start);
      const at = [4 * start, 4 * size] as const;
      const { groups, gridX } = elementGrid(k, size);
      k.dispatch("axpy", { ALIAS: alias }, [alias === 2 ? k.opt(undefined) : k.buf(a.x, ...at), alias === 1 ? k.opt(undefined) : k.buf(a.y, ...at), k.buf(a.out, ...at)],
        { size, gridX, alpha: a.alpha }, groups);
    }
  },
};
