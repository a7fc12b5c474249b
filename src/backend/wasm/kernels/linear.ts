// linear → assembly/linear.ts: f32 weights in the 8-column panel layout prepareWeight made at load.
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

export const linear: Kernel<"linear", KernelHost> = {
  supports: ({ format }) => (format === "f32" ? true : { reason: `weight format ${format} is not implemented on wasm (f32 only)` }),
  run(h, { x, w, bias, out, m, n, k }) {
    h.call("linear", { x: h.ptr(x), w: h.weightPtr(w, n, k), bias: bias === undefined ? 0 : h.ptr(bias), out: h.ptr(out), m, n, k });
  },
};
