// unary → shaders/unary.wgsl: the function is a pipeline override (0 = tanh, 1 = exact GELU).
import type { OpArgs } from "../../../ops/spec.js";
import { elementGrid, type KernelContext } from "./context.js";

export function unary(k: KernelContext, a: OpArgs["unary"]): void {
  const { groups, gridX } = elementGrid(k, a.size);
  k.dispatch("unary", { KIND: a.kind === "tanh" ? 0 : 1 }, [k.buf(a.x), k.buf(a.out)], { size: a.size, gridX }, groups);
}
