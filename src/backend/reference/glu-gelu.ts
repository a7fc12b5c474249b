// gluGelu and unary (reference): exact-erf GELU gate, tanh / GELU elementwise, in float64.
import type { Kernel } from "../../contract/kernels.js";
import { geluErf } from "../../contract/math.js";
import type { RefContext } from "./context.js";

export const gluGelu: Kernel<"gluGelu", RefContext> = {
  run(b, { x, out, rows, inner }) {
    const X = b.f32(x), O = b.f32(out);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < inner; i++) O[r * inner + i] = geluErf(X[r * 2 * inner + i]) * X[r * 2 * inner + inner + i];
    }
  },
};

export const unary: Kernel<"unary", RefContext> = {
  run(b, { x, out, size, kind }) {
    const X = b.f32(x), O = b.f32(out);
    const f = kind === "tanh" ? Math.tanh : geluErf;
    for (let i = 0; i < size; i++) O[i] = f(X[i]);
  },
};
