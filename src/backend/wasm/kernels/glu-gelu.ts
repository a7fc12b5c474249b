// gluGelu, unary and their gradients → assembly/glu-gelu.ts (exact-erf GELU, vectorised).
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

export const gluGelu: Kernel<"gluGelu", KernelHost> = {
  run(h, { x, out, rows, inner }) { h.call("gluGelu", { x: h.ptr(x), out: h.ptr(out), rows, inner }); },
};

export const unary: Kernel<"unary", KernelHost> = {
  run(h, { x, out, size, kind }) { h.call("unary", { x: h.ptr(x), out: h.ptr(out), size, gelu: kind === "gelu" ? 1 : 0 }); },
};

export const gluGeluBackward: Kernel<"gluGeluBackward", KernelHost> = {
  run(h, { x, gradOut, gradX, rows, inner }) { h.call("gluGeluBackward", { x: h.ptr(x), gradOut: h.ptr(gradOut), gradX: h.ptr(gradX), rows, inner }); },
};

export const unaryBackward: Kernel<"unaryBackward", KernelHost> = {
  run(h, { x, gradOut, gradX, size, kind }) {
    h.call("unaryBackward", { x: h.ptr(x), gradOut: h.ptr(gradOut), gradX: h.ptr(gradX), size, gelu: kind === "gelu" ? 1 : 0 });
  },
};
