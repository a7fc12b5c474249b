// fakeQuant (reference): formats.ts fakeQuantRows, the definition every backend must reproduce.
import type { Kernel } from "../../contract/kernels.js";
import { fakeQuantRows } from "../../contract/formats.js";
import type { RefContext } from "./context.js";

export const fakeQuant: Kernel<"fakeQuant", RefContext> = {
  run(b, { x, out, rows, cols, bits, symmetric, range }) {
    b.f32(out).set(fakeQuantRows(b.f32(x), rows, cols, bits, symmetric, range).subarray(0, rows * cols));
  },
};
