// dropout → assembly/dropout.ts (4096-element chunks; the integer hash of contract/dropout.ts per element).
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

export const dropout: Kernel<"dropout", KernelHost> = {
  run(h, { x, out, size, seed, threshold, scale }) {
    // u32 values travel as i32 bits (the ABI's integer fields are i32).
    h.call("dropout", { x: h.ptr(x), out: h.ptr(out), size, seed: seed | 0, threshold: threshold | 0, scale });
  },
};
