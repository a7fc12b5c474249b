// fakeQuant → assembly/fake-quant.ts (one row per chunk; scalar f32 steps, exactly the reference's).
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

export const fakeQuant: Kernel<"fakeQuant", KernelHost> = {
  run(h, { x, out, rows, cols, bits, symmetric }) {
    h.call("fakeQuant", { x: h.ptr(x), out: h.ptr(out), rows, cols, bits, symmetric: symmetric ? 1 : 0 });
  },
};
