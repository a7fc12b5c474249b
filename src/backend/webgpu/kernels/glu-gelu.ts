// gluGelu → shaders/glu-gelu.wgsl: one thread per output element.
import type { OpArgs } from "../../../ops/spec.js";
import { elementGrid, type KernelContext } from "./context.js";

export function gluGelu(k: KernelContext, a: OpArgs["gluGelu"]): void {
  const { groups, gridX } = elementGrid(k, a.rows * a.inner);
  k.dispatch("gluGelu", {}, [k.buf(a.x), k.buf(a.out)], { rows: a.rows, inner: a.inner, gridX }, groups);
}
