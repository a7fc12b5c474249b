// linear → shaders/linear.wgsl (f32 weights) or linearF16, derived from it at build time (f16 weights, f32 accumulation; needs
// shader-f16, see WebGpuBackend.supports): 64×64 output tiles, one 16×16 workgroup each; x and out are bound in row
// chunks when they exceed maxStorageBufferBindingSize (the weight must fit one binding; supports() says so otherwise).
import type { OpArgs } from "../../../ops/spec.js";
import { rowChunks, type KernelContext } from "./context.js";

export function linear(k: KernelContext, a: OpArgs["linear"]): void {
  const kernel = a.wDtype === "f16" ? "linearF16" : "linear";
  for (const [r0, m] of rowChunks(a.m, 4 * Math.max(a.k, a.n), k.maxBindingBytes)) {
    k.dispatch(kernel, { HAS_BIAS: a.bias !== undefined },
      [k.buf(a.x, 4 * r0 * a.k, 4 * m * a.k), k.buf(a.w), k.opt(a.bias), k.buf(a.out, 4 * r0 * a.n, 4 * m * a.n)],
      { m, n: a.n, k: a.k }, [Math.ceil(a.n / 64), Math.ceil(m / 64)]);
  }
}
