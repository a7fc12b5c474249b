// dropout → shaders/dropout.wgsl: one thread per element, the hash of the element's index in the whole tensor
// (chunks of 64·64 elements when a tensor exceeds one binding pass their start).
import type { Kernel } from "../../../contract/kernels.js";
import { elementGrid, rowChunks, type KernelContext } from "./context.js";

export const dropout: Kernel<"dropout", KernelContext> = {
  run(k, a) {
    const rows = Math.ceil(a.size / 64);
    for (const [r0, n] of rowChunks(rows, 4 * 64, k.maxBindingBytes)) {
      const start = 64 * r0, size = Math.min(64 * n, a.size - start);
      const at = [4 * start, 4 * size] as const;
      const { groups, gridX } = elementGrid(k, size);
      k.dispatch("dropout", {}, [k.buf(a.x, ...at), k.buf(a.out, ...at)],
        { size, gridX, start, seed: a.seed >>> 0, threshold: a.threshold >>> 0, scale: a.scale }, groups);
    }
  },
};
