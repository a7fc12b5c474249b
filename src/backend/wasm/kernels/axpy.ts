// axpy → assembly/axpy.ts (4096-element chunks, SIMD body + scalar tail).
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

export const axpy: Kernel<"axpy", KernelHost> = {
  run(h, { x, y, out, size, alpha }) { h.call("axpy", { x: h.ptr(x), y: h.ptr(y), out: h.ptr(out), size, alpha }); },
};
