// layerNorm and layerNormBackward → assembly/layer-norm.ts (residual fused; 8 rows per chunk).
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

export const layerNorm: Kernel<"layerNorm", KernelHost> = {
  run(h, { x, residual, gamma, beta, out, rows, cols, eps }) {
    h.call("layerNorm", {
      x: h.ptr(x), residual: residual === undefined ? 0 : h.ptr(residual), gamma: h.ptr(gamma), beta: h.ptr(beta),
      out: h.ptr(out), rows, cols, eps,
    });
  },
};

export const layerNormBackward: Kernel<"layerNormBackward", KernelHost> = {
  run(h, { x, residual, gamma, gradOut, gradX, rows, cols, eps }) {
    h.call("layerNormBackward", {
      x: h.ptr(x), residual: residual === undefined ? 0 : h.ptr(residual), gamma: h.ptr(gamma), gradOut: h.ptr(gradOut),
      gradX: h.ptr(gradX), rows, cols, eps,
    });
  },
};
