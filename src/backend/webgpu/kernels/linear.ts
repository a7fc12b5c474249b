// linear → shaders/linear.wgsl: 64×64 output tiles, one 16×16 workgroup each.
import type { OpArgs } from "../../../ops/spec.js";
import type { KernelContext } from "./context.js";

export function linear(k: KernelContext, a: OpArgs["linear"]): void {
  k.dispatch("linear", { HAS_BIAS: a.bias !== undefined }, [k.buf(a.x), k.buf(a.w), k.opt(a.bias), k.buf(a.out)],
    { m: a.m, n: a.n, k: a.k }, [Math.ceil(a.n / 64), Math.ceil(a.m / 64)]);
}
