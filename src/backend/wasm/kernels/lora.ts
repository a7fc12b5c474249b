// lora → assembly/lora.ts (16-row chunks, rows in pairs; the pair's 2 × r projections in per-thread scratch).
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

export const lora: Kernel<"lora", KernelHost> = {
  run(h, { x, a, bt, out, row0, rows, n, k, r, scale }) {
    const [scratch, scratchStride] = h.scratch(8 * r);
    h.call("lora", { x: h.ptr(x), a: h.ptr(a), bt: h.ptr(bt), out: h.ptr(out), row0, rows, n, k, r, scale, scratch, scratchStride });
  },
};
