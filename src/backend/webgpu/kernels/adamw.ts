// adamw → shaders/adamw.wgsl: one thread per element, in place on param, m and v; the step's scalar factors are
// computed here in f64 (as the reference does) and rounded once to f32. Chunks of 64·64 elements (256-byte aligned)
// when a tensor exceeds one storage binding.
import type { Kernel } from "../../../contract/kernels.js";
import { elementGrid, rowChunks, type KernelContext } from "./context.js";

export const adamw: Kernel<"adamw", KernelContext> = {
  run(k, a) {
    const scalars = {
      decay: 1 - a.lr * a.weightDecay, beta1: a.beta1, oneMinusBeta1: 1 - a.beta1, beta2: a.beta2, oneMinusBeta2: 1 - a.beta2,
      stepSize: a.lr / (1 - a.beta1 ** a.step), bc2: Math.sqrt(1 - a.beta2 ** a.step), eps: a.eps,
    };
    const rows = Math.ceil(a.size / 64);
    for (const [r0, n] of rowChunks(rows, 4 * 64, k.maxBindingBytes)) {
      const start = 64 * r0, size = Math.min(64 * n, a.size - start);
      const at = [4 * start, 4 * size] as const;
      const { groups, gridX } = elementGrid(k, size);
      k.dispatch("adamw", {}, [k.buf(a.param, ...at), k.buf(a.grad, ...at), k.buf(a.m, ...at), k.buf(a.v, ...at)],
        { size, gridX, ...scalars }, groups);
    }
  },
};
