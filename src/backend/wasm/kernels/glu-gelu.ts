// gluGelu and unary → assembly/glu-gelu.ts (exact-erf GELU, vectorised).
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

export const gluGelu: Kernel<"gluGelu", KernelHost> = {
  run(h, { x, out, rows, inner }) { h.call("gluGelu", { x: h.ptr(x), out: h.ptr(out), rows, inner }); },
};

export const unary: Kernel<"unary", KernelHost> = {
  run(h, { x, out, size, kind }) { h.call("unary", { x: h.ptr(x), out: h.ptr(out), size, gelu: kind === "gelu" ? 1 : 0 }); },
};
