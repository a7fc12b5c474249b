// fakeQuant → assembly/fake-quant.ts (one row per chunk; scalar f32 steps, exactly the reference's; a static range
// replaces each row's min/max).
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

export const fakeQuant: Kernel<"fakeQuant", KernelHost> = {
  run(h, { x, out, rows, cols, bits, symmetric, range }) {
    h.call("fakeQuant", { x: h.ptr(x), out: h.ptr(out), rows, cols, bits, symmetric: symmetric ? 1 : 0,
      hasRange: range ? 1 : 0, lo: range?.[0] ?? 0, hi: range?.[1] ?? 0 });
  },
};
