// gluGelu and unary (reference): exact-erf GELU gate, tanh / GELU elementwise, in float64.
import type { Kernel } from "../../contract/kernels.js";
import { geluErf, geluErfGrad } from "../../contract/math.js";
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

export const gluGeluBackward: Kernel<"gluGeluBackward", RefContext> = {
  run(b, { x, gradOut, gradX, rows, inner }) {
    const X = b.f32(x), GO = b.f32(gradOut), GX = b.f32(gradX);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < inner; i++) {
        const x1 = X[r * 2 * inner + i], x2 = X[r * 2 * inner + inner + i], go = GO[r * inner + i];
        GX[r * 2 * inner + i] = go * x2 * geluErfGrad(x1);
        GX[r * 2 * inner + inner + i] = go * geluErf(x1);
      }
    }
  },
};

export const unaryBackward: Kernel<"unaryBackward", RefContext> = {
  run(b, { x, gradOut, gradX, size, kind }) {
    const X = b.f32(x), GO = b.f32(gradOut), GX = b.f32(gradX);
    const f = kind === "tanh" ? (v: number) => 1 - Math.tanh(v) ** 2 : geluErfGrad;
    for (let i = 0; i < size; i++) GX[i] = GO[i] * f(X[i]);
  },
};
