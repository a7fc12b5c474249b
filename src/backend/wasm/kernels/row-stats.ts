// rowStats → assembly/row-stats.ts (8 rows per chunk, two passes per row).
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

export const rowStats: Kernel<"rowStats", KernelHost> = {
  run(h, { x, out, rows, cols, outRow }) { h.call("rowStats", { x: h.ptr(x), out: h.ptr(out) + 16 * outRow, rows, cols }); },
};
