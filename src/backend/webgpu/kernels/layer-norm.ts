// layerNorm → shaders/layer-norm.wgsl: one 256-thread workgroup per row (+ residual fused).
import type { OpArgs } from "../../../ops/spec.js";
import { fold, type KernelContext } from "./context.js";

export function layerNorm(k: KernelContext, a: OpArgs["layerNorm"]): void {
  const { groups, gridX } = fold(a.rows, k.maxWorkgroups);
  k.dispatch("layerNorm", { HAS_RESIDUAL: a.residual !== undefined },
    [k.buf(a.x), k.opt(a.residual), k.buf(a.gamma), k.buf(a.beta), k.buf(a.out)],
    { rows: a.rows, cols: a.cols, eps: a.eps, gridX }, groups);
}
